import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfileResult } from '../src/extension/profileFile';

function stats(layers: number) {
  const perLayer = Array.from({ length: layers }, () => 0);
  return {
    histograms: perLayer.map(() => ({ edges: [0, 1], density: [1] })),
    meanLogNorm: perLayer, sdLogNorm: perLayer, positionHeatmap: perLayer.map(() => [1]),
    positionRegression: { n: 1, beta0: perLayer, beta1: perLayer, observed: [], fitted: [] },
    autoregression: { beta0: perLayer, beta1: perLayer, beta2: perLayer },
  };
}

function result(layers = 2) {
  return {
    version: 1, model: { name: 'tiny', layers, heads: 2, embd: 8, vocab: 10, ctx: 16, dtype: 'F32' },
    source: 'x.jsonl (field text)', createdAt: '2024-01-01T00:00:00Z', complete: true, lengths: [3, 4],
    truncatedCount: 0, excludeFirst: stats(layers), includeFirst: stats(layers),
    headStats: Array.from({ length: layers }, () => [[0, 0, 0, 0], [0, 0, 0, 0]]),
  };
}

test('parseProfileResult accepts a well-formed result', () => {
  const r = parseProfileResult(JSON.stringify(result()));
  assert.equal(r.model.layers, 2);
  assert.deepEqual(r.lengths, [3, 4]);
});

test('parseProfileResult names the problem', () => {
  assert.throws(() => parseProfileResult('{', 'a.json'), /a\.json is not valid JSON/);
  assert.throws(() => parseProfileResult('[]'), /expected a JSON object/);
  assert.throws(() => parseProfileResult(JSON.stringify({ ...result(), version: 2 })), /unsupported version 2/);
  const bad = result();
  bad.excludeFirst.meanLogNorm = [0];
  assert.throws(() => parseProfileResult(JSON.stringify(bad)), /excludeFirst\.meanLogNorm" should have one entry per layer \(2\)/);
  const noHeads = { ...result(), headStats: [] };
  assert.throws(() => parseProfileResult(JSON.stringify(noHeads)), /headStats/);
});
