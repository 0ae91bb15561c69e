// The ONNX engine against the independent float64 reference forward, on generated HF-layout checkpoints.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, generateWeights, configOf, TINY, type CheckpointSpec } from './fixtures/checkpoint';
import { referenceForward, topIndices, type RefOutput } from './reference';
import { Engine } from '../src/engine/engine';
import { f32ToF16, f16ToF32, f32ToBf16, bf16ToF32 } from '../src/engine/safetensors';
import { GPT2Tokenizer } from '../src/engine/tokenizer';

const TEXT = 'The dog on the ship ran, and the motor on the ship ran too. Émile 👍🏽!';
const tmp = mkdtempSync(join(tmpdir(), 'ai-engine-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function reference(spec: CheckpointSpec, ids: number[], round: (v: number) => number = (v) => v): RefOutput {
  const weights = generateWeights(spec);
  return referenceForward(configOf(spec), { get: (n) => Float64Array.from(weights.get(n)!.data, round) }, ids);
}

const roundF16 = (v: number) => f16ToF32(f32ToF16(v));
const roundBf16 = (v: number) => bf16ToF32(f32ToBf16(v));

function compare(a: Awaited<ReturnType<Engine['analyze']>>, ref: RefOutput, tol: { att: number; norm: number; prob: number }) {
  const T = a.length;
  const H = a.model.heads;
  let maxAtt = 0;
  for (let l = 0; l < a.model.layers; l++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        let rowSum = 0;
        for (let j = 0; j < T; j++) {
          const v = a.attentions[l][(h * T + i) * T + j];
          rowSum += v;
          if (j > i) assert.equal(v, 0, `attention above the diagonal at l${l} h${h} (${i},${j})`);
          maxAtt = Math.max(maxAtt, Math.abs(v - ref.attentions[l][h][i * T + j]));
        }
        assert.ok(Math.abs(rowSum - 1) < 1e-5, `row ${i} of l${l} h${h} sums to ${rowSum}`);
      }
    }
    for (let t = 0; t < T; t++) {
      const rel = Math.abs(a.attnOutNorms[l * T + t] - ref.attnOutNorms[l][t]) / ref.attnOutNorms[l][t];
      assert.ok(rel < tol.norm, `norm l${l} t${t}: ${a.attnOutNorms[l * T + t]} vs ${ref.attnOutNorms[l][t]}`);
    }
  }
  assert.ok(maxAtt < tol.att, `max attention error ${maxAtt}`);
  const k = a.topK;
  for (let t = 0; t < T; t++) {
    const want = topIndices(ref.logProbs[t], k);
    const got = Array.from(a.topkIds.subarray(t * k, t * k + k));
    assert.deepEqual(got, want, `top-${k} ids at position ${t}`);
    for (let j = 0; j < k; j++) {
      assert.ok(Math.abs(a.topkProbs[t * k + j] - Math.exp(ref.logProbs[t][want[j]])) < tol.prob, `top-k prob at ${t}`);
    }
    if (t + 1 < T) {
      const lp = ref.logProbs[t][a.tokens[t + 1].id];
      assert.ok(Math.abs(a.nextTokenLogProb[t] - lp) < tol.prob * 100, `next-token log-prob at ${t}: ${a.nextTokenLogProb[t]} vs ${lp}`);
    } else {
      assert.ok(Number.isNaN(a.nextTokenLogProb[t]), 'last position has no next token');
    }
  }
}

const strict = { att: 1e-5, norm: 1e-4, prob: 1e-6 };

describe('engine vs float64 reference', () => {
  let tokenizer: GPT2Tokenizer;
  let ids: number[];
  before(async () => {
    const dir = await writeCheckpoint(join(tmp, 'tok'), TINY);
    tokenizer = await GPT2Tokenizer.fromFile(join(dir, 'tokenizer.json'));
    ids = tokenizer.encode(TEXT).tokens.map((t) => t.id);
  });

  for (const [label, spec, round, tol] of [
    ['fp32', { ...TINY }, undefined, strict],
    ['fp32 with transformer. prefix, lm_head and attn.bias buffers', { ...TINY, prefix: true, extras: true, seed: 3 }, undefined, strict],
    ['fp16 (against fp16-rounded weights)', { ...TINY, dtype: 'F16', seed: 4 }, roundF16, strict],
    ['bf16 (against bf16-rounded weights)', { ...TINY, dtype: 'BF16', seed: 5 }, roundBf16, strict],
    ['3 layers, 2 heads, 48 wide', { n_layer: 3, n_head: 2, n_embd: 48, n_positions: 64, seed: 9 }, undefined, strict],
  ] as [string, CheckpointSpec, ((v: number) => number) | undefined, typeof strict][]) {
    test(label, async () => {
      const dir = await writeCheckpoint(join(tmp, label.replace(/\W+/g, '_')), spec);
      const engine = new Engine();
      try {
        await engine.load(dir);
        const a = await engine.analyze(TEXT, { topK: 5 });
        assert.deepEqual(a.tokens.map((t) => t.id), ids);
        compare(a, reference(spec, ids, round), tol);
      } finally {
        await engine.dispose();
      }
    });
  }

  test('fp16 checkpoint stays within 2e-2 of the fp32 model', async () => {
    const spec: CheckpointSpec = { ...TINY, dtype: 'F16', seed: 4 };
    const engine = new Engine();
    await engine.load(await writeCheckpoint(join(tmp, 'fp16b'), spec));
    const a = await engine.analyze(TEXT, { topK: 3 });
    await engine.dispose();
    const ref = reference({ ...spec, dtype: 'F32' }, ids);
    const T = a.length;
    for (let l = 0; l < a.model.layers; l++) {
      for (let h = 0; h < a.model.heads; h++) {
        for (let i = 0; i < T * T; i++) assert.ok(Math.abs(a.attentions[l][h * T * T + i] - ref.attentions[l][h][i]) < 2e-2);
      }
      for (let t = 0; t < T; t++) assert.ok(Math.abs(a.attnOutNorms[l * T + t] / ref.attnOutNorms[l][t] - 1) < 2e-2);
    }
  });
});

describe('engine behaviour', () => {
  let engine: Engine;
  before(async () => {
    engine = new Engine();
    await engine.load(await writeCheckpoint(join(tmp, 'behaviour'), TINY));
  });
  after(() => engine.dispose());

  test('input longer than n_positions is truncated, not an error', async () => {
    const long = 'one two three four five six seven eight nine ten '.repeat(20);
    const a = await engine.analyze(long, { topK: 2 });
    assert.equal(a.length, 64);
    assert.equal(a.truncated, true);
    assert.equal(a.attentions[0].length, 4 * 64 * 64);
    const short = await engine.analyze('short text', { topK: 2 });
    assert.equal(short.truncated, false);
  });

  test('maxTokens below the context cuts earlier', async () => {
    const a = await engine.analyze('a b c d e f g h i j k l', { topK: 2, maxTokens: 5 });
    assert.equal(a.length, 5);
    assert.equal(a.truncated, true);
  });

  test('right-padded batches give each sequence the result it gets alone', async () => {
    const tok = engine.loaded!.tokenizer;
    const seqs = ['The dog on the ship ran', 'A motor', 'Padding must never change a valid token result, ever.'].map((s) =>
      tok.encode(s).tokens.map((t) => t.id),
    );
    const batch = await engine.runBatch(seqs, { lmHead: false });
    const { layers: L, heads: H } = engine.loaded!.info;
    const T = batch.T;
    for (let b = 0; b < seqs.length; b++) {
      const alone = await engine.runBatch([seqs[b]], { lmHead: false });
      const n = seqs[b].length;
      for (let l = 0; l < L; l++) {
        for (let t = 0; t < n; t++) {
          assert.ok(Math.abs(batch.attnOutNorms[(l * seqs.length + b) * T + t] - alone.attnOutNorms[l * n + t]) < 1e-5);
        }
        for (let h = 0; h < H; h++) {
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const got = batch.attentions[l][((b * H + h) * T + i) * T + j];
              assert.ok(Math.abs(got - alone.attentions[l][(h * n + i) * n + j]) < 1e-5);
            }
          }
        }
      }
    }
  });

  test('empty text is a clear error', async () => {
    await assert.rejects(engine.analyze('', {}), /the text is empty/);
  });

  test('optional outputs: attention sub-layer outputs and residual stream', async () => {
    const a = await engine.analyze('The dog on the ship ran', { topK: 1, attnOut: true, residuals: true });
    const { layers: L, embd: D } = a.model;
    const T = a.length;
    assert.equal(a.attnOut!.length, L * T * D);
    assert.equal(a.residuals!.length, (L + 1) * T * D);
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += a.attnOut![(l * T + t) * D + d] ** 2;
        assert.ok(Math.abs(Math.sqrt(s) - a.attnOutNorms[l * T + t]) < 1e-4);
      }
    }
  });
});

describe('large checkpoints', () => {
  test('weights past the 4 GB mark of a sparse safetensors file are read in place', async () => {
    // Prepend a 4.5 GB unused tensor (sparse: no disk used) so every real weight sits beyond offset 2^32,
    // as in gpt2-xl (6.4 GB): external-data offsets must not overflow and nothing may be copied into the graph.
    const { openSync, writeSync, closeSync, ftruncateSync, readFileSync, mkdirSync, copyFileSync } = await import('node:fs');
    const src = await writeCheckpoint(join(tmp, 'plain-for-big'), TINY);
    const dir = join(tmp, 'big');
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(src, f), join(dir, f));
    const buf = readFileSync(join(src, 'model.safetensors'));
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    const pad = 4.5 * 2 ** 30;
    for (const [k, v] of Object.entries(header)) {
      if (k !== '__metadata__') (v as { data_offsets: number[] }).data_offsets = (v as { data_offsets: number[] }).data_offsets.map((o) => o + pad);
    }
    header['unused.padding'] = { dtype: 'F32', shape: [pad / 4], data_offsets: [0, pad] };
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(join(dir, 'model.safetensors'), 'w');
    writeSync(fd, len, 0, 8, 0);
    writeSync(fd, json, 0, json.length, 8);
    ftruncateSync(fd, 8 + json.length + pad);
    writeSync(fd, buf, 8 + n, buf.length - 8 - n, 8 + json.length + pad);
    closeSync(fd);
    const engine = new Engine();
    try {
      await engine.load(dir);
      const plain = new Engine();
      await plain.load(src);
      const a = await engine.analyze(TEXT, { topK: 3 });
      const b = await plain.analyze(TEXT, { topK: 3 });
      await plain.dispose();
      assert.deepEqual(Array.from(a.topkIds), Array.from(b.topkIds));
      assert.deepEqual(Array.from(a.attentions[1]), Array.from(b.attentions[1]));
    } finally {
      await engine.dispose();
    }
  });

  test('the graph stays small: weights are external references, not copies', async () => {
    const { buildGPT2Graph } = await import('../src/engine/graph');
    const { openCheckpoint } = await import('../src/engine/model');
    const ckpt = openCheckpoint(await writeCheckpoint(join(tmp, 'graphsize'), TINY));
    const bytes = buildGPT2Graph(ckpt).length;
    assert.ok(bytes < 64 * 1024, `graph is ${bytes} bytes while the weights are ${ckpt.weights.file.fileSize}`);
  });
});
