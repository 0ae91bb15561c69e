// JSON export through the engine worker (dist/worker.js) at T=1000: sizes first, `<file>.partial` renamed
// only when complete, progress in bytes, and neither the file nor its .partial after a cancel or a failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeCheckpoint } from './fixtures/checkpoint';
import { createEngineClient, type AnalysisHandle, type EngineClient, type ProgressInfo } from '../src/engine/client';
import { CancelledError } from '../src/engine/errors';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ai-export-'));
const out = join(tmp, 'out');
let client: EngineClient;
let a: AnalysisHandle;

before(async () => {
  if (!existsSync(join(root, 'dist', 'worker.js'))) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  // A narrow model with a long context ("test-long"): T=1000 attention without gpt2-small's weights.
  const model = await writeCheckpoint(join(tmp, 'test-long'), { n_layer: 2, n_head: 2, n_embd: 16, n_positions: 1024, seed: 9 });
  client = createEngineClient(join(root, 'dist', 'worker.js'));
  await client.load(model);
  a = await client.analyze(`word${' word'.repeat(999)}`, { topK: 3 });
  assert.equal(a.tokens.length, 1000);
  mkdirSync(out);
});
after(async () => {
  await client.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('the u8 form is written under its name with the announced size; progress in bytes reaches it', async () => {
  const sizes = await client.jsonExportSizes(a.analysisId);
  const path = join(out, 'u8.json');
  const seen: ProgressInfo[] = [];
  const { bytes } = await client.exportJson(a.analysisId, path, { attention: 'u8' }, (p) => seen.push(p));
  assert.equal(bytes, sizes.u8.bytes);
  assert.equal(statSync(path).size, sizes.u8.bytes);
  assert.ok(seen.length >= 1 && seen.every((p) => p.total === sizes.u8.bytes && p.done <= p.total));
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).attentionFormat.encoding, 'u8');
  assert.ok(!existsSync(`${path}.partial`));
  const layer = join(out, 'layer1.json');
  await client.exportJson(a.analysisId, layer, { attention: 'f32', layer: 1 });
  const size = statSync(layer).size;
  assert.ok(Math.abs(size - sizes.layers[1].bytes) / size < 0.005, `layer 1: estimated ${sizes.layers[1].bytes}, wrote ${size}`);
});

test('a cancelled export leaves neither the file nor its .partial; an existing file is kept as it was', async () => {
  const path = join(out, 'cancelled.json');
  writeFileSync(path, 'previous export');
  const abort = new AbortController();
  let sawPartial = false;
  await assert.rejects(client.exportJson(a.analysisId, path, { attention: 'f32' }, (p) => {
    sawPartial ||= existsSync(`${path}.partial`);
    if (p.done > 0) abort.abort();
  }, abort.signal), (e: unknown) => e instanceof CancelledError);
  assert.ok(sawPartial, 'the export was written to the .partial');
  assert.equal(readFileSync(path, 'utf8'), 'previous export');
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.partial')), []);
});

test('a failure (missing folder, bad layer) rejects with the reason and leaves nothing', async () => {
  await assert.rejects(client.exportJson(a.analysisId, join(out, 'no', 'such', 'dir.json')), /ENOENT/);
  await assert.rejects(client.exportJson(a.analysisId, join(out, 'layer.json'), { attention: 'f32', layer: 5 }), /layer 5 does not exist/);
  assert.ok(!existsSync(join(out, 'layer.json')));
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.partial')), []);
});
