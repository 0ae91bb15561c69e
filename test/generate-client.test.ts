// Generation through the engine client and its worker thread (dist/worker.js): streamed steps, step rows,
// the assembled analysis, incremental Show Attention, and Stop.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';
import { createEngineClient, type EngineClient } from '../src/engine/client';
import type { GenerationSettings, GenerationStepInfo } from '../src/engine/generationTypes';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ai-gen-client-'));
let client: EngineClient;
const settings: GenerationSettings = { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0, maxNewTokens: 8 };
const PROMPT = 'The dog on the ship ran';

before(async () => {
  execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  client = createEngineClient(join(root, 'dist', 'worker.js'));
  await client.load(await writeCheckpoint(join(tmp, 'tiny'), TINY));
});
after(async () => {
  await client.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('generation through the worker', () => {
  test('steps stream, rows and the assembled analysis come back', async () => {
    const seen: GenerationStepInfo[] = [];
    const g = await client.generate(PROMPT, { settings, topK: 5 }, (s) => seen.push(s));
    assert.equal(g.steps.length, 8);
    assert.deepEqual(seen.map((s) => s.id), g.steps.map((s) => s.id));
    assert.equal(g.stopReason, 'max-new-tokens');
    const P = g.prompt.length;
    g.steps.forEach((s, i) => {
      assert.equal(s.context, P + i + 1);
      assert.equal(s.mass.length, 2 * 4 * 3);
      for (let o = 0; o < s.mass.length; o += 3) {
        assert.ok(Math.abs(s.mass[o] + s.mass[o + 1] - 1) < 1e-5, 'prompt + generated mass = 1');
        assert.ok(s.mass[o + 2] <= s.mass[o] + 1e-6, 'the first token is part of the prompt');
      }
    });
    const row = await client.getStepRow(g.generationId, 5, 1, null);
    assert.equal(row.length, P + 6);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    const head = await client.getStepRow(g.generationId, 5, 1, 2);
    assert.ok(Math.abs(head.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    await assert.rejects(client.getStepRow(g.generationId, 8, 0, null), /out of range/);

    const a = await client.generationAnalysis(g.generationId);
    assert.equal(a.tokens.length, P + 8);
    assert.deepEqual(a.tokens.slice(P).map((t) => t.id), g.steps.map((s) => s.id));
    const layer = new Float32Array(await client.getLayer(a.analysisId, 1, 'f32'));
    const T = P + 8;
    // step 5's row (mean of heads) is row P+5 of the analysis
    const mean = new Float32Array(T);
    for (let h = 0; h < 4; h++) for (let j = 0; j < T; j++) mean[j] += layer[(h * T + P + 5) * T + j] / 4;
    for (let j = 0; j < P + 6; j++) assert.ok(Math.abs(mean[j] - row[j]) < 1e-6);

    // Show Attention on prompt + generated text + more: only the new tokens run
    const text = PROMPT + g.text + ' and on';
    const inc = await client.analyze(text, { topK: 5 });
    assert.deepEqual(inc.incremental, { reusedTokens: T, newTokens: inc.tokens.length - T });
  });

  test('Stop ends the generation with the steps so far', async () => {
    const controller = new AbortController();
    const g = await client.generate(PROMPT, { settings: { ...settings, maxNewTokens: 40 }, topK: 5 }, (s) => {
      if (s.index === 2) controller.abort();
    }, controller.signal).catch((e: Error) => e);
    // the worker may see the cancel after step 2 or a little later, never before
    assert.ok(!(g instanceof Error), `resolved, not rejected: ${g instanceof Error ? g.message : ''}`);
    assert.equal(g.stopReason, 'cancelled');
    assert.ok(g.steps.length >= 3 && g.steps.length < 40, `${g.steps.length} steps`);
  });

  test('bad settings are a clear error', async () => {
    await assert.rejects(client.generate(PROMPT, { settings: { ...settings, topP: 0 }, topK: 5 }), /top-p/);
  });
});
