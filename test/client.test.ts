// The engine client and its worker thread (dist/worker.js): typed requests, transferred buffers,
// progress, cancellation with partial results, streaming JSON export.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';
import { createEngineClient, type EngineClient, type AnalysisHandle } from '../src/engine/client';
import { CancelledError } from '../src/engine/errors';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ai-client-'));
let client: EngineClient;
let a: AnalysisHandle;

before(async () => {
  if (!existsSync(join(root, 'dist', 'worker.js'))) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  const model = await writeCheckpoint(join(tmp, 'tiny'), TINY);
  client = createEngineClient(join(root, 'dist', 'worker.js'));
  const { info } = await client.load(model);
  assert.equal(info.layers, 2);
  a = await client.analyze('The dog on the ship ran', { topK: 4 });
});
after(async () => {
  await client.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('engine client', () => {
  test('analysis summary', () => {
    const T = a.tokens.length;
    assert.equal(T, 6);
    assert.equal(a.topkIds.length, T * 4);
    assert.equal(a.topkTokens.length, T * 4);
    assert.equal(a.attnOutNorms.length, 2 * T);
    assert.equal(a.flow.length, 2 * 4 * 2);
    assert.ok(a.flow.every((v) => v >= 0 && v <= 1), "flow values are attention means");
    assert.ok(Number.isNaN(a.nextTokenLogProb[T - 1]));
  });

  test('layers as f32 and u8, rows, thumbnails', async () => {
    const T = a.tokens.length;
    const f32 = new Float32Array(await client.getLayer(a.analysisId, 1, 'f32'));
    assert.equal(f32.length, 4 * T * T);
    const u8 = new Uint8Array(await client.getLayer(a.analysisId, 1, 'u8'));
    f32.forEach((v, i) => assert.ok(Math.abs(u8[i] / 255 - v) <= 0.5 / 255 + 1e-6));
    const row = await client.getRow(a.analysisId, 1, 2, 3);
    for (let j = 0; j < T; j++) assert.ok(Math.abs(row[j] - f32[(2 * T + 3) * T + j]) < 1e-7);
    const mean = await client.getRow(a.analysisId, 1, null, 3);
    for (let j = 0; j < T; j++) {
      let m = 0;
      for (let h = 0; h < 4; h++) m += f32[(h * T + 3) * T + j] / 4;
      assert.ok(Math.abs(mean[j] - m) < 1e-6);
    }
    const th = await client.getThumbnails(a.analysisId, 4);
    assert.equal(th.size, 4);
    assert.equal(th.data.byteLength, 2 * 4 * 16);
    await assert.rejects(client.getLayer(a.analysisId, 7, 'f32'), /layer 7 out of range/);
    await assert.rejects(client.getLayer(999, 0, 'f32'), /no longer available/);
  });

  test('JSON export streams the CLI shape', async () => {
    const path = join(tmp, 'out.json');
    await client.exportJson(a.analysisId, path);
    const j = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(j.tokens.length, 6);
    assert.equal(j.attentions[1][3].length, 6);
    assert.equal(j.topk[0].length, 4);
  });

  test('profile with progress, and cancellation keeps a partial result', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `Text number ${i} is about a ship and a dog ${'that ran '.repeat(i % 4)}`);
    const progress: number[] = [];
    const full = await client.profile(texts, { batchSize: 4, positions: 5, source: 'test' }, (p) => progress.push(p.done));
    // Progress moves within a batch: a forward pass holds at most 1/16 of the corpus (here one text).
    assert.deepEqual(progress, Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(full.complete, true);
    assert.equal(full.lengths.length, 12);
    const controller = new AbortController();
    // Many small batches, so the cancel (a round trip to the host) lands long before the end.
    const many = Array.from({ length: 20 }, () => texts).flat();
    const partial = await client.profile(many, { batchSize: 2, positions: 5, source: 'test' }, (p) => p.done >= 4 && controller.abort(), controller.signal);
    assert.equal(partial.complete, false);
    assert.ok(partial.lengths.length >= 4 && partial.lengths.length < many.length, `partial has ${partial.lengths.length}`);
    const single = await client.profileOfAnalysis(a.analysisId, 'selection');
    assert.deepEqual(single.lengths, [6]);
  });

  test('a cancelled analysis rejects with CancelledError', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.analyze('hello', { topK: 1 }, controller.signal), CancelledError);
  });
});

describe('engine client lifetime', () => {
  test('a dead worker is reported and calls reject instead of hanging', async () => {
    const c = createEngineClient(join(root, 'dist', 'worker.js'));
    assert.equal(c.alive, true);
    await c.dispose();
    assert.equal(c.alive, false);
    await assert.rejects(c.analyze('hi', { topK: 1 }), /disposed/);
  });
});

describe('engine worker scheduling', () => {
  test('runs go one at a time and a run cancelled while queued never starts', async () => {
    const model = await writeCheckpoint(join(tmp, 'tiny'), TINY);
    const c = createEngineClient(join(root, 'dist', 'worker.js'));
    try {
      await c.load(model);
      const controller = new AbortController();
      const first = c.analyze('The dog on the ship ran '.repeat(8), { topK: 2 });
      const second = assert.rejects(c.analyze('queued and then cancelled', { topK: 2 }, controller.signal), CancelledError);
      controller.abort();
      const third = c.analyze('The motor on the ship ran', { topK: 2 });
      const [a1, a3] = await Promise.all([first, third]);
      await second;
      assert.equal(a3.analysisId, a1.analysisId + 1, 'the cancelled run took no analysis id');
    } finally {
      await c.dispose();
    }
  });
});
