// Every statistic in src/engine/stats.ts is compared with a deliberately naive float64 reference written
// here (plain loops, a different code path), with hand-derived numpy results, and with exact synthetic data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateHeadStats, buildProfileResult, fdHistogram, flowStats, headStats, heatmapLimits, layerMean, leastSquares,
  meanAndSd, percentile, profileChartCsv, profileStats, quantizeU8, sequenceHeadStats, thumbnails, thumbnailValue,
  toCsv, topAttended, PROFILE_CHARTS, type NormSequence,
} from '../src/engine/stats';
import type { ModelInfo, ProfileSequence } from '../src/engine/types';
import { rng } from './fixtures/random';

// ------------------------------------------------------------------ helpers


function close(actual: number, expected: number, tol: number, what = ''): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol * scale, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

function closeArray(actual: ArrayLike<number | null>, expected: ArrayLike<number | null>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (e === null || a === null) assert.equal(a, e, `${what}[${i}]`);
    else close(a, e, tol, `${what}[${i}]`);
  }
}

/** [H, T, T] causal attention built from a row function. */
function makeLayer(H: number, T: number, row: (h: number, t: number, k: number) => number): Float32Array {
  const a = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let k = 0; k <= t; k++) a[(h * T + t) * T + k] = row(h, t, k);
  return a;
}
const uniformCausal = (_h: number, t: number) => 1 / (t + 1);
const identity = (_h: number, t: number, k: number) => (k === t ? 1 : 0);
const previousToken = (_h: number, t: number, k: number) => (t === 0 ? 1 : k === t - 1 ? 1 : 0);

/** Random causal attention rows (softmax of random scores) for L layers. */
function randomAttention(L: number, H: number, T: number, seed: number): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(L * H * T * T);
  for (let m = 0; m < L * H; m++) {
    for (let t = 0; t < T; t++) {
      const scores = Array.from({ length: t + 1 }, () => Math.exp(4 * r()));
      const z = scores.reduce((s, v) => s + v, 0);
      for (let k = 0; k <= t; k++) a[m * T * T + t * T + k] = scores[k] / z;
    }
  }
  return a;
}

// ------------------------------------------------------------------ naive references

function naivePercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function naiveFdHistogram(values: number[]): { edges: number[]; density: number[]; counts: number[] } {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const iqr = naivePercentile(values, 75) - naivePercentile(values, 25);
  const width = (2 * iqr) / Math.cbrt(values.length);
  const bins = width > 0 ? Math.ceil((hi - lo) / width) : 1;
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) edges.push(lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    for (let b = 0; b < bins; b++) {
      const last = b === bins - 1;
      if (v >= edges[b] && (v < edges[b + 1] || (last && v <= edges[b + 1]))) {
        counts[b]++;
        break;
      }
    }
  }
  const density = counts.map((c, b) => c / (edges[b + 1] - edges[b]) / values.length);
  return { edges, density, counts };
}

function det3(m: number[][]): number {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
    - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/** Uncentred normal equations X'X b = X'y solved by Cramer's rule (k = 2 or 3 columns incl. the 1s). */
function naiveOls(X: number[][], y: number[]): number[] {
  const k = X[0].length;
  const A = Array.from({ length: 3 }, (_, i) => Array.from({ length: 3 }, (_, j) => (i === j && i >= k ? 1 : 0)));
  const b = [0, 0, 0];
  for (let r = 0; r < X.length; r++) {
    for (let i = 0; i < k; i++) {
      b[i] += X[r][i] * y[r];
      for (let j = 0; j < k; j++) A[i][j] += X[r][i] * X[r][j];
    }
  }
  const d = det3(A);
  const out: number[] = [];
  for (let c = 0; c < k; c++) {
    const Ac = A.map((row, i) => row.map((v, j) => (j === c ? b[i] : v)));
    out.push(det3(Ac) / d);
  }
  return out;
}

interface NaiveProfile {
  logs: number[][];
  mean: number[];
  sd: number[];
  heat: (number | null)[][];
  posBeta: number[][];
  observed: (number | null)[][];
  arBeta: number[][];
  arRows: number[];
}

function naiveProfile(seqs: NormSequence[], L: number, includeFirst: boolean, N: number): NaiveProfile {
  const first = includeFirst ? 0 : 1;
  const P = Math.max(0, ...seqs.map((s) => s.length));
  const out: NaiveProfile = { logs: [], mean: [], sd: [], heat: [], posBeta: [], observed: [], arBeta: [], arRows: [] };
  for (let l = 0; l < L; l++) {
    const logs: number[] = [];
    for (const s of seqs) for (let t = first; t < s.length; t++) logs.push(Math.log(s.attnOutNorms[l * s.length + t]));
    let sum = 0;
    for (const v of logs) sum += v;
    const mean = sum / logs.length;
    let ss = 0;
    for (const v of logs) ss += (v - mean) * (v - mean);
    out.logs.push(logs);
    out.mean.push(mean);
    out.sd.push(Math.sqrt(ss / logs.length));

    const heat: (number | null)[] = [];
    for (let p = 0; p < P; p++) {
      let total = 0;
      let count = 0;
      for (const s of seqs) {
        if (p >= first && p < s.length) {
          total += s.attnOutNorms[l * s.length + p];
          count++;
        }
      }
      heat.push(count > 0 ? total / count : null);
    }
    out.heat.push(heat);

    const X: number[][] = [];
    const y: number[] = [];
    const observed: (number | null)[] = [];
    for (let x = first; x < first + N; x++) {
      const v = x < P ? heat[x] : null;
      observed.push(v === null ? null : Math.log(v));
      if (v !== null) {
        X.push([1, x]);
        y.push(Math.log(v));
      }
    }
    out.observed.push(observed);
    out.posBeta.push(naiveOls(X, y));

    const XA: number[][] = [];
    const yA: number[] = [];
    for (const s of seqs) {
      const valid: number[] = [];
      for (let t = first; t < s.length; t++) valid.push(s.attnOutNorms[l * s.length + t]);
      for (let i = 2; i < valid.length; i++) {
        XA.push([1, Math.log(valid[i - 1]), Math.log(valid[i - 2])]);
        yA.push(Math.log(valid[i]));
      }
    }
    out.arRows.push(XA.length);
    out.arBeta.push(naiveOls(XA, yA));
  }
  return out;
}

function naiveHeadStats(layer: Float32Array, H: number, T: number): number[][] {
  const out: number[][] = [];
  for (let h = 0; h < H; h++) {
    const p = (t: number, k: number) => layer[h * T * T + t * T + k];
    let ent = 0;
    let dist = 0;
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < T; k++) {
        if (p(t, k) > 0) ent += -p(t, k) * Math.log(p(t, k));
        dist += p(t, k) * (t - k);
      }
    }
    let sink = 0;
    let prev = 0;
    for (let t = 1; t < T; t++) {
      sink += p(t, 0);
      prev += p(t, t - 1);
    }
    out.push(T <= 1 ? [0, 0, 0, 0] : [ent / T, sink / (T - 1), prev / (T - 1), dist / T]);
  }
  return out;
}

/** Random ragged sequences of positive norms (log-normal around a layer- and position-dependent level). */
function randomSequences(L: number, lengths: number[], seed: number): NormSequence[] {
  const r = rng(seed);
  return lengths.map((length) => {
    const norms = new Float32Array(L * length);
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < length; t++) norms[l * length + t] = Math.exp(0.3 * l - 0.02 * t + (r() - 0.5) + (t === 0 ? 4 : 0));
    }
    return { length, attnOutNorms: norms };
  });
}

// ------------------------------------------------------------------ percentile and histogram

test('percentile matches numpy linear interpolation (hand values and naive reference)', () => {
  assert.equal(percentile([1, 2, 3, 4], 25), 1.75);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([4, 1, 3, 2], 100), 4);
  assert.equal(percentile([4, 1, 3, 2], 0), 1);
  assert.equal(percentile([10], 37), 10);
  assert.equal(percentile([1, 2, 2, 3, 10], 75), 3);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), /\[0, 100\]/);
  const r = rng(1);
  const values = Array.from({ length: 97 }, () => r() * 10 - 3);
  for (const p of [0, 1, 5, 12.5, 25, 50, 75, 95, 99.9, 100]) close(percentile(values, p), naivePercentile(values, p), 1e-12, `p${p}`);
});

test("fdHistogram reproduces np.histogram(x, bins='fd', density=True) on hand-worked examples", () => {
  // np.histogram([1,2,2,3,10], 'fd'): IQR = 3 - 2 = 1, h = 2·5^(-1/3) = 1.1696, ceil(9/h) = 8 bins of 1.125.
  const h1 = fdHistogram([1, 2, 2, 3, 10]);
  closeArray(h1.edges, [1, 2.125, 3.25, 4.375, 5.5, 6.625, 7.75, 8.875, 10], 1e-15, 'edges');
  closeArray(h1.density, [3, 1, 0, 0, 0, 0, 0, 1].map((c) => c / 1.125 / 5), 1e-15, 'density');
  // 0..9: IQR 6.75 - 2.25 = 4.5, h = 9·10^(-1/3) = 4.177, 3 bins of width 3; 3 and 6 fall right, 9 in the last.
  const h2 = fdHistogram([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.deepEqual(h2.edges, [0, 3, 6, 9]);
  closeArray(h2.density, [0.1, 0.1, 4 / 30], 1e-15, 'density');
  // IQR 0 → one bin over the data range.
  const h3 = fdHistogram([1, 1, 1, 1, 5]);
  assert.deepEqual(h3.edges, [1, 5]);
  assert.deepEqual(h3.density, [0.25]);
  // All equal → range widened by ±0.5.
  assert.deepEqual(fdHistogram([5, 5, 5]), { edges: [4.5, 5.5], density: [1] });
  assert.deepEqual(fdHistogram([]), { edges: [], density: [] });
  assert.throws(() => fdHistogram([1, Infinity]), /not finite/);
});

test('fdHistogram agrees with a naive reference on random data and integrates to 1', () => {
  for (const seed of [2, 3, 4]) {
    const r = rng(seed);
    const values = Array.from({ length: 500 + seed * 137 }, () => Math.log(r() * 5 + 0.01) + (r() < 0.1 ? 3 : 0));
    const got = fdHistogram(values);
    const ref = naiveFdHistogram(values);
    closeArray(got.edges, ref.edges, 1e-12, `edges seed ${seed}`);
    closeArray(got.density, ref.density, 1e-12, `density seed ${seed}`);
    let area = 0;
    for (let i = 0; i < got.density.length; i++) area += got.density[i] * (got.edges[i + 1] - got.edges[i]);
    close(area, 1, 1e-12, 'area');
  }
});

test('fdHistogram caps the bin count', () => {
  const values = [0, ...Array.from({ length: 50 }, () => 1), 1e9];
  assert.equal(fdHistogram(values, 16).density.length, 1); // IQR 0 → 1 bin regardless of the cap
  const spread = [...Array.from({ length: 100 }, (_, i) => i / 100), 1e6];
  assert.equal(fdHistogram(spread, 16).density.length, 16);
});

// ------------------------------------------------------------------ least squares

test('leastSquares recovers exact coefficients and reports singular fits as NaN', () => {
  const x = Array.from({ length: 30 }, (_, i) => i + 1);
  const fit = leastSquares([x], x.map((v) => 2 + 0.5 * v));
  close(fit.beta[0], 2, 1e-9, 'b0');
  close(fit.beta[1], 0.5, 1e-9, 'b1');
  const r = rng(5);
  const a = Array.from({ length: 200 }, () => r() * 4 + 1);
  const b = Array.from({ length: 200 }, () => r() * 2 - 7);
  const two = leastSquares([a, b], a.map((v, i) => -1.25 + 0.8 * v - 0.35 * b[i]));
  closeArray(two.beta, [-1.25, 0.8, -0.35], 1e-9, 'beta');
  assert.ok(leastSquares([[1, 1, 1]], [1, 2, 3]).beta.every(Number.isNaN), 'constant predictor');
  assert.ok(leastSquares([a, a.map((v) => 3 * v + 1)], b).beta.every(Number.isNaN), 'collinear predictors');
  assert.ok(leastSquares([[1, 2]], [1, 2]).beta.every((v) => Number.isFinite(v)), 'two points define a line');
  assert.ok(leastSquares([[1]], [1]).beta.every(Number.isNaN), 'one point');
  assert.ok(leastSquares([[1, 2], [3, 5]], [1, 2]).beta.every(Number.isNaN), 'too few rows for 3 coefficients');
});

test('leastSquares matches the naive uncentred normal equations on noisy data', () => {
  const r = rng(6);
  const a = Array.from({ length: 300 }, () => r() * 3);
  const b = Array.from({ length: 300 }, () => r() * 3);
  const y = a.map((v, i) => 0.3 + 0.6 * v + 0.2 * b[i] + (r() - 0.5));
  closeArray(leastSquares([a, b], y).beta, naiveOls(a.map((v, i) => [1, v, b[i]]), y), 1e-9, 'beta');
});

// ------------------------------------------------------------------ magnitude statistics

test('meanAndSd is the population mean and sd (ddof 0)', () => {
  const { mean, sd } = meanAndSd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  assert.equal(sd, 2);
  assert.ok(Number.isNaN(meanAndSd([]).mean));
});

test('profileStats matches the naive reference on ragged random sequences (both first-token modes)', () => {
  const L = 3;
  const lengths = [1, 2, 3, 7, 12, 40, 25, 33, 5, 38];
  const seqs = randomSequences(L, lengths, 7);
  for (const includeFirst of [false, true]) {
    for (const N of [30, 8]) {
      const got = profileStats(seqs, L, { includeFirst, positions: N });
      const ref = naiveProfile(seqs, L, includeFirst, N);
      const tag = `includeFirst=${includeFirst} N=${N}`;
      assert.equal(got.positionRegression.n, N);
      assert.deepEqual(got.positionRegression.positions, Array.from({ length: N }, (_, i) => i + (includeFirst ? 0 : 1)));
      for (let l = 0; l < L; l++) {
        close(got.meanLogNorm[l], ref.mean[l], 1e-12, `${tag} mean L${l}`);
        close(got.sdLogNorm[l], ref.sd[l], 1e-12, `${tag} sd L${l}`);
        assert.equal(got.valueCount?.[l], ref.logs[l].length);
        const hist = naiveFdHistogram(ref.logs[l]);
        closeArray(got.histograms[l].edges, hist.edges, 1e-12, `${tag} edges L${l}`);
        closeArray(got.histograms[l].density, hist.density, 1e-12, `${tag} density L${l}`);
        closeArray(got.positionHeatmap[l], ref.heat[l], 1e-12, `${tag} heat L${l}`);
        closeArray(got.positionRegression.observed[l], ref.observed[l], 1e-12, `${tag} observed L${l}`);
        close(got.positionRegression.beta0[l], ref.posBeta[l][0], 1e-9, `${tag} pos b0 L${l}`);
        close(got.positionRegression.beta1[l], ref.posBeta[l][1], 1e-9, `${tag} pos b1 L${l}`);
        const xs = got.positionRegression.positions!;
        closeArray(got.positionRegression.fitted[l], xs.map((x) => ref.posBeta[l][0] + ref.posBeta[l][1] * x), 1e-9, `${tag} fitted`);
        assert.equal(got.autoregression.rows?.[l], ref.arRows[l]);
        close(got.autoregression.beta0[l], ref.arBeta[l][0], 1e-8, `${tag} ar b0 L${l}`);
        close(got.autoregression.beta1[l], ref.arBeta[l][1], 1e-8, `${tag} ar b1 L${l}`);
        close(got.autoregression.beta2[l], ref.arBeta[l][2], 1e-8, `${tag} ar b2 L${l}`);
      }
    }
  }
});

test('position heatmap on hand-made ragged sequences', () => {
  const seqs: NormSequence[] = [
    { length: 3, attnOutNorms: Float32Array.from([1, 2, 3]) },
    { length: 5, attnOutNorms: Float32Array.from([10, 20, 30, 40, 50]) },
    { length: 1, attnOutNorms: Float32Array.from([7]) },
  ];
  assert.deepEqual(profileStats(seqs, 1, { includeFirst: true }).positionHeatmap, [[6, 11, 16.5, 40, 50]]);
  assert.deepEqual(profileStats(seqs, 1, { includeFirst: false }).positionHeatmap, [[null, 11, 16.5, 40, 50]]);
});

test('position regression recovers exact coefficients (norms are powers of two, exact in float32)', () => {
  // norm at token index x = 2^(x - 10) in every sequence → log mean norm = ln2·(x − 10): β0 = −10·ln2, β1 = ln2.
  const lengths = [45, 31, 12, 31, 3];
  const seqs = lengths.map((length) => ({ length, attnOutNorms: Float32Array.from({ length }, (_, x) => 2 ** (x - 10)) }));
  for (const includeFirst of [false, true]) {
    const s = profileStats(seqs, 1, { includeFirst, positions: 30 });
    close(s.positionRegression.beta0[0], -10 * Math.LN2, 1e-9, 'b0');
    close(s.positionRegression.beta1[0], Math.LN2, 1e-9, 'b1');
  }
  // Fewer than two positions with data → NaN coefficients, observed null where no sequence reaches.
  const short = profileStats([{ length: 2, attnOutNorms: Float32Array.from([1, 2]) }], 1, { includeFirst: false, positions: 4 });
  assert.ok(Number.isNaN(short.positionRegression.beta0[0]));
  assert.deepEqual(short.positionRegression.observed[0], [Math.log(2), null, null, null]);
});

test('autoregression recovers exact coefficients and ignores the excluded first token', () => {
  // log2 x_t = 1 + log2 x_{t-1} − log2 x_{t-2} with integer exponents (exact in float32):
  // ln x_t = ln2 + 1·ln x_{t-1} − 1·ln x_{t-2}. Token 0 is a wild outlier that must not enter any row.
  const r = rng(8);
  const seqs: NormSequence[] = [];
  for (let i = 0; i < 20; i++) {
    const length = 4 + Math.floor(r() * 20);
    const e = [0, Math.floor(r() * 9) - 4, Math.floor(r() * 9) - 4];
    while (e.length < length) e.push(1 + e[e.length - 1] - e[e.length - 2]);
    const norms = Float32Array.from(e, (v) => 2 ** v);
    norms[0] = 1e30;
    seqs.push({ length, attnOutNorms: norms });
  }
  const s = profileStats(seqs, 1, { includeFirst: false });
  close(s.autoregression.beta0[0], Math.LN2, 1e-9, 'b0');
  close(s.autoregression.beta1[0], 1, 1e-9, 'b1');
  close(s.autoregression.beta2[0], -1, 1e-9, 'b2');
  assert.equal(s.autoregression.rows?.[0], seqs.reduce((n, q) => n + q.length - 3, 0));
  const withFirst = profileStats(seqs, 1, { includeFirst: true });
  assert.equal(withFirst.autoregression.rows?.[0], seqs.reduce((n, q) => n + q.length - 2, 0));
  assert.ok(Math.abs(withFirst.autoregression.beta1[0] - 1) > 1e-3, 'including the outlier changes the fit');
});

test('profileStats handles empty input and rejects bad shapes', () => {
  const s = profileStats([], 2, { includeFirst: false });
  assert.deepEqual(s.histograms, [{ edges: [], density: [] }, { edges: [], density: [] }]);
  assert.ok(Number.isNaN(s.meanLogNorm[0]) && Number.isNaN(s.autoregression.beta1[1]));
  assert.deepEqual(s.positionHeatmap, [[], []]);
  assert.throws(() => profileStats([{ length: 3, attnOutNorms: new Float32Array(5) }], 2, { includeFirst: true }), /sequence 0 norms: expected 6/);
  assert.throws(() => profileStats([], 1, { includeFirst: true, positions: 0 }), /positions/);
});

test('heatmapLimits are percentiles of the non-null cells', () => {
  const heat = [[null, 1, 2, 3], [4, 5, null, 6]];
  assert.deepEqual(heatmapLimits(heat, 0, 100), [1, 6]);
  close(heatmapLimits(heat)[0], naivePercentile([1, 2, 3, 4, 5, 6], 5), 1e-12, 'lo');
  close(heatmapLimits(heat)[1], naivePercentile([1, 2, 3, 4, 5, 6], 95), 1e-12, 'hi');
});

// ------------------------------------------------------------------ attention statistics

test('headStats on uniform causal, identity and previous-token heads', () => {
  const T = 4;
  const layer = new Float32Array(3 * T * T);
  layer.set(makeLayer(1, T, uniformCausal), 0);
  layer.set(makeLayer(1, T, identity), T * T);
  layer.set(makeLayer(1, T, previousToken), 2 * T * T);
  const s = headStats(layer, 3, T);
  closeArray(s.subarray(0, 4), [(Math.log(2) + Math.log(3) + Math.log(4)) / 4, (1 / 2 + 1 / 3 + 1 / 4) / 3, (1 / 2 + 1 / 3 + 1 / 4) / 3, 0.75], 1e-6, 'uniform');
  assert.deepEqual(Array.from(s.subarray(4, 8)), [0, 0, 0, 0]);
  closeArray(s.subarray(8, 12), [0, 1 / 3, 1, 0.75], 1e-6, 'previous');
  assert.deepEqual(Array.from(headStats(Float32Array.from([1, 1]), 2, 1)), new Array(8).fill(0), 'T = 1');
});

test('headStats agrees with the naive reference, also with a padded stride', () => {
  const H = 3;
  const T = 9;
  const layer = randomAttention(1, H, T, 9);
  const ref = naiveHeadStats(layer, H, T);
  closeArray(headStats(layer, H, T), ref.flat(), 1e-6, 'heads');
  const S = 12;
  const padded = new Float32Array(H * S * S);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let k = 0; k < T; k++) padded[(h * S + t) * S + k] = layer[(h * T + t) * T + k];
  closeArray(headStats(padded, H, T, S), ref.flat(), 1e-6, 'padded');
  const L = 2;
  const att = randomAttention(L, H, T, 10);
  const perSeq = sequenceHeadStats(att, L, H, T);
  for (let l = 0; l < L; l++) {
    closeArray(perSeq.subarray(l * H * 4, (l + 1) * H * 4), naiveHeadStats(att.subarray(l * H * T * T, (l + 1) * H * T * T), H, T).flat(), 1e-6, `L${l}`);
  }
  assert.throws(() => headStats(layer, H, T, 5), /stride/);
  assert.throws(() => headStats(layer.subarray(1), H, T), /expected/);
});

test('aggregateHeadStats averages over sequences', () => {
  const a = Float32Array.from({ length: 2 * 1 * 4 }, (_, i) => i);
  const b = Float32Array.from({ length: 2 * 1 * 4 }, (_, i) => 10 * i);
  assert.deepEqual(aggregateHeadStats([a, b], 2, 1), [[[0, 5.5, 11, 16.5]], [[22, 27.5, 33, 38.5]]]);
  assert.deepEqual(aggregateHeadStats([], 2, 1), []);
  assert.throws(() => aggregateHeadStats([a], 3, 1), /expected 12/);
});

test('flowStats: self and previous-token attention per layer and head', () => {
  const T = 5;
  const att = new Float32Array(3 * T * T);
  att.set(makeLayer(1, T, identity), 0);
  att.set(makeLayer(1, T, previousToken), T * T);
  att.set(makeLayer(1, T, uniformCausal), 2 * T * T);
  const f = flowStats(att, 3, 1, T);
  closeArray(f, [1, 0, 1 / T, 1, (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 5, (1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 4], 1e-6, 'flow');
  assert.deepEqual(Array.from(flowStats(Float32Array.from([1]), 1, 1, 1)), [1, 0]);
  const L = 2;
  const H = 3;
  const T2 = 7;
  const rand = randomAttention(L, H, T2, 11);
  const got = flowStats(rand, L, H, T2);
  for (let m = 0; m < L * H; m++) {
    let self = 0;
    let prev = 0;
    for (let t = 0; t < T2; t++) self += rand[m * T2 * T2 + t * T2 + t] / T2;
    for (let t = 1; t < T2; t++) prev += rand[m * T2 * T2 + t * T2 + t - 1] / (T2 - 1);
    close(got[2 * m], self, 1e-6, 'self');
    close(got[2 * m + 1], prev, 1e-6, 'prev');
  }
});

test('thumbnails mean-pool into floor(i·T/S) bins with the sqrt-u8 encoding', () => {
  const identity4 = makeLayer(1, 4, identity);
  const t = thumbnails(identity4, 1, 1, 4, 2);
  assert.equal(t.size, 2);
  assert.deepEqual(Array.from(t.data), [180, 0, 0, 180]); // round(255·sqrt(0.5)) = 180
  const L = 2;
  const H = 2;
  const T = 7;
  const att = randomAttention(L, H, T, 12);
  for (const size of [3, 5, 7, 64]) {
    const got = thumbnails(att, L, H, T, size);
    const S = Math.min(T, size);
    assert.equal(got.size, S);
    assert.equal(got.data.length, L * H * S * S);
    const bounds = Array.from({ length: S + 1 }, (_, i) => Math.floor((i * T) / S));
    for (let m = 0; m < L * H; m++) {
      for (let i = 0; i < S; i++) {
        for (let j = 0; j < S; j++) {
          let sum = 0;
          let n = 0;
          for (let r = bounds[i]; r < bounds[i + 1]; r++) {
            for (let c = bounds[j]; c < bounds[j + 1]; c++) {
              sum += att[m * T * T + r * T + c];
              n++;
            }
          }
          assert.equal(got.data[m * S * S + i * S + j], Math.round(255 * Math.sqrt(sum / n)), `m${m} ${i},${j} size ${size}`);
        }
      }
    }
  }
  assert.equal(thumbnailValue(255), 1);
  close(thumbnailValue(180), 0.5, 0.01, 'decode');
  assert.throws(() => thumbnails(att, L, H, T, 0), /size/);
});

test('layerMean, topAttended and quantizeU8', () => {
  const H = 3;
  const T = 5;
  const layer = randomAttention(1, H, T, 13);
  const mean = layerMean(layer, H, T);
  for (let i = 0; i < T * T; i++) close(mean[i], (layer[i] + layer[T * T + i] + layer[2 * T * T + i]) / 3, 1e-6, `mean ${i}`);
  assert.deepEqual(topAttended([0.1, 0.5, 0.2, 0.5, 0], 3), [
    { index: 1, weight: 0.5 },
    { index: 3, weight: 0.5 },
    { index: 2, weight: 0.2 },
  ]);
  assert.equal(topAttended([0.3, 0.7], 5).length, 2);
  assert.deepEqual(Array.from(quantizeU8(Float32Array.from([0, 1, 0.5, 0.001, 1.2, -0.1, NaN]))), [0, 255, 128, 0, 255, 0, 0]);
});

// ------------------------------------------------------------------ result assembly and CSV

const MODEL: ModelInfo = { name: 'test', layers: 2, heads: 3, embd: 8, vocab: 50, ctx: 64, dtype: 'F32' };

function profileFixture(): ReturnType<typeof buildProfileResult> {
  const seqs: ProfileSequence[] = randomSequences(2, [6, 9, 4], 14).map((s, i) => ({
    ...s,
    headStats: Float32Array.from({ length: 2 * 3 * 4 }, (_, j) => j + i),
  }));
  return buildProfileResult(seqs, { model: MODEL, source: 'demo "corpus", v1', complete: true, truncatedCount: 1, positions: 5, createdAt: '2024-01-01T00:00:00.000Z' });
}

test('buildProfileResult assembles both variants, lengths and head statistics', () => {
  const seqs = randomSequences(2, [6, 9, 4], 14);
  const r = profileFixture();
  assert.equal(r.version, 1);
  assert.deepEqual(r.lengths, [6, 9, 4]);
  assert.equal(r.truncatedCount, 1);
  assert.equal(r.createdAt, '2024-01-01T00:00:00.000Z');
  assert.deepEqual(r.excludeFirst, profileStats(seqs, 2, { includeFirst: false, positions: 5 }));
  assert.deepEqual(r.includeFirst, profileStats(seqs, 2, { includeFirst: true, positions: 5 }));
  assert.equal(r.headStats.length, 2);
  assert.deepEqual(r.headStats[0][0], [1, 2, 3, 4]); // mean of j and j + 1, j + 2
  const noHeads = buildProfileResult(seqs, { model: MODEL, source: 's', complete: false, truncatedCount: 0 });
  assert.deepEqual(noHeads.headStats, []);
  assert.ok(!Number.isNaN(Date.parse(noHeads.createdAt)));
});

test('toCsv quotes commas, quotes, newlines and edge spaces; null and NaN are empty', () => {
  const csv = toCsv(['a', 'b,c'], [[1, 'x,y'], ['he said "hi"', null], ['line\nbreak', NaN], [' pad', -2.5]]);
  assert.equal(csv, 'a,"b,c"\r\n1,"x,y"\r\n"he said ""hi""",\r\n"line\nbreak",\r\n" pad",-2.5\r\n');
});

test('profileChartCsv exports every chart with one row per plotted value', () => {
  const r = profileFixture();
  const lines = (chart: (typeof PROFILE_CHARTS)[number], includeFirst = false) => profileChartCsv(r, chart, includeFirst).trimEnd().split('\r\n');
  const s = r.excludeFirst;
  const dist = lines('distribution');
  assert.equal(dist[0], 'layer,bin_start,bin_end,density');
  assert.equal(dist.length - 1, s.histograms[0].density.length + s.histograms[1].density.length);
  assert.deepEqual(lines('mean'), ['layer,mean_log_norm,sd_log_norm', `0,${s.meanLogNorm[0]},${s.sdLogNorm[0]}`, `1,${s.meanLogNorm[1]},${s.sdLogNorm[1]}`]);
  const heat = lines('heatmap');
  assert.equal(heat.length - 1, 2 * 9);
  assert.equal(heat[1], '0,0,', 'first column is empty without the first token');
  assert.equal(lines('heatmap', true)[1], `0,0,${r.includeFirst.positionHeatmap[0][0]}`);
  const pos = lines('position');
  assert.equal(pos.length - 1, 2 * 5);
  assert.ok(pos[1].startsWith('0,1,'), 'positions start at token 1 without the first token');
  assert.ok(lines('position', true)[1].startsWith('0,0,'));
  assert.equal(lines('autoregression')[0], 'layer,beta0,beta1_t_minus_1,beta2_t_minus_2');
  assert.equal(lines('autoregression').length, 3);
  const heads = lines('heads');
  assert.equal(heads[0], 'layer,head,entropy,sinkMass,prevToken,meanDistance');
  assert.equal(heads.length - 1, 2 * 3);
  assert.equal(heads[1], '0,0,1,2,3,4');
  assert.deepEqual(lines('lengths'), ['sequence,length', '0,6', '1,9', '2,4']);
});
