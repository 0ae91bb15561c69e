// Samplers on fixed distributions: greedy, temperature, top-k, top-p, and the seeded PRNG.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, applyTemperature, keptIds, mulberry32, topKIds, samplerProblem, type SamplerOptions } from '../src/engine/sampler';

const probs = [0.05, 0.4, 0.1, 0.25, 0.2]; // sorted: 1 (0.4), 3 (0.25), 4 (0.2), 2 (0.1), 0 (0.05)
const logProbs = Float64Array.from(probs, Math.log);
const sample = (o: Partial<SamplerOptions>) => new Sampler({ strategy: 'sample', temperature: 1, topK: 0, topP: 1, seed: 0, ...o });

describe('samplers', () => {
  test('the PRNG is mulberry32 with fixed values for a seed (same stream on every platform)', () => {
    const r = mulberry32(0);
    const first = [r(), r(), r()];
    assert.deepEqual(first.map((v) => v * 2 ** 32), [1144304738, 1416247, 958946056]);
    const again = mulberry32(0);
    assert.deepEqual([again(), again(), again()], first);
    assert.notDeepEqual([mulberry32(1)(), mulberry32(1)()], first.slice(0, 2));
    for (let i = 0; i < 1000; i++) {
      const v = r();
      assert.ok(v >= 0 && v < 1);
    }
  });

  test('greedy picks the argmax, the smaller id among ties', () => {
    const g = new Sampler({ strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0 });
    assert.equal(g.choose(logProbs).id, 1);
    assert.equal(g.choose(Float64Array.from([0.3, 0.35, 0.35], Math.log)).id, 1);
  });

  test('top-k keeps exactly k', () => {
    const p = Float64Array.from(probs);
    for (let k = 1; k <= 5; k++) assert.deepEqual(keptIds(p, k, 1), [1, 3, 4, 2, 0].slice(0, k));
    // ties are broken by the smaller id, and k larger than the vocabulary keeps everything
    const tied = Float64Array.from([0.2, 0.3, 0.2, 0.3]);
    assert.deepEqual(topKIds(tied, 3), [1, 3, 0]);
    assert.deepEqual(keptIds(tied, 10, 1), [1, 3, 0, 2]);
    // on a large random distribution, the small-k path equals a full sort
    const r = mulberry32(3);
    const big = Float64Array.from({ length: 5000 }, () => r());
    const sorted = Array.from(big.keys()).sort((a, b) => big[b] - big[a] || a - b);
    assert.deepEqual(topKIds(big, 50), sorted.slice(0, 50));
    assert.deepEqual(topKIds(big, 300), sorted.slice(0, 300));
    // sampling only ever returns kept ids
    const s = sample({ topK: 2, seed: 9 });
    const seen = new Set(Array.from({ length: 200 }, () => s.choose(logProbs).id));
    assert.deepEqual([...seen].sort(), [1, 3]);
  });

  test('top-p keeps the smallest prefix of the sorted distribution whose mass reaches p', () => {
    const p = Float64Array.from(probs);
    assert.deepEqual(keptIds(p, 0, 0.4), [1]); // 0.4 reaches 0.4
    assert.deepEqual(keptIds(p, 0, 0.41), [1, 3]);
    assert.deepEqual(keptIds(p, 0, 0.65), [1, 3]); // 0.4 + 0.25 reaches 0.65 exactly
    assert.deepEqual(keptIds(p, 0, 0.66), [1, 3, 4]);
    assert.deepEqual(keptIds(p, 0, 0.95), [1, 3, 4, 2]);
    assert.deepEqual(keptIds(p, 0, 0.999), [1, 3, 4, 2, 0]);
    assert.deepEqual(keptIds(p, 0, 0.01), [1], 'always at least one token');
    assert.equal(keptIds(p, 0, 1), undefined, 'p = 1 is off');
    // after top-k, top-p works on the renormalised top-k mass: top-2 = 0.4, 0.25 → 0.615, 0.385
    assert.deepEqual(keptIds(p, 2, 0.6), [1]);
    assert.deepEqual(keptIds(p, 2, 0.7), [1, 3]);
    const s = sample({ topP: 0.66, seed: 4 });
    const seen = new Set(Array.from({ length: 300 }, () => s.choose(logProbs).id));
    assert.deepEqual([...seen].sort(), [1, 3, 4]);
  });

  test('temperature → 0 equals greedy; temperature 1 keeps the distribution; high temperature flattens it', () => {
    for (const t of [0, 1e-6, 1e-3]) {
      const s = sample({ temperature: t, seed: 7 });
      for (let i = 0; i < 50; i++) assert.equal(s.choose(logProbs).id, 1, `temperature ${t}`);
    }
    const same = applyTemperature(logProbs, 1);
    probs.forEach((p, i) => assert.ok(Math.abs(same[i] - p) < 1e-12));
    const flat = applyTemperature(logProbs, 1000);
    flat.forEach((p) => assert.ok(Math.abs(p - 0.2) < 1e-3));
  });

  test('sampling frequencies follow the distribution, and the same seed repeats', () => {
    const s = sample({ seed: 123 });
    const counts = new Array(5).fill(0);
    const n = 20000;
    const firstRun: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = s.choose(logProbs).id;
      counts[id]++;
      if (i < 50) firstRun.push(id);
    }
    counts.forEach((c, i) => assert.ok(Math.abs(c / n - probs[i]) < 0.015, `id ${i}: ${c / n} vs ${probs[i]}`));
    const again = sample({ seed: 123 });
    assert.deepEqual(Array.from({ length: 50 }, () => again.choose(logProbs).id), firstRun);
    const other = sample({ seed: 124 });
    assert.notDeepEqual(Array.from({ length: 50 }, () => other.choose(logProbs).id), firstRun);
  });

  test('the sampler probability is renormalised over the kept tokens', () => {
    const c = sample({ topK: 2, seed: 1 }).choose(logProbs);
    assert.ok([1, 3].includes(c.id));
    assert.ok(Math.abs(c.samplerProb - probs[c.id] / 0.65) < 1e-12);
    assert.equal(c.kept, 2);
  });

  test('bad options are named', () => {
    const ok: SamplerOptions = { strategy: 'sample', temperature: 1, topK: 0, topP: 1, seed: 0 };
    assert.equal(samplerProblem(ok), undefined);
    assert.equal(samplerProblem({ ...ok, temperature: -0.5 })?.option, 'temperature');
    assert.equal(samplerProblem({ ...ok, topK: -1 })?.option, 'top-k');
    assert.equal(samplerProblem({ ...ok, topK: 1.5 })?.option, 'top-k');
    assert.equal(samplerProblem({ ...ok, topP: 0 })?.option, 'top-p');
    assert.equal(samplerProblem({ ...ok, topP: 1.01 })?.option, 'top-p');
    assert.equal(samplerProblem({ ...ok, strategy: 'beam' as never })?.option, 'strategy');
    assert.equal(samplerProblem({ ...ok, seed: -1 })?.option, 'seed');
    assert.throws(() => sample({ topP: 2 }), /top-p/);
  });
});
