// The packaged extension (npm run package): only what .vscodeignore allows, only this platform's
// onnxruntime binaries, and a VSIX whose manifest names the target platform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { repoRoot } from './harness';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const base = `${pkg.name}-${pkg.version}-linux-x64`;
const VSIX = join(repoRoot, `${base}.vsix`);

/** Entries of a zip file: name -> contents (stored or deflated). */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, `${file}: no end of central directory`);
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50, 'central directory entry');
    const method = zip.readUInt16LE(p + 10);
    const packed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(dataAt, dataAt + packed);
    entries.set(name, method === 8 ? inflateRawSync(body) : Buffer.from(body));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

test('the VSIX holds the bundles, the webview assets and only linux-x64 onnxruntime binaries', () => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const entries = readZip(VSIX);
  const names = [...entries.keys()];
  for (const required of ['extension.vsixmanifest', '[Content_Types].xml', 'extension/package.json', 'extension/dist/extension.js',
    'extension/dist/worker.js', 'extension/dist/webview/panel.js', 'extension/dist/webview/profile.js', 'extension/media/panel.css',
    'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
    'extension/node_modules/onnxruntime-common/dist/cjs/index.js']) {
    assert.ok(names.includes(required), `${required} is not in the VSIX`);
  }
  const binaries = names.filter((n) => n.includes('/onnxruntime-node/bin/'));
  assert.deepEqual(binaries.filter((n) => !n.includes('/napi-v6/linux/x64/')), [], 'other platforms\' binaries are left out');
  assert.deepEqual(names.filter((n) => /\.(map|ts)$/.test(n) || /(^|\/)(src|test|webview)\//.test(n.replace(/^extension\/dist\/webview\//, ''))), [],
    'no sources, source maps or test builds');
  assert.deepEqual(names.filter((n) => /providers_(cuda|tensorrt)/.test(n)), [], 'no GPU providers');
  const manifest = entries.get('extension.vsixmanifest')!.toString('utf8');
  assert.match(manifest, new RegExp(`Id="${pkg.name}" Version="${pkg.version}" Publisher="attention-inspector" TargetPlatform="linux-x64"`));
  const shipped = JSON.parse(entries.get('extension/package.json')!.toString('utf8')) as { main: string };
  assert.ok(names.includes(`extension/${shipped.main.replace(/^\.\//, '')}`), 'package.json main is in the VSIX');
});

test('the unpacked package equals the VSIX contents', () => {
  const stage = join(repoRoot, '.cache', 'package', base, 'extension');
  const entries = readZip(VSIX);
  for (const [name, data] of entries) {
    if (!name.startsWith('extension/')) continue;
    const file = join(stage, name.slice('extension/'.length));
    assert.ok(existsSync(file), `${file} is missing from the unpacked package`);
    assert.ok(readFileSync(file).equals(data), `${name} differs between the VSIX and the unpacked package`);
  }
});
