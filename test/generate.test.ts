// Generation with the key/value cache and incremental analysis, against the float64 reference forward and
// against the full-sequence graph, on generated HF-layout checkpoints (random weights).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, generateWeights, configOf, TINY, type CheckpointSpec } from './fixtures/checkpoint';
import { referenceForward, topIndices } from './reference';
import { Engine } from '../src/engine/engine';
import { generate, type GenerationResult } from '../src/engine/generate';
import { IncrementalAnalyzer } from '../src/engine/incremental';
import { KVCache } from '../src/engine/kvcache';
import { encodeSafetensors, type WriteTensor } from '../src/engine/safetensors';
import type { Analysis } from '../src/engine/types';

const PROMPT = 'The dog on the ship ran, and the motor';
const tmp = mkdtempSync(join(tmpdir(), 'ai-generate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec: CheckpointSpec = { ...TINY, seed: 11 };
const weights = generateWeights(spec);
const reference = (ids: number[]) => referenceForward(configOf(spec), { get: (n) => Float64Array.from(weights.get(n)!.data) }, ids);

let engine: Engine;
let dir: string;
before(async () => {
  dir = await writeCheckpoint(join(tmp, 'tiny'), spec);
  engine = new Engine();
  await engine.load(dir);
});
after(() => engine.dispose());

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length, 'same length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Two analyses of the same tokens agree: attention ≤ 1e-5, norms ≤ 1e-4 relative, identical top-k ids. */
function assertSameAnalysis(got: Analysis, want: Analysis, label: string) {
  assert.deepEqual(got.tokens.map((t) => t.id), want.tokens.map((t) => t.id), `${label}: token ids`);
  assert.equal(got.length, want.length);
  for (let l = 0; l < got.model.layers; l++) assert.ok(maxDiff(got.attentions[l], want.attentions[l]) <= 1e-5, `${label}: attention of layer ${l}`);
  for (let i = 0; i < got.attnOutNorms.length; i++) {
    const rel = Math.abs(got.attnOutNorms[i] - want.attnOutNorms[i]) / Math.abs(want.attnOutNorms[i]);
    assert.ok(rel <= 1e-4, `${label}: norm ${i}: ${got.attnOutNorms[i]} vs ${want.attnOutNorms[i]}`);
  }
  assert.equal(got.topK, want.topK);
  assert.deepEqual(Array.from(got.topkIds), Array.from(want.topkIds), `${label}: top-k ids`);
  assert.ok(maxDiff(got.topkProbs, want.topkProbs) <= 1e-5, `${label}: top-k probabilities`);
  for (let t = 0; t < got.length; t++) {
    if (t + 1 === got.length) assert.ok(Number.isNaN(got.nextTokenLogProb[t]), `${label}: last position has no next token`);
    else assert.ok(Math.abs(got.nextTokenLogProb[t] - want.nextTokenLogProb[t]) <= 1e-4, `${label}: next-token log-prob at ${t}`);
  }
}

describe('decoding graph', () => {
  test('prefill (P = 0) equals the analysis graph', async () => {
    const full = await engine.analyze(PROMPT, { topK: 5 });
    const inc = await new IncrementalAnalyzer(engine).analyze(PROMPT, { topK: 5 });
    assert.equal(inc.incremental.reusedTokens, 0);
    assertSameAnalysis(inc, full, 'prefill');
  });

  test('a step against the cache equals the last row of a full forward (float64 reference)', async () => {
    const ids = engine.tokenize(PROMPT).tokens.map((t) => t.id);
    const cache = new KVCache(engine, 3);
    await cache.append(ids.slice(0, 4));
    const chunk = await cache.append(ids.slice(4, 7)); // three new tokens at positions 4…6 against P = 4
    const ref = reference(ids.slice(0, 7));
    const { heads: H, layers: L } = engine.loaded!.info;
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 7; j++) {
            const got = chunk.attentions[l][(h * 3 + i) * 7 + j];
            assert.ok(Math.abs(got - ref.attentions[l][h][(4 + i) * 7 + j]) <= 1e-5, `l${l} h${h} row ${4 + i} key ${j}`);
          }
        }
      }
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(chunk.attnOutNorms[l * 3 + i] / ref.attnOutNorms[l][4 + i] - 1) <= 1e-4);
    }
    for (let v = 0; v < 50257; v += 997) assert.ok(Math.abs(chunk.lastLogProbs[v] - ref.logProbs[6][v]) <= 1e-4, `last log-prob of ${v}`);
    assert.deepEqual(Array.from(chunk.topkIds.subarray(6, 9)), topIndices(ref.logProbs[6], 3));
  });
});

describe('generation', () => {
  let cached: GenerationResult;
  let uncached: GenerationResult;
  const streamed: number[] = [];
  before(async () => {
    cached = await generate(engine, PROMPT, { maxNewTokens: 12, candidates: 5 }, (s) => streamed.push(s.id));
    uncached = await generate(engine, PROMPT, { maxNewTokens: 12, candidates: 5, cache: false });
  });

  test('greedy tokens with and without the cache are identical, and follow the reference argmax', () => {
    assert.equal(cached.steps.length, 12);
    assert.equal(cached.stopReason, 'max-new-tokens');
    assert.deepEqual(cached.steps.map((s) => s.id), uncached.steps.map((s) => s.id));
    assert.deepEqual(streamed, cached.steps.map((s) => s.id), 'every step was reported as it happened');
    assert.equal(cached.cache, true);
    assert.equal(uncached.cache, false);
    const ids = [...cached.prompt.map((t) => t.id), ...cached.steps.map((s) => s.id)];
    const ref = reference(ids);
    const P = cached.prompt.length;
    cached.steps.forEach((s, i) => {
      const row = ref.logProbs[P + i - 1];
      assert.equal(s.id, topIndices(row, 1)[0], `step ${i} is the argmax`);
      assert.equal(s.rank, 1);
      assert.ok(Math.abs(s.prob - Math.exp(row[s.id])) <= 1e-5);
      assert.deepEqual(s.topk.map((c) => c.id), topIndices(row, 5));
      assert.equal(s.topk[0].id, s.id);
      assert.equal(s.context, P + i + 1);
    });
  });

  test("each cached step's attention row equals the last row of a full forward over the same prefix", () => {
    const ids = [...cached.prompt.map((t) => t.id), ...cached.steps.map((s) => s.id)];
    const ref = reference(ids);
    const { heads: H, layers: L } = engine.loaded!.info;
    const P = cached.prompt.length;
    const T = ids.length;
    cached.steps.forEach((s, i) => {
      const q = P + i;
      for (let l = 0; l < L; l++) {
        assert.equal(s.attention![l].length, H * (q + 1));
        for (let h = 0; h < H; h++) {
          let sum = 0;
          for (let j = 0; j <= q; j++) {
            const got = s.attention![l][h * (q + 1) + j];
            sum += got;
            assert.ok(Math.abs(got - ref.attentions[l][h][q * T + j]) <= 1e-5, `step ${i} l${l} h${h} key ${j}`);
          }
          assert.ok(Math.abs(sum - 1) < 1e-5);
        }
        assert.ok(maxDiff(s.attention![l], uncached.steps[i].attention![l]) <= 1e-5, 'cached row = uncached row');
      }
    });
  });

  test('the assembled analysis equals a full run over prompt + generated tokens', async () => {
    const a = cached.analysis();
    const ids = a.tokens.map((t) => t.id);
    assert.equal(a.length, cached.prompt.length + 12);
    const full = await engine.runBatch([ids], { lmHead: true, topK: 5 });
    const want: Analysis = {
      ...a, attentions: full.attentions, attnOutNorms: full.attnOutNorms, topkIds: full.topkIds!, topkProbs: full.topkProbs!, nextTokenLogProb: full.nextLogProb!,
    };
    assertSameAnalysis(a, want, 'assembled');
    assertSameAnalysis(uncached.analysis(), want, 'assembled without cache');
    // token ranges cover prompt + generated text exactly
    const text = cached.promptText + cached.text;
    assert.equal(a.tokens.map((t) => text.slice(t.start, t.end)).join(''), text);
    assert.equal(a.tokens.at(-1)!.end, text.length);
  });

  test('seeded sampling repeats; different seeds differ', async () => {
    const opts = { strategy: 'sample' as const, temperature: 1.5, maxNewTokens: 10, attentions: false };
    const a = await generate(engine, PROMPT, { ...opts, seed: 42 });
    const b = await generate(engine, PROMPT, { ...opts, seed: 42 });
    const c = await generate(engine, PROMPT, { ...opts, seed: 43 });
    const d = await generate(engine, PROMPT, { ...opts, seed: 42, cache: false });
    const idsOf = (r: GenerationResult) => r.steps.map((s) => s.id);
    assert.deepEqual(idsOf(a), idsOf(b));
    assert.deepEqual(idsOf(a), idsOf(d), 'the cache does not change sampled tokens');
    assert.notDeepEqual(idsOf(a), idsOf(c));
    assert.ok(a.steps.some((s) => s.rank > 1), 'sampling at temperature 1.5 does not always pick the argmax');
    assert.equal(a.steps[0].attention, undefined, 'attention rows only when asked');
  });

  test('top-k 1 and temperature 0 sampling equal greedy', async () => {
    const greedy = cached.steps.map((s) => s.id);
    const k1 = await generate(engine, PROMPT, { strategy: 'sample', topK: 1, seed: 5, maxNewTokens: 12, attentions: false });
    const t0 = await generate(engine, PROMPT, { strategy: 'sample', temperature: 0, seed: 5, maxNewTokens: 12, attentions: false });
    assert.deepEqual(k1.steps.map((s) => s.id), greedy);
    assert.deepEqual(t0.steps.map((s) => s.id), greedy);
  });

  test('a stop string ends generation and is left out of the text', async () => {
    const free = cached.text;
    // the text generated up to the 4th token is a stop string that first occurs there
    const upTo = engine.loaded!.tokenizer.decode(cached.steps.slice(0, 4).map((s) => s.id));
    const stop = upTo.slice(-2);
    const r = await generate(engine, PROMPT, { maxNewTokens: 12, stop });
    assert.equal(r.stopReason, 'stop-string');
    assert.ok(r.steps.length <= 4);
    assert.equal(r.text, free.slice(0, free.indexOf(stop)));
    assert.ok(!r.text.includes(stop));
  });

  test('a full context stops and says so', async () => {
    // TINY has a 64-token context: a 60-token prompt leaves room for 4 new tokens
    const prompt = ' the'.repeat(60);
    const n = engine.tokenize(prompt).tokens.length;
    assert.ok(n < 64, `prompt of ${n} tokens`);
    const r = await generate(engine, prompt, { maxNewTokens: 100 });
    assert.equal(r.stopReason, 'context-full');
    assert.equal(r.steps.length, 64 - n);
    assert.equal(r.analysis().length, 64);
    const full = ' the'.repeat(64);
    await assert.rejects(generate(engine, full, {}), /prompt: already fills the model context/);
  });

  test('cancel ends with "cancelled" and keeps the steps so far', async () => {
    const controller = new AbortController();
    const r = await generate(engine, PROMPT, { maxNewTokens: 30 }, (s) => s.index === 2 && controller.abort(), controller.signal);
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(r.steps.length, 3);
    assert.equal(r.analysis().length, r.prompt.length + 3);
  });

  test('bad options are clear errors', async () => {
    const cases: [object, RegExp][] = [
      [{ temperature: -1 }, /--temperature: must be a number ≥ 0/],
      [{ topP: 0 }, /--top-p: must be in \(0, 1\]/],
      [{ topP: 1.5 }, /--top-p/],
      [{ topK: -1 }, /--top-k: must be an integer ≥ 0/],
      [{ maxNewTokens: 0 }, /--max-new-tokens: must be an integer ≥ 1/],
      [{ strategy: 'beam' }, /--strategy: must be greedy or sample/],
    ];
    for (const [opts, message] of cases) await assert.rejects(generate(engine, PROMPT, opts), message);
    await assert.rejects(generate(engine, '', {}), /the text is empty/);
  });
});

describe('end of text', () => {
  test('<|endoftext|> stops generation', async () => {
    // A checkpoint whose final layer norm is the constant ln_f.bias and whose <|endoftext|> embedding points
    // along it: every position predicts <|endoftext|> (id 50256) first.
    const eosDir = join(tmp, 'eos');
    cpSync(dir, eosDir, { recursive: true });
    const w = generateWeights(spec);
    const D = spec.n_embd;
    w.get('ln_f.weight')!.data.fill(0);
    const bias = w.get('ln_f.bias')!.data;
    const wte = w.get('wte.weight')!.data;
    for (let d = 0; d < D; d++) wte[50256 * D + d] = bias[d] * 1000;
    const tensors: WriteTensor[] = [...w].map(([name, { shape, data }]) => ({ name, dtype: 'F32', shape, data }));
    writeFileSync(join(eosDir, 'model.safetensors'), Buffer.concat(encodeSafetensors(tensors)));
    const e = new Engine();
    try {
      await e.load(eosDir);
      const r = await generate(e, PROMPT, { maxNewTokens: 10 });
      assert.equal(r.stopReason, 'eos');
      assert.equal(r.steps.length, 1);
      assert.equal(r.steps[0].id, 50256);
      assert.equal(r.steps[0].token, '<|endoftext|>');
    } finally {
      await e.dispose();
    }
  });
});

describe('incremental analysis', () => {
  test('extending the text runs only the new tokens and equals a full run', async () => {
    const inc = new IncrementalAnalyzer(engine);
    const first = await inc.analyze(PROMPT, { topK: 4 });
    assert.deepEqual(first.incremental, { reusedTokens: 0, newTokens: first.length });
    const longer = PROMPT + ' on the ship hummed too. The sea was calm';
    const second = await inc.analyze(longer, { topK: 4 });
    assert.equal(second.incremental.reusedTokens, first.length);
    assert.equal(second.incremental.newTokens, second.length - first.length);
    assertSameAnalysis(second, await engine.analyze(longer, { topK: 4 }), 'incremental');
    // against the float64 reference as well
    const ref = reference(second.tokens.map((t) => t.id));
    const T = second.length;
    for (let l = 0; l < 2; l++) for (let h = 0; h < 4; h++) {
      for (let i = 0; i < T * T; i++) assert.ok(Math.abs(second.attentions[l][h * T * T + i] - ref.attentions[l][h][i]) <= 1e-5);
    }
    // and once more on top of the extension
    const third = await inc.analyze(longer + ' and still', { topK: 4 });
    assert.equal(third.incremental.reusedTokens, second.length);
    assertSameAnalysis(third, await engine.analyze(longer + ' and still', { topK: 4 }), 'second extension');
  });

  test('an edit before the end, or a different top-k, is a full run', async () => {
    const inc = new IncrementalAnalyzer(engine);
    await inc.analyze(PROMPT + ' ran', { topK: 4 });
    const edited = await inc.analyze('A cat' + PROMPT.slice(3) + ' ran far', { topK: 4 });
    assert.equal(edited.incremental.reusedTokens, 0);
    assertSameAnalysis(edited, await engine.analyze('A cat' + PROMPT.slice(3) + ' ran far', { topK: 4 }), 'after an edit');
    const otherK = await inc.analyze('A cat' + PROMPT.slice(3) + ' ran far away', { topK: 6 });
    assert.equal(otherK.incremental.reusedTokens, 0);
  });

  test('when the last tokens change (typing "ca" → "cat"), the common prefix but one token is reused', async () => {
    const inc = new IncrementalAnalyzer(engine);
    const a = await inc.analyze(PROMPT + ' and the ca', { topK: 4 });
    const b = await inc.analyze(PROMPT + ' and the cat', { topK: 4 });
    const common = a.tokens.findIndex((t, i) => t.id !== b.tokens[i]?.id);
    assert.ok(common > 1, 'the texts share a prefix of tokens and then differ');
    assert.deepEqual(b.incremental, { reusedTokens: common - 1, newTokens: b.length - common + 1 });
    assertSameAnalysis(b, await engine.analyze(PROMPT + ' and the cat', { topK: 4 }), 'retokenized end');
    // deleting at the end works the same way
    const c = await inc.analyze(PROMPT + ' and', { topK: 4 });
    assert.ok(c.incremental.reusedTokens > 0);
    assertSameAnalysis(c, await engine.analyze(PROMPT + ' and', { topK: 4 }), 'shortened');
    // and an edit in the middle keeps the tokens before it
    const d = await inc.analyze(PROMPT.replace('ship', 'boat') + ' and', { topK: 4 });
    assert.ok(d.incremental.reusedTokens > 0 && d.incremental.reusedTokens < c.length);
    assertSameAnalysis(d, await engine.analyze(PROMPT.replace('ship', 'boat') + ' and', { topK: 4 }), 'edit in the middle');
  });

  test('the same text again reuses everything', async () => {
    const inc = new IncrementalAnalyzer(engine);
    const a = await inc.analyze(PROMPT, { topK: 4 });
    const b = await inc.analyze(PROMPT, { topK: 4 });
    assert.deepEqual(b.incremental, { reusedTokens: a.length, newTokens: 0 });
    assertSameAnalysis(b, a, 'same text');
  });

  test('a cancelled extension leaves the cache as it was', async () => {
    const inc = new IncrementalAnalyzer(engine);
    const a = await inc.analyze(PROMPT, { topK: 4 });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(inc.analyze(PROMPT + ' again', { topK: 4 }, controller.signal), /cancelled/);
    assert.equal(inc.cachedIds.length, a.length);
    const b = await inc.analyze(PROMPT + ' again', { topK: 4 });
    assert.equal(b.incremental.reusedTokens, a.length);
  });
});
