// The heatmap's zoom window and token-range geometry, and the Flow chart's axis ticks (pure functions).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  centreOn, clampViewport, ensureVisible, fullViewport, isZoomed, MIN_VISIBLE_TOKENS, panBy, parseTokenRange,
  tokenTickStep, viewportRange, visibleTokens, zoomAt, zoomFactor,
} from '../webview/panel/heatmapViewport';
import { niceTicks } from '../webview/panel/views/flowView';

const ALL = { start: 0, end: 1024 };

test('zoomAt keeps the token under the cursor where it is, within limits', () => {
  let v = fullViewport(ALL);
  const fx = 0.3, fy = 0.7;
  const k = v.k0 + fx * v.n, q = v.q0 + fy * v.n;
  v = zoomAt(v, ALL, 4, fx, fy);
  assert.equal(v.n, 256);
  assert.ok(Math.abs(v.k0 + fx * v.n - k) < 1e-9 && Math.abs(v.q0 + fy * v.n - q) < 1e-9);
  assert.equal(zoomFactor(v, ALL), 4);
  assert.ok(isZoomed(v, ALL));
  // Zooming in stops at MIN_VISIBLE_TOKENS across; out, at the whole range (never past the edges).
  for (let i = 0; i < 50; i++) v = zoomAt(v, ALL, 2, 0.99, 0.01);
  assert.equal(v.n, MIN_VISIBLE_TOKENS);
  for (let i = 0; i < 50; i++) v = zoomAt(v, ALL, 0.5, 0.1, 0.9);
  assert.deepEqual(v, fullViewport(ALL));
  assert.ok(!isZoomed(v, ALL));
  // Near an edge the window is pushed back inside.
  v = zoomAt(fullViewport(ALL), ALL, 8, 1, 1);
  assert.equal(v.k0 + v.n, 1024);
  assert.equal(v.q0 + v.n, 1024);
});

test('pan, centre and ensureVisible stay inside the range (also a cropped one)', () => {
  const r = { start: 100, end: 300 };
  let v = zoomAt(fullViewport(r), r, 4);
  assert.equal(v.n, 50);
  v = panBy(v, r, -1000, 0);
  assert.equal(v.k0, 100);
  v = panBy(v, r, 30, 1000);
  assert.equal(v.k0, 130);
  assert.equal(v.q0, 250);
  v = centreOn(v, r, 200, 200);
  assert.deepEqual([v.k0, v.q0], [175, 175]);
  v = ensureVisible(v, r, 260, 120);
  assert.ok(v.q0 + v.n >= 261 && v.q0 <= 260 && v.k0 <= 120 && v.k0 + v.n >= 121, JSON.stringify(v));
  assert.deepEqual(clampViewport({ k0: -5, q0: 999, n: 5 }, r), { k0: 100, q0: 292, n: 8 });
  // A range shorter than the minimum zoom shows whole.
  assert.deepEqual(clampViewport({ k0: 0, q0: 0, n: 1 }, { start: 3, end: 6 }), { k0: 3, q0: 3, n: 3 });
});

test('visible tokens and the crop of the view', () => {
  const v = { k0: 10.5, q0: 40, n: 20 };
  assert.deepEqual(visibleTokens(v), { k: [10, 30], q: [40, 59] });
  assert.deepEqual(viewportRange(v), { start: 10, end: 60 });
});

test('parseTokenRange: inclusive ends in any order and separator; clear errors', () => {
  assert.deepEqual(parseTokenRange('100-300', 1024), { start: 100, end: 301 });
  assert.deepEqual(parseTokenRange(' 300 – 100 ', 1024), { start: 100, end: 301 });
  assert.deepEqual(parseTokenRange('#5:9', 20), { start: 5, end: 10 });
  assert.deepEqual(parseTokenRange('0 19', 20), { start: 0, end: 20 });
  assert.match(parseTokenRange('0-20', 20) as string, /from 0 to 19/);
  assert.match(parseTokenRange('7-7', 20) as string, /at least two tokens/);
  assert.match(parseTokenRange('abc', 20) as string, /two token numbers/);
});

test('token tick steps are 1, 2 or 5 × 10^n and at least the wanted spacing', () => {
  for (const px of [0.1, 0.34, 0.5, 1, 3.3, 7, 40]) {
    const step = tokenTickStep(px, 34);
    assert.ok(step * px >= 34, `${step} at ${px} px/token`);
    assert.match(String(step), /^[125]0*$/);
    const smaller = String(step)[0] === '1' ? step / 2 : String(step)[0] === '2' ? step / 2 : (step * 2) / 5;
    assert.ok(smaller < 1 || smaller * px < 34, `${step} is the smallest step at ${px} px/token`);
  }
});

test('Flow ticks: round steps (0.1, 0.25, …) from 0 to just above the data', () => {
  for (const max of [0.013, 0.05, 0.12, 0.26, 0.38, 0.5, 0.62, 0.9, 1]) {
    const t = niceTicks(max, 5);
    assert.ok([0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1].includes(t.step), `step ${t.step}`);
    assert.ok(t.max >= max - 1e-12 && t.max - t.step < max, `max ${t.max} for ${max}`);
    assert.ok(t.values.length - 1 <= 5 && t.values[0] === 0);
    for (const v of t.values) {
      assert.ok(Math.abs(v / t.step - Math.round(v / t.step)) < 1e-9, `${v} is a multiple of ${t.step}`);
      // Labels show the value exactly: no 0.13 for 0.125.
      assert.equal(Number(v.toFixed(t.decimals)), v);
    }
  }
  assert.deepEqual(niceTicks(0.5, 5).values, [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(niceTicks(0.62, 4).values, [0, 0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(0.62, 3).values, [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(niceTicks(NaN).values, [0, 0.01, 0.02, 0.03, 0.04, 0.05]);
});

test('the heatmap crop is persisted, validated on restore, and dropped for another analysis', async () => {
  const { clampState, restoreState } = await import('../webview/panel/state');
  const s = restoreState({ version: 1, analysisId: 4, heatmapRange: { start: 10, end: 50 } });
  assert.deepEqual(s.heatmapRange, { start: 10, end: 50 });
  assert.equal(restoreState({ version: 1, heatmapRange: { start: 10, end: 11 } }).heatmapRange, null, 'one token is no range');
  assert.equal(restoreState({ version: 1, heatmapRange: { start: -1, end: 5 } as never }).heatmapRange, null);
  clampState(s, { analysisId: 4, T: 60, L: 2, H: 2 });
  assert.deepEqual(s.heatmapRange, { start: 10, end: 50 }, 'the same analysis (webview reload) keeps it');
  clampState(s, { analysisId: 4, T: 40, L: 2, H: 2 });
  assert.equal(s.heatmapRange, null, 'a range past the end is dropped');
  s.heatmapRange = { start: 0, end: 5 };
  clampState(s, { analysisId: 5, T: 60, L: 2, H: 2 });
  assert.equal(s.heatmapRange, null, 'a new analysis is another text');
});

test('heatmap images: the mean over heads read straight from the layer matches the mean matrix; pooling skips masked cells', async () => {
  const { fillPooledImage, fillRangeImage, weightAt } = await import('../webview/panel/heatmapImage');
  const T = 9, H = 3;
  const values = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) values[(h * T + q) * T + k] = ((h + 1) * (q + 2 * k + 1)) % 7 / 7;
  const mean = new Float32Array(T * T);
  for (let i = 0; i < T * T; i++) mean[i] = (values[i] + values[T * T + i] + values[2 * T * T + i]) / H;
  const multi = { values, offset: 0, scale: 1 / H, T, heads: H };
  const single = { values: mean, offset: 0, scale: 1, T };
  for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) assert.ok(Math.abs(weightAt(multi, q, k) - mean[q * T + k]) < 1e-6);
  const image = (n: number) => ({ data: new Uint8ClampedArray(n * n * 4), width: n, height: n }) as unknown as ImageData;
  const a = image(5), b = image(5);
  fillRangeImage(a, multi, 2, 7, 0.5, [1, 2, 3]);
  fillRangeImage(b, single, 2, 7, 0.5, [1, 2, 3]);
  assert.deepEqual(a.data, b.data);
  assert.deepEqual(Array.from(a.data.slice(4, 8)), [1, 2, 3, 255], 'above the diagonal: the masked colour');
  // 9 tokens into 3×3 pixels: the top-right pixel covers only masked cells, the diagonal ones both kinds.
  const p = image(3), r = image(3);
  fillPooledImage(p, multi, 0, T, 3, 1, [1, 2, 3]);
  fillPooledImage(r, single, 0, T, 3, 1, [1, 2, 3]);
  assert.deepEqual(p.data, r.data);
  assert.deepEqual(Array.from(p.data.slice(8, 12)), [1, 2, 3, 255]);
  assert.notDeepEqual(Array.from(p.data.slice(0, 3)), [1, 2, 3]);
});
