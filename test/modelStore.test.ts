import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import mutableFs from 'node:fs'; // the module object itself, whose functions a test may wrap
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  ensureModel,
  resolveCachedModel,
  clearModelCache,
  listCachedModels,
  validateRepoId,
  resolveEndpoint,
  hubCacheDir,
  DownloadError,
  KNOWN_MODELS,
  MODEL_FILES,
  type DownloadProgress,
  type ModelStoreOptions,
} from '../src/engine/modelStore';
import { startHubServer, fakeModelFiles, type HubServer, type HubServerOptions } from './fixtures/hubServer';

const tmpRoots: string[] = [];
function tmpDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ai-modelstore-${label}-`));
  tmpRoots.push(dir);
  return dir;
}
after(() => {
  for (const dir of tmpRoots) fs.rmSync(dir, { recursive: true, force: true });
});

/** Options isolated from the developer's real HF cache and environment. */
function isolatedOptions(server: HubServer | null, extra: Partial<ModelStoreOptions> = {}): ModelStoreOptions {
  return {
    storageDir: tmpDir('storage'),
    hfHome: tmpDir('hfhome'),
    env: {},
    ...(server ? { endpoint: server.url } : {}),
    ...extra,
  };
}

async function withHub<T>(
  files: Record<string, Buffer>,
  opts: HubServerOptions,
  body: (server: HubServer) => Promise<T>,
): Promise<T> {
  const server = await startHubServer(files, opts);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

async function expectDownloadError(promise: Promise<unknown>, kind: DownloadError['kind']): Promise<DownloadError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DownloadError, `expected a DownloadError, got ${String(err)}`);
    assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a DownloadError of kind ${kind}, but the call succeeded`);
}

function listing(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

function assertSameFiles(dir: string, files: Record<string, Buffer>, repo: string): void {
  for (const f of MODEL_FILES) assert.deepEqual(fs.readFileSync(path.join(dir, f)), files[`${repo}/${f}`], f);
}

/** Writes a HF-cache-style entry: blobs + snapshot symlinks + refs/main. */
function writeHubCacheEntry(
  hfHome: string,
  repo: string,
  files: Record<string, Buffer>,
  commit: string,
  only: readonly string[] = MODEL_FILES,
): string {
  const entry = path.join(hfHome, 'hub', `models--${repo.replace('/', '--')}`);
  const snapshot = path.join(entry, 'snapshots', commit);
  fs.mkdirSync(path.join(entry, 'blobs'), { recursive: true });
  fs.mkdirSync(snapshot, { recursive: true });
  fs.mkdirSync(path.join(entry, 'refs'), { recursive: true });
  fs.writeFileSync(path.join(entry, 'refs', 'main'), commit);
  for (const f of only) {
    const blob = path.join(entry, 'blobs', `${f}-blob`);
    fs.writeFileSync(blob, Object.entries(files).find(([k]) => k.endsWith(`/${f}`))![1]);
    fs.symlinkSync(path.relative(snapshot, blob), path.join(snapshot, f));
  }
  return snapshot;
}

describe('repository ids and settings', () => {
  test('known models are the five GPT-2 checkpoints', () => {
    assert.deepEqual([...KNOWN_MODELS], ['gpt2', 'distilgpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl']);
  });

  test('valid ids are accepted', () => {
    for (const id of ['gpt2', 'openai-community/gpt2', 'a.b_c-d/e', 'sshleifer/tiny-gpt2', 'gpt2-xl']) validateRepoId(id);
  });

  test('junk ids are rejected with invalid-repo before any request', async () => {
    await withHub(fakeModelFiles('gpt2'), {}, async (server) => {
      for (const id of ['../x', 'a b', '', 'a/b/c', 'a--b/c', '.x', 'x.', 'owner/', '/gpt2', 'gpt2/..', 'x'.repeat(97)]) {
        const err = await expectDownloadError(ensureModel(id, isolatedOptions(server)), 'invalid-repo');
        assert.match(err.message, /Invalid model id/);
        assert.ok(err.message.includes(JSON.stringify(id)), err.message);
      }
      assert.deepEqual(server.requests, []);
    });
  });

  test('endpoint: explicit option, then HF_ENDPOINT, then the public hub; trailing slash removed', () => {
    assert.equal(resolveEndpoint({ endpoint: 'http://a.test/', env: { HF_ENDPOINT: 'http://b.test' } }), 'http://a.test');
    assert.equal(resolveEndpoint({ env: { HF_ENDPOINT: 'http://b.test//' } }), 'http://b.test');
    assert.equal(resolveEndpoint({ env: {} }), 'https://huggingface.co');
    assert.throws(() => resolveEndpoint({ endpoint: 'ftp://x' }), /Invalid Hugging Face endpoint/);
  });

  test('HF cache folder: option, HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME', () => {
    assert.equal(hubCacheDir({ hfHome: '/h', env: { HF_HOME: '/e' } }), path.join('/h', 'hub'));
    assert.equal(hubCacheDir({ env: { HF_HUB_CACHE: '/c', HF_HOME: '/e' } }), '/c');
    assert.equal(hubCacheDir({ env: { HF_HOME: '/e' } }), path.join('/e', 'hub'));
    assert.equal(hubCacheDir({ env: { XDG_CACHE_HOME: '/x' } }), path.join('/x', 'huggingface', 'hub'));
  });
});

describe('downloading', () => {
  const repo = 'gpt2';
  const files = fakeModelFiles(repo, 300 * 1024);
  const totalSize = Object.values(files).reduce((a, b) => a + b.length, 0);

  test('downloads the three files with monotonic progress reaching the totals, then reuses them', async () => {
    await withHub(files, {}, async (server) => {
      const opts = isolatedOptions(server);
      const events: DownloadProgress[] = [];
      const dir = await ensureModel(repo, opts, (p) => events.push(p));

      assert.equal(dir, path.join(opts.storageDir, 'models', 'gpt2'));
      assertSameFiles(dir, files, repo);
      assert.deepEqual(listing(dir), ['.download.json', ...MODEL_FILES].sort(), 'no .partial file left');

      assert.ok(events.length >= 3);
      for (let i = 1; i < events.length; i++) {
        assert.ok(events[i].overallBytes >= events[i - 1].overallBytes, 'overall bytes never go down');
        assert.ok(events[i].fileIndex >= events[i - 1].fileIndex);
        if (events[i].fileIndex === events[i - 1].fileIndex) assert.ok(events[i].bytes >= events[i - 1].bytes);
      }
      for (const [index, file] of MODEL_FILES.entries()) {
        const mine = events.filter((e) => e.file === file);
        assert.ok(mine.length >= 2, `start and end events for ${file}`);
        const size = files[`${repo}/${file}`].length;
        assert.ok(mine.every((e) => e.fileIndex === index && e.fileCount === 3 && e.totalBytes === size));
        assert.equal(mine[0].bytes, 0);
        assert.equal(mine[mine.length - 1].bytes, size);
      }
      const last = events[events.length - 1];
      assert.equal(last.overallBytes, totalSize);
      assert.ok(events.every((e) => e.overallTotal === totalSize));
      assert.ok(events.some((e) => e.file === 'model.safetensors' && e.bytes > 0 && e.bytes < e.totalBytes!), 'mid-file event');

      const metadata = JSON.parse(fs.readFileSync(path.join(dir, '.download.json'), 'utf8'));
      assert.equal(metadata.repo, repo);
      assert.equal(metadata.commit, 'a'.repeat(40));
      assert.match(metadata.files['model.safetensors'].sha256, /^[0-9a-f]{64}$/);

      // The safetensors bytes came through the CDN redirect, with the token-less second origin.
      assert.ok(server.log.some((r) => r.server === 'cdn' && r.method === 'GET'));

      const before = server.requests.length;
      assert.equal(resolveCachedModel(repo, opts), dir);
      assert.equal(await ensureModel(repo, opts), dir);
      assert.equal(server.requests.length, before, 'second call makes zero requests');
    });
  });

  test('files already complete in the store are not downloaded again', async () => {
    await withHub(files, {}, async (server) => {
      const opts = isolatedOptions(server);
      const dir = path.join(opts.storageDir, 'models', repo);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config.json'), files[`${repo}/config.json`]);
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), files[`${repo}/tokenizer.json`]);
      const events: DownloadProgress[] = [];
      await ensureModel(repo, opts, (p) => events.push(p));
      assert.ok(server.requests.every((r) => r.includes('model.safetensors') || r.includes('/lfs/')), server.requests.join('\n'));
      assert.ok(events.every((e) => e.file === 'model.safetensors' && e.fileCount === 1));
      assertSameFiles(dir, files, repo);
    });
  });

  test('follows a relative redirect of a renamed repo and keeps the short id for the folder', async () => {
    const canonical = fakeModelFiles('openai-community/gpt2', 100 * 1024);
    await withHub(canonical, { aliases: { gpt2: 'openai-community/gpt2' } }, async (server) => {
      const opts = isolatedOptions(server);
      const dir = await ensureModel('gpt2', opts);
      assert.equal(dir, path.join(opts.storageDir, 'models', 'gpt2'));
      assertSameFiles(dir, canonical, 'openai-community/gpt2');
      assert.ok(server.requests.includes('GET /openai-community/gpt2/resolve/main/config.json'));
    });
  });

  test('owner/name repos are stored as owner--name', async () => {
    const id = 'someone/tiny-gpt2';
    const own = fakeModelFiles(id, 50 * 1024);
    await withHub(own, {}, async (server) => {
      const opts = isolatedOptions(server);
      const dir = await ensureModel(id, opts);
      assert.equal(dir, path.join(opts.storageDir, 'models', 'someone--tiny-gpt2'));
      assertSameFiles(dir, own, id);
    });
  });

  test('HF_ENDPOINT is honoured, and an explicit endpoint wins over it', async () => {
    await withHub(files, {}, async (server) => {
      const viaEnv = isolatedOptions(null, { env: { HF_ENDPOINT: server.url } });
      await ensureModel(repo, viaEnv);
      assert.ok(server.requests.includes('GET /gpt2/resolve/main/config.json'));

      // Port 9 (discard) on loopback is closed: if the env var won, the call would fail with a network error.
      const explicit = isolatedOptions(server, { env: { HF_ENDPOINT: 'http://127.0.0.1:9' } });
      assertSameFiles(await ensureModel(repo, explicit), files, repo);

      const saved = process.env.HF_ENDPOINT;
      process.env.HF_ENDPOINT = server.url;
      try {
        const count = server.requests.length;
        await ensureModel(repo, { storageDir: tmpDir('storage'), hfHome: tmpDir('hfhome') });
        assert.ok(server.requests.length > count, 'process.env.HF_ENDPOINT is read by default');
      } finally {
        if (saved === undefined) delete process.env.HF_ENDPOINT;
        else process.env.HF_ENDPOINT = saved;
      }
    });
  });

  test('the token goes to the hub but not to the CDN; without it, 401 names the repo and suggests a token', async () => {
    await withHub(files, { token: 'hf_secret' }, async (server) => {
      const denied = await expectDownloadError(ensureModel(repo, isolatedOptions(server)), 'http');
      assert.equal(denied.status, 401);
      assert.match(denied.message, /^gpt2: access to config\.json on http:\/\/127\.0\.0\.1:\d+\/gpt2\/resolve\/main\/config\.json/);
      assert.match(denied.message, /HTTP 401/);
      assert.match(denied.message, /HF_TOKEN/);

      server.log.length = 0;
      await ensureModel(repo, isolatedOptions(server, { env: { HF_TOKEN: 'hf_secret' } }));
      const hub = server.log.filter((r) => r.server === 'hub');
      const cdn = server.log.filter((r) => r.server === 'cdn');
      assert.ok(hub.length > 0 && hub.every((r) => r.authorization === 'Bearer hf_secret'));
      assert.ok(cdn.length > 0 && cdn.every((r) => r.authorization === null), 'no token sent to another origin');
    });
  });
});

describe('reusing an existing Hugging Face cache', () => {
  const files = fakeModelFiles('gpt2', 20 * 1024);
  const commit = 'b'.repeat(40);

  test('a complete HF_HOME snapshot is used without any request', async () => {
    await withHub(files, {}, async (server) => {
      const hfHome = tmpDir('hfhome');
      const snapshot = writeHubCacheEntry(hfHome, 'gpt2', files, commit);
      const opts = isolatedOptions(server, { hfHome: undefined, env: { HF_HOME: hfHome } });
      assert.equal(await ensureModel('gpt2', opts), snapshot);
      assert.equal(resolveCachedModel('gpt2', opts), snapshot);
      assert.deepEqual(server.requests, []);
      assert.deepEqual(listing(path.join(opts.storageDir, 'models')), [], 'nothing written to the store');
    });
  });

  test('the canonical id of a short id is found too (models--openai-community--gpt2)', () => {
    const hfHome = tmpDir('hfhome');
    const snapshot = writeHubCacheEntry(hfHome, 'openai-community/gpt2', files, commit);
    assert.equal(resolveCachedModel('gpt2', isolatedOptions(null, { hfHome })), snapshot);
  });

  test('an incomplete snapshot is ignored and the model is downloaded', async () => {
    await withHub(files, {}, async (server) => {
      const hfHome = tmpDir('hfhome');
      writeHubCacheEntry(hfHome, 'gpt2', files, commit, ['config.json', 'tokenizer.json']);
      const opts = isolatedOptions(server, { hfHome });
      assert.equal(resolveCachedModel('gpt2', opts), null);
      const dir = await ensureModel('gpt2', opts);
      assert.equal(dir, path.join(opts.storageDir, 'models', 'gpt2'));
      assert.ok(server.requests.length > 0);
    });
  });
});

describe('failures leave no partial or corrupt file', () => {
  const repo = 'gpt2';
  const files = fakeModelFiles(repo, 400 * 1024);
  const modelKey = `${repo}/model.safetensors`;

  function assertNoModelFile(opts: ModelStoreOptions): void {
    const dir = path.join(opts.storageDir, 'models', repo);
    const names = listing(dir);
    assert.ok(!names.includes('model.safetensors'), `no final model file in ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.endsWith('.partial')), `no partial file in ${names.join(', ')}`);
    assert.equal(resolveCachedModel(repo, opts), null);
  }

  test('cancel mid-download removes the partial file', async () => {
    await withHub(files, { slow: { chunkSize: 16 * 1024, delayMs: 5, keys: [modelKey] } }, async (server) => {
      const opts = isolatedOptions(server);
      const controller = new AbortController();
      let bytesAtAbort = 0;
      const onProgress = (p: DownloadProgress): void => {
        if (p.file === 'model.safetensors' && p.bytes >= 48 * 1024 && !controller.signal.aborted) {
          bytesAtAbort = p.bytes;
          assert.ok(fs.existsSync(path.join(opts.storageDir, 'models', repo, 'model.safetensors.partial')));
          controller.abort();
        }
      };
      const err = await expectDownloadError(ensureModel(repo, opts, onProgress, controller.signal), 'cancelled');
      assert.match(err.message, /Download of gpt2 cancelled/);
      assert.ok(bytesAtAbort > 0 && bytesAtAbort < files[modelKey].length, 'aborted mid-stream');
      assertNoModelFile(opts);
    });
  });

  test('an already aborted signal makes no request', async () => {
    await withHub(files, {}, async (server) => {
      const controller = new AbortController();
      controller.abort();
      await expectDownloadError(ensureModel(repo, isolatedOptions(server), undefined, controller.signal), 'cancelled');
      assert.deepEqual(server.requests, []);
    });
  });

  test('404 names the repo, the file and the URL, before anything is downloaded', async () => {
    const noModel = { [`${repo}-foo/config.json`]: files[`${repo}/config.json`], [`${repo}-foo/tokenizer.json`]: files[`${repo}/tokenizer.json`] };
    await withHub(noModel, {}, async (server) => {
      const opts = isolatedOptions(server);
      const err = await expectDownloadError(ensureModel('gpt2-foo', opts), 'http');
      assert.equal(err.status, 404);
      assert.equal(err.file, 'model.safetensors');
      assert.equal(
        err.message,
        `gpt2-foo: model.safetensors not found on ${server.url}/gpt2-foo/resolve/main/model.safetensors (HTTP 404 Not Found). ` +
          'Check the model id and revision.',
      );
      assert.ok(server.requests.every((r) => r.startsWith('HEAD ')), 'failed at the size probe, before any GET');
      assert.ok(!fs.existsSync(path.join(opts.storageDir, 'models', 'gpt2-foo')), 'no empty folder left');
      assert.deepEqual(listCachedModels(opts.storageDir), []);
    });
  });

  test('a size that does not match x-linked-size is rejected', async () => {
    await withHub(files, { wrongSize: [modelKey] }, async (server) => {
      const opts = isolatedOptions(server);
      const err = await expectDownloadError(ensureModel(repo, opts), 'size');
      assert.match(err.message, /model\.safetensors .* has 409600 bytes but the server announced 409601 \(x-linked-size\)/);
      assertNoModelFile(opts);
    });
  });

  test('a size mismatch on a regular file is rejected too', async () => {
    await withHub(files, { wrongSize: [`${repo}/tokenizer.json`] }, async (server) => {
      const opts = isolatedOptions(server);
      const err = await expectDownloadError(ensureModel(repo, opts), 'size');
      assert.equal(err.file, 'tokenizer.json');
      assert.ok(!fs.existsSync(path.join(opts.storageDir, 'models', repo, 'tokenizer.json')));
    });
  });

  test('a sha256 that does not match x-linked-etag is rejected', async () => {
    await withHub(files, { wrongSha: [modelKey] }, async (server) => {
      const opts = isolatedOptions(server);
      const err = await expectDownloadError(ensureModel(repo, opts), 'checksum');
      assert.match(err.message, /model\.safetensors .* has sha256 [0-9a-f]{64} but the hub announced [0-9a-f]{64}/);
      assertNoModelFile(opts);
    });
  });

  test('a connection dropped mid-body is a network error and leaves no file', async () => {
    await withHub(files, { dropAfterBytes: { [modelKey]: 100 * 1024 } }, async (server) => {
      const opts = isolatedOptions(server);
      const err = await expectDownloadError(ensureModel(repo, opts), 'network');
      assert.match(err.message, /^gpt2: network error while downloading model\.safetensors from http/);
      assertNoModelFile(opts);
      // The complete small files are kept, so a retry downloads only the model.
      assert.deepEqual(listing(path.join(opts.storageDir, 'models', repo)), ['config.json', 'tokenizer.json']);
    });
  });

  test('a dropped connection while the .partial file is still being opened leaves no file behind', async () => {
    // pipeline() can reject before a slow open() of the file completes; the store must wait for the file to close.
    const realOpen = mutableFs.open;
    const slowOpen = ((file: fs.PathLike, ...rest: unknown[]) => {
      const delay = String(file).endsWith('.partial') ? 300 : 0;
      setTimeout(() => (realOpen as (...a: unknown[]) => void)(file, ...rest), delay);
    }) as typeof fs.open;
    mutableFs.open = slowOpen;
    try {
      await withHub(files, { dropAfterBytes: { [modelKey]: 1 } }, async (server) => {
        const opts = isolatedOptions(server);
        await expectDownloadError(ensureModel(repo, opts), 'network');
        await new Promise((r) => setTimeout(r, 400)); // let a late open() land, if the store did not wait for it
        assertNoModelFile(opts);
      });
    } finally {
      mutableFs.open = realOpen;
    }
  });

  test('a server error other than 401/403/404 is reported with its status', async () => {
    await withHub(files, { status: { [modelKey]: 503 } }, async (server) => {
      const err = await expectDownloadError(ensureModel(repo, isolatedOptions(server)), 'http');
      assert.equal(err.status, 503);
      assert.match(err.message, /^gpt2: downloading model\.safetensors from http:\/\/\S+ failed \(HTTP 503 Service Unavailable\)\.$/);
    });
  });

  test('a repo whose config is not GPT-2 is refused before the weights are fetched', async () => {
    const bert = {
      ...files,
      'google/bert-base/config.json': Buffer.from(JSON.stringify({ model_type: 'bert', architectures: ['BertModel'] })),
      'google/bert-base/tokenizer.json': files[`${repo}/tokenizer.json`],
      'google/bert-base/model.safetensors': files[modelKey],
    };
    await withHub(bert, {}, async (server) => {
      const err = await expectDownloadError(ensureModel('google/bert-base', isolatedOptions(server)), 'unsupported');
      assert.match(err.message, /google\/bert-base is a "bert" model/);
      assert.ok(!server.requests.some((r) => r.startsWith('GET') && r.includes('model.safetensors')));
    });
  });
});

describe('listing and clearing the store', () => {
  test('lists downloaded models with their sizes and clears one or all', async () => {
    const files = { ...fakeModelFiles('gpt2', 30 * 1024, 1), ...fakeModelFiles('someone/tiny-gpt2', 10 * 1024, 2) };
    await withHub(files, {}, async (server) => {
      const opts = isolatedOptions(server);
      const gpt2 = await ensureModel('gpt2', opts);
      const tiny = await ensureModel('someone/tiny-gpt2', opts);

      const listed = listCachedModels(opts.storageDir);
      assert.deepEqual(listed.map((m) => [m.repo, m.dir, m.complete, m.revision]), [
        ['gpt2', gpt2, true, 'main'],
        ['someone/tiny-gpt2', tiny, true, 'main'],
      ]);
      const gpt2Bytes = Object.entries(files)
        .filter(([k]) => k.startsWith('gpt2/'))
        .reduce((a, [, b]) => a + b.length, 0);
      assert.ok(listed[0].bytes >= gpt2Bytes && listed[0].bytes < gpt2Bytes + 4096, 'files plus small metadata');

      await expectDownloadError(clearModelCache(opts.storageDir, '../..'), 'invalid-repo');
      assert.deepEqual(await clearModelCache(opts.storageDir, 'gpt2'), { removed: [gpt2] });
      assert.ok(!fs.existsSync(gpt2));
      assert.deepEqual(listCachedModels(opts.storageDir).map((m) => m.repo), ['someone/tiny-gpt2']);
      assert.equal(resolveCachedModel('gpt2', opts), null);

      assert.deepEqual(await clearModelCache(opts.storageDir), { removed: [tiny] });
      assert.deepEqual(listCachedModels(opts.storageDir), []);
      assert.deepEqual(await clearModelCache(tmpDir('empty')), { removed: [] });
    });
  });
});

describe('revisions and servers without HEAD', () => {
  const files = fakeModelFiles('gpt2', 40 * 1024);

  test('a non-default revision is fetched from /resolve/<rev>/ and stored in its own folder', async () => {
    await withHub(files, { revisions: ['v1.0'] }, async (server) => {
      const opts = isolatedOptions(server, { revision: 'v1.0' });
      const dir = await ensureModel('gpt2', opts);
      assert.equal(dir, path.join(opts.storageDir, 'models', 'gpt2@v1.0'));
      assert.ok(server.requests.includes('GET /gpt2/resolve/v1.0/config.json'));
      assert.deepEqual(listCachedModels(opts.storageDir).map((m) => [m.repo, m.revision]), [['gpt2', 'v1.0']]);
      await expectDownloadError(ensureModel('gpt2', { ...opts, revision: 'main' }), 'http');
    });
  });

  test('when HEAD is not supported the download still works, with an unknown overall total', async () => {
    await withHub(files, { headStatus: 405 }, async (server) => {
      const events: DownloadProgress[] = [];
      const dir = await ensureModel('gpt2', isolatedOptions(server), (p) => events.push(p));
      assertSameFiles(dir, files, 'gpt2');
      assert.ok(events.every((e) => e.overallTotal === null));
      assert.ok(events.every((e) => e.totalBytes === files[`gpt2/${e.file}`].length), 'per-file totals from the GET');
    });
  });

  test('a file that cannot be written is an io error', async () => {
    await withHub(files, {}, async (server) => {
      const opts = isolatedOptions(server);
      fs.mkdirSync(path.join(opts.storageDir, 'models', 'gpt2', 'model.safetensors.partial'), { recursive: true });
      const err = await expectDownloadError(ensureModel('gpt2', opts), 'io');
      assert.match(err.message, /^gpt2: could not write .*model\.safetensors\.partial: /);
    });
  });
});

describe('one download per model folder', () => {
  const repo = 'gpt2';
  const files = fakeModelFiles(repo, 200 * 1024);
  const getsOf = (server: HubServer, file: string): number =>
    server.requests.filter((r) => r === `GET /${repo}/resolve/main/${file}`).length;
  const lockPath = (opts: ModelStoreOptions): string => path.join(opts.storageDir, 'models', repo, '.lock');
  function writeLock(opts: ModelStoreOptions, content: string): void {
    fs.mkdirSync(path.dirname(lockPath(opts)), { recursive: true });
    fs.writeFileSync(lockPath(opts), content);
  }

  test('concurrent calls in one process share one download', async () => {
    await withHub(files, { slow: { chunkSize: 32 * 1024, delayMs: 1 } }, async (server) => {
      const opts = isolatedOptions(server);
      const [a, b] = await Promise.all([ensureModel(repo, opts), ensureModel(repo, opts)]);
      assert.equal(a, b);
      assertSameFiles(a, files, repo);
      for (const f of MODEL_FILES) assert.equal(getsOf(server, f), 1, `${f} fetched once`);
      assert.ok(!fs.existsSync(lockPath(opts)), 'lock released');
    });
  });

  test('a waiting call takes over when the first one is cancelled', async () => {
    await withHub(files, { slow: { chunkSize: 16 * 1024, delayMs: 2 } }, async (server) => {
      const opts = isolatedOptions(server);
      const controller = new AbortController();
      let second: Promise<string> | undefined;
      const onFirstProgress = (p: DownloadProgress): void => {
        second ??= ensureModel(repo, opts); // started once the first call owns the folder, so it has to wait
        if (p.file === 'model.safetensors' && p.bytes > 0) controller.abort();
      };
      await expectDownloadError(ensureModel(repo, opts, onFirstProgress, controller.signal), 'cancelled');
      assert.ok(second);
      assertSameFiles(await second, files, repo);
      assert.equal(getsOf(server, 'config.json'), 1, 'the small files finished by the first call are kept');
      assert.equal(getsOf(server, 'model.safetensors'), 2);
    });
  });

  test('a lock held by another live process makes the call wait (and stay cancellable)', async () => {
    await withHub(files, {}, async (server) => {
      const opts = isolatedOptions(server);
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        writeLock(opts, JSON.stringify({ pid: other.pid, host: os.hostname() }));
        const controller = new AbortController();
        const waiting = ensureModel(repo, opts, undefined, controller.signal);
        setTimeout(() => controller.abort(), 600); // a trigger, not an assertion on time
        await expectDownloadError(waiting, 'cancelled');
        assert.deepEqual(server.requests, [], 'nothing fetched while another process owns the folder');
        assert.ok(fs.existsSync(lockPath(opts)), "the other process's lock is left alone");
      } finally {
        other.kill();
      }
    });
  });

  test('a stale lock is taken over: dead owner, or not refreshed for over a minute', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']);
    const alive = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const longAgo = new Date(Date.now() - 5 * 60_000);
    const cases = [
      { label: 'dead pid', content: JSON.stringify({ pid: dead.pid, host: os.hostname() }), old: false },
      { label: 'unreadable and old', content: '{"pid":', old: true },
      { label: 'live pid (reused) but old', content: JSON.stringify({ pid: alive.pid, host: os.hostname() }), old: true },
    ];
    try {
      await withHub(files, {}, async (server) => {
        for (const c of cases) {
          const opts = isolatedOptions(server);
          writeLock(opts, c.content);
          if (c.old) fs.utimesSync(lockPath(opts), longAgo, longAgo);
          assertSameFiles(await ensureModel(repo, opts), files, repo);
          assert.ok(!fs.existsSync(lockPath(opts)), c.label);
        }
      });
    } finally {
      alive.kill();
    }
  });
});

describe('unreachable hub', () => {
  test('a refused connection is a network error with a hint about the network and HF_ENDPOINT', async () => {
    // Port 9 (discard) on loopback is closed on this machine; nothing leaves the host.
    const err = await expectDownloadError(ensureModel('gpt2', isolatedOptions(null, { endpoint: 'http://127.0.0.1:9' })), 'network');
    assert.match(err.message, /^gpt2: network error while downloading config\.json from http:\/\/127\.0\.0\.1:9\/gpt2\/resolve\/main\/config\.json: /);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /HF_ENDPOINT/);
  });
});

describe('failed first downloads', () => {
  test('concurrent calls that fail both report the HTTP error and leave no empty folder', async () => {
    const files = fakeModelFiles('gpt2', 20 * 1024);
    await withHub(files, { status: { 'gpt2/config.json': 503 } }, async (server) => {
      const opts = isolatedOptions(server);
      const results = await Promise.allSettled([ensureModel('gpt2', opts), ensureModel('gpt2', opts)]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof DownloadError && r.reason.kind === 'http' && r.reason.status === 503, String(r.reason));
      }
      assert.ok(!fs.existsSync(path.join(opts.storageDir, 'models', 'gpt2')));
    });
  });
});
