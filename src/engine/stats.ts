// Pure analysis statistics shared by the engine, the panel and the Layer Profile (issue 5).
// No Node, ONNX or VS Code imports: every function takes flat row-major typed arrays and returns plain data,
// so the worker and the webviews can both use this module. Accumulation is done in float64.
import type { LayerHistogram, ModelInfo, ProfileResult, ProfileSequence, ProfileStats } from './types';
import { HEAD_STAT_NAMES } from './types';

// ---------------------------------------------------------------------------------------------------------
// Attention helpers. Attention tensors are [L, H, T, T] (or one layer [H, T, T]) of causal probabilities.
// ---------------------------------------------------------------------------------------------------------

/**
 * Attention flow per layer and head: [L, H, 2] with
 *  [0] mean self attention p[t, t] over rows 0..T-1,
 *  [1] mean previous-token attention p[t, t-1] over rows 1..T-1 (0 when T == 1).
 */
export function flowStats(att: Float32Array, L: number, H: number, T: number): Float32Array {
  checkSize(att, L * H * T * T, 'flowStats: attention');
  const out = new Float32Array(L * H * 2);
  for (let m = 0; m < L * H; m++) {
    const base = m * T * T;
    let self = 0;
    let prev = 0;
    for (let t = 0; t < T; t++) {
      self += att[base + t * T + t];
      if (t > 0) prev += att[base + t * T + t - 1];
    }
    out[m * 2] = T > 0 ? self / T : 0;
    out[m * 2 + 1] = T > 1 ? prev / (T - 1) : 0;
  }
  return out;
}

/** Number of statistics per head in `headStats` (HEAD_STAT_NAMES order). */
export const HEAD_STAT_COUNT = HEAD_STAT_NAMES.length;

/**
 * Head statistics of one layer, [H, 4] in HEAD_STAT_NAMES order:
 *  entropy      mean over rows 0..T-1 of -Σ_k p ln p (natural log, 0·ln 0 = 0; row 0 is always 0),
 *  sinkMass     mean over rows 1..T-1 of p[t, 0],
 *  prevToken    mean over rows 1..T-1 of p[t, t-1],
 *  meanDistance mean over rows 0..T-1 of Σ_k p[t, k]·(t − k).
 * With T == 1 (or T == 0) all four are 0.
 * `stride` is the allocated matrix size when the tensor is padded ([H, stride, stride], first T rows/columns
 * used), e.g. for right-padded batches; it defaults to T.
 */
export function headStats(layerAtt: Float32Array, H: number, T: number, stride: number = T): Float32Array {
  checkStride(T, stride, 'headStats');
  checkSize(layerAtt, H * stride * stride, 'headStats: layer attention');
  const out = new Float32Array(H * HEAD_STAT_COUNT);
  if (T <= 1) return out;
  for (let h = 0; h < H; h++) {
    const base = h * stride * stride;
    let entropy = 0;
    let sink = 0;
    let prev = 0;
    let distance = 0;
    for (let t = 0; t < T; t++) {
      const row = base + t * stride;
      let rowEntropy = 0;
      let rowDistance = 0;
      for (let k = 0; k <= t; k++) {
        const p = layerAtt[row + k];
        if (p > 0) rowEntropy -= p * Math.log(p);
        rowDistance += p * (t - k);
      }
      entropy += rowEntropy;
      distance += rowDistance;
      if (t > 0) {
        sink += layerAtt[row];
        prev += layerAtt[row + t - 1];
      }
    }
    const o = h * HEAD_STAT_COUNT;
    out[o] = entropy / T;
    out[o + 1] = sink / (T - 1);
    out[o + 2] = prev / (T - 1);
    out[o + 3] = distance / T;
  }
  return out;
}

/** `headStats` for every layer of [L, H, stride, stride] attention: [L, H, 4]. */
export function sequenceHeadStats(att: Float32Array, L: number, H: number, T: number, stride: number = T): Float32Array {
  checkStride(T, stride, 'sequenceHeadStats');
  checkSize(att, L * H * stride * stride, 'sequenceHeadStats: attention');
  const out = new Float32Array(L * H * HEAD_STAT_COUNT);
  const layerSize = H * stride * stride;
  for (let l = 0; l < L; l++) {
    const layer = att.subarray(l * layerSize, (l + 1) * layerSize);
    out.set(headStats(layer, H, T, stride), l * H * HEAD_STAT_COUNT);
  }
  return out;
}

/** Start index of thumbnail bin i when T positions are pooled into S bins: floor(i·T/S). */
export function binStart(i: number, T: number, S: number): number {
  return Math.floor((i * T) / S);
}

/**
 * Model-view thumbnails: [L, H, S, S] u8 with S = min(T, size). Each cell is the mean attention over the block
 * of rows [binStart(i), binStart(i+1)) × columns [binStart(j), binStart(j+1)) (zeros above the diagonal count).
 * ENCODING (sqrt-u8): byte = round(255 · sqrt(mean)); decode with `thumbnailValue`. The square root keeps
 * diffuse heads visible next to sharp ones while 0 and 1 stay exact.
 */
export function thumbnails(att: Float32Array, L: number, H: number, T: number, size: number): { size: number; data: Uint8Array } {
  checkSize(att, L * H * T * T, 'thumbnails: attention');
  if (!Number.isInteger(size) || size < 1) throw new Error(`thumbnails: size must be a positive integer, got ${size}`);
  const S = Math.min(T, size);
  const data = new Uint8Array(L * H * S * S);
  if (S === 0) return { size: 0, data };
  const binOf = new Int32Array(T);
  const binCount = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    const end = binStart(i + 1, T, S);
    for (let t = binStart(i, T, S); t < end; t++) binOf[t] = i;
    binCount[i] = end - binStart(i, T, S);
  }
  const sums = new Float64Array(S * S);
  for (let m = 0; m < L * H; m++) {
    sums.fill(0);
    const base = m * T * T;
    for (let r = 0; r < T; r++) {
      const cellRow = binOf[r] * S;
      const row = base + r * T;
      for (let c = 0; c <= r; c++) sums[cellRow + binOf[c]] += att[row + c];
    }
    const out = m * S * S;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) {
        const mean = sums[i * S + j] / (binCount[i] * binCount[j]);
        data[out + i * S + j] = Math.round(255 * Math.sqrt(clamp01(mean)));
      }
    }
  }
  return { size: S, data };
}

/** Inverse of the thumbnail encoding: the (approximate) mean attention of a cell. */
export function thumbnailValue(byte: number): number {
  const r = byte / 255;
  return r * r;
}

/** [T, T] mean over heads of one layer [H, T, T]. */
export function layerMean(layerAtt: Float32Array, H: number, T: number): Float32Array {
  checkSize(layerAtt, H * T * T, 'layerMean: layer attention');
  const sums = new Float64Array(T * T);
  for (let h = 0; h < H; h++) {
    const base = h * T * T;
    for (let i = 0; i < T * T; i++) sums[i] += layerAtt[base + i];
  }
  const out = new Float32Array(T * T);
  for (let i = 0; i < T * T; i++) out[i] = H > 0 ? sums[i] / H : 0;
  return out;
}

/** The k largest entries of an attention row, descending; ties keep the lower index first. */
export function topAttended(row: ArrayLike<number>, k: number): { index: number; weight: number }[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  order.sort((a, b) => row[b] - row[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, weight: row[index] }));
}

/**
 * round(p·255), clamped to [0, 255] (NaN → 0): the 'u8' attention encoding. A Uint8ClampedArray store does the
 * clamping and rounding in one step, 5–7× faster than Math.round per value on a gpt2-small layer at T=1024 (the
 * panel prefetches neighbouring layers in u8). It rounds halves to even, which differs from Math.round only at
 * 127.5 (p = 0.5), where both give 128.
 */
export function quantizeU8(f32: Float32Array): Uint8Array {
  const out = new Uint8ClampedArray(f32.length);
  for (let i = 0; i < f32.length; i++) out[i] = f32[i] * 255;
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

// ---------------------------------------------------------------------------------------------------------
// numpy-compatible helpers: percentile (method 'linear') and histogram(bins='fd', density=True).
// ---------------------------------------------------------------------------------------------------------

/** numpy's `np.percentile(values, p)` with the default 'linear' method. NaN for no values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** `percentile` on values already sorted ascending (avoids re-sorting for several percentiles). */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const q = p / 100;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1];
  const below = Math.floor(virtual);
  const gamma = virtual - below;
  return lerp(sorted[below], sorted[below + 1], gamma);
}

/** numpy's _lerp: symmetric formula that is exact at both ends. */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(values as ArrayLike<number>);
  sorted.sort();
  return sorted;
}

/** Freedman–Diaconis bin width as numpy computes it: 2·IQR·n^(-1/3). */
export function fdBinWidth(sorted: Float64Array): number {
  const iqr = percentileOfSorted(sorted, 75) - percentileOfSorted(sorted, 25);
  return 2.0 * iqr * sorted.length ** (-1.0 / 3.0);
}

/** Upper bound on the number of bins (numpy has none; this guards against pathological data). */
export const MAX_HISTOGRAM_BINS = 10000;

/**
 * `np.histogram(values, bins='fd', density=True)`: equal-width bins from min to max, width 2·IQR·n^(-1/3),
 * ceil((max − min)/width) bins (1 bin when the IQR is 0, a ±0.5 range when all values are equal),
 * half-open bins except the last, which is closed; Σ density·width = 1. Values must be finite.
 * No values gives no bins (edges [], density []).
 */
export function fdHistogram(values: ArrayLike<number>, maxBins: number = MAX_HISTOGRAM_BINS): LayerHistogram {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) return { edges: [], density: [] };
  let first = sorted[0];
  let last = sorted[n - 1];
  if (!Number.isFinite(first) || !Number.isFinite(last)) {
    throw new Error(`fdHistogram: autodetected range of [${first}, ${last}] is not finite`);
  }
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = fdBinWidth(sorted);
  const bins = width > 0 ? Math.min(maxBins, Math.ceil((last - first) / width)) : 1;
  const edges = linspace(first, last, bins + 1);
  const counts = uniformBinCounts(sorted, edges);
  const density = counts.map((c, i) => c / (edges[i + 1] - edges[i]) / n);
  return { edges, density };
}

/** numpy.linspace(start, stop, num) with endpoint=True: start + i·step, last value exactly stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const step = (stop - start) / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** numpy's uniform-bin counting: computed index, then corrected by comparing with the actual edges. */
function uniformBinCounts(values: ArrayLike<number>, edges: number[]): number[] {
  const bins = edges.length - 1;
  const first = edges[0];
  const denom = edges[bins] - first;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < first || v > edges[bins]) continue;
    let index = Math.trunc(((v - first) / denom) * bins);
    if (index === bins) index -= 1;
    if (v < edges[index]) index -= 1;
    if (v >= edges[index + 1] && index !== bins - 1) index += 1;
    counts[index]++;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------
// Least squares (normal equations in float64, on centred predictors for conditioning).
// ---------------------------------------------------------------------------------------------------------

/** Result of `leastSquares`: beta = [intercept, slope per predictor]; all NaN when the fit is not defined. */
export interface LeastSquaresFit {
  beta: number[];
  rows: number;
}

/**
 * Accumulates rows (x_1..x_k, y) and solves y ≈ β0 + Σ β_j x_j. Two passes are not needed: the normal
 * equations are formed from running sums relative to the first row (a shift that keeps them well conditioned).
 */
export class LeastSquares {
  private readonly k: number;
  private rows = 0;
  private shift: Float64Array | null = null;
  private readonly sx: Float64Array; // Σ (x - shift)
  private readonly sxx: Float64Array; // Σ (x_i - shift_i)(x_j - shift_j), k×k
  private readonly sxy: Float64Array; // Σ (x - shift)(y - shiftY)
  private sy = 0;
  private shiftY = 0;

  constructor(predictors: number) {
    this.k = predictors;
    this.sx = new Float64Array(predictors);
    this.sxx = new Float64Array(predictors * predictors);
    this.sxy = new Float64Array(predictors);
  }

  add(x: ArrayLike<number>, y: number): void {
    const k = this.k;
    if (this.shift === null) {
      this.shift = Float64Array.from(x as ArrayLike<number>);
      this.shiftY = y;
    }
    const dy = y - this.shiftY;
    this.rows++;
    this.sy += dy;
    for (let i = 0; i < k; i++) {
      const di = x[i] - this.shift[i];
      this.sx[i] += di;
      this.sxy[i] += di * dy;
      for (let j = 0; j < k; j++) this.sxx[i * k + j] += di * (x[j] - this.shift[j]);
    }
  }

  /** β via centred normal equations; NaN when there are fewer rows than coefficients or X is singular. */
  solve(): LeastSquaresFit {
    const k = this.k;
    const n = this.rows;
    const nan = { beta: new Array<number>(k + 1).fill(NaN), rows: n };
    if (n < k + 1 || this.shift === null) return nan;
    const mean = Array.from(this.sx, (s) => s / n);
    const meanY = this.sy / n;
    // Centred cross-products: C_ij = Σ d_i d_j − n·m_i·m_j,  c_i = Σ d_i dy − n·m_i·m_y.
    const C = new Float64Array(k * k);
    const c = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      c[i] = this.sxy[i] - n * mean[i] * meanY;
      for (let j = 0; j < k; j++) C[i * k + j] = this.sxx[i * k + j] - n * mean[i] * mean[j];
    }
    const slopes = solveSymmetric(C, c, k);
    if (slopes === null) return nan;
    let intercept = this.shiftY + meanY;
    for (let i = 0; i < k; i++) intercept -= slopes[i] * (this.shift[i] + mean[i]);
    return { beta: [intercept, ...slopes], rows: n };
  }
}

/** Relative pivot tolerance below which the centred normal equations count as singular. */
const SINGULAR_TOLERANCE = 1e-12;

/**
 * Solves C·b = c for the symmetric positive semi-definite k×k matrix C by Gaussian elimination without
 * pivoting (stable for SPD matrices). Returns null when a pivot is tiny relative to its original diagonal,
 * i.e. a predictor is constant or (nearly) a linear combination of the previous ones.
 */
function solveSymmetric(C: Float64Array, c: Float64Array, k: number): number[] | null {
  const A = Float64Array.from(C);
  const b = Float64Array.from(c);
  for (let col = 0; col < k; col++) {
    const pivot = A[col * k + col];
    if (!(C[col * k + col] > 0) || !(pivot > SINGULAR_TOLERANCE * C[col * k + col])) return null;
    for (let r = col + 1; r < k; r++) {
      const f = A[r * k + col] / pivot;
      for (let j = col; j < k; j++) A[r * k + j] -= f * A[col * k + j];
      b[r] -= f * b[col];
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let sum = b[r];
    for (let j = r + 1; j < k; j++) sum -= A[r * k + j] * x[j];
    x[r] = sum / A[r * k + r];
  }
  return x.every(Number.isFinite) ? x : null;
}

/** Convenience: least squares of y on the columns of `xs` (each xs[j] is one predictor over all rows). */
export function leastSquares(xs: ArrayLike<number>[], y: ArrayLike<number>): LeastSquaresFit {
  const fit = new LeastSquares(xs.length);
  for (const x of xs) if (x.length !== y.length) throw new Error('leastSquares: predictor and y lengths differ');
  const row = new Float64Array(xs.length);
  for (let r = 0; r < y.length; r++) {
    for (let j = 0; j < xs.length; j++) row[j] = xs[j][r];
    fit.add(row, y[r]);
  }
  return fit.solve();
}

// ---------------------------------------------------------------------------------------------------------
// Magnitude statistics over sequences (issue 5).
// ---------------------------------------------------------------------------------------------------------

/** Minimal per-sequence input: `length` valid tokens and [L, length] attention-output norms. */
export type NormSequence = Pick<ProfileSequence, 'length' | 'attnOutNorms'>;

export interface ProfileOptions {
  /** Include token 0 (the attention sink) in every statistic. */
  includeFirst: boolean;
  /** Positions used by the position regression (default 30). */
  positions?: number;
}

export const DEFAULT_REGRESSION_POSITIONS = 30;

/**
 * All magnitude statistics of issue 5 for one choice of `includeFirst`. Log-norms are natural logs of the
 * norms; a token whose norm is not positive and finite is left out of every statistic (no such token exists
 * in a real model, but it keeps one bad value from poisoning the rest).
 *  - histograms / meanLogNorm / sdLogNorm: per layer over all used tokens (sd is the population sd, ddof 0).
 *  - positionHeatmap[l][p]: mean NORM at token index p over sequences long enough (null if none; column 0
 *    is null when the first token is excluded). P = the longest sequence.
 *  - positionRegression: log(mean norm at position x) ≈ β0 + β1·x for token indices x = first..first+N−1
 *    (first = 0 or 1); positions without data are skipped (observed null); β NaN with fewer than 2 points.
 *  - autoregression: log-norm_t ≈ β0 + β1·log-norm_{t−1} + β2·log-norm_{t−2} with rows from every sequence,
 *    t − 2 ≥ first; β NaN with fewer than 3 rows or collinear predictors.
 */
export function profileStats(seqs: readonly NormSequence[], L: number, opts: ProfileOptions): ProfileStats {
  const first = opts.includeFirst ? 0 : 1;
  const N = opts.positions ?? DEFAULT_REGRESSION_POSITIONS;
  if (!Number.isInteger(N) || N < 1) throw new Error(`profileStats: positions must be a positive integer, got ${N}`);
  for (const [i, s] of seqs.entries()) checkSize(s.attnOutNorms, L * s.length, `profileStats: sequence ${i} norms`);
  const P = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const positions = range(first, first + N);
  const histograms: LayerHistogram[] = [];
  const meanLogNorm: number[] = [];
  const sdLogNorm: number[] = [];
  const valueCount: number[] = [];
  const positionHeatmap: (number | null)[][] = [];
  const regression = { n: N, positions, beta0: [] as number[], beta1: [] as number[], observed: [] as (number | null)[][], fitted: [] as number[][] };
  const autoregression = { beta0: [] as number[], beta1: [] as number[], beta2: [] as number[], rows: [] as number[] };
  for (let l = 0; l < L; l++) {
    const logs = layerLogNorms(seqs, l, first);
    const { mean, sd } = meanAndSd(logs);
    histograms.push(fdHistogram(logs));
    meanLogNorm.push(mean);
    sdLogNorm.push(sd);
    valueCount.push(logs.length);
    const heat = positionMeans(seqs, l, first, P);
    positionHeatmap.push(heat);
    const pos = positionRegression(heat, positions);
    regression.beta0.push(pos.beta[0]);
    regression.beta1.push(pos.beta[1]);
    regression.observed.push(pos.observed);
    regression.fitted.push(positions.map((x) => pos.beta[0] + pos.beta[1] * x));
    const ar = autoregressionFit(seqs, l, first);
    autoregression.beta0.push(ar.beta[0]);
    autoregression.beta1.push(ar.beta[1]);
    autoregression.beta2.push(ar.beta[2]);
    autoregression.rows.push(ar.rows);
  }
  return { histograms, meanLogNorm, sdLogNorm, valueCount, positionHeatmap, positionRegression: regression, autoregression };
}

function normAt(s: NormSequence, l: number, t: number): number {
  return s.attnOutNorms[l * s.length + t];
}

function isUsableNorm(x: number): boolean {
  return x > 0 && Number.isFinite(x);
}

/** Natural log-norms of layer l over tokens first..length-1 of every sequence. */
function layerLogNorms(seqs: readonly NormSequence[], l: number, first: number): Float64Array {
  const out: number[] = [];
  for (const s of seqs) {
    for (let t = first; t < s.length; t++) {
      const x = normAt(s, l, t);
      if (isUsableNorm(x)) out.push(Math.log(x));
    }
  }
  return Float64Array.from(out);
}

/** Mean and population standard deviation (two-pass, float64); NaN for no values. */
export function meanAndSd(values: ArrayLike<number>): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / n) };
}

/** [P] mean norm at each token index over the sequences valid there; null where none (or p < first). */
function positionMeans(seqs: readonly NormSequence[], l: number, first: number, P: number): (number | null)[] {
  const sum = new Float64Array(P);
  const count = new Float64Array(P);
  for (const s of seqs) {
    for (let t = first; t < s.length; t++) {
      const x = normAt(s, l, t);
      if (!isUsableNorm(x)) continue;
      sum[t] += x;
      count[t]++;
    }
  }
  return Array.from(sum, (v, p) => (count[p] > 0 ? v / count[p] : null));
}

/** log(mean norm) at each regression position (null without data) and its least-squares line. */
function positionRegression(heat: (number | null)[], positions: number[]): { observed: (number | null)[]; beta: number[] } {
  const fit = new LeastSquares(1);
  const observed = positions.map((x) => {
    const m = x < heat.length ? heat[x] : null;
    const y = m === null ? null : Math.log(m);
    if (y !== null) fit.add([x], y);
    return y;
  });
  return { observed, beta: fit.solve().beta };
}

function autoregressionFit(seqs: readonly NormSequence[], l: number, first: number): LeastSquaresFit {
  const fit = new LeastSquares(2);
  const row = new Float64Array(2);
  for (const s of seqs) {
    for (let t = first + 2; t < s.length; t++) {
      const x0 = normAt(s, l, t);
      const x1 = normAt(s, l, t - 1);
      const x2 = normAt(s, l, t - 2);
      if (!isUsableNorm(x0) || !isUsableNorm(x1) || !isUsableNorm(x2)) continue;
      row[0] = Math.log(x1);
      row[1] = Math.log(x2);
      fit.add(row, Math.log(x0));
    }
  }
  return fit.solve();
}

/** Mean over sequences of per-sequence head statistics [L, H, 4] → [L][H][4]; [] when there are none. */
export function aggregateHeadStats(perSeq: readonly Float32Array[], L: number, H: number): number[][][] {
  if (perSeq.length === 0) return [];
  const size = L * H * HEAD_STAT_COUNT;
  const sum = new Float64Array(size);
  for (const [i, s] of perSeq.entries()) {
    checkSize(s, size, `aggregateHeadStats: sequence ${i}`);
    for (let j = 0; j < size; j++) sum[j] += s[j];
  }
  return range(0, L).map((l) =>
    range(0, H).map((h) => range(0, HEAD_STAT_COUNT).map((k) => sum[(l * H + h) * HEAD_STAT_COUNT + k] / perSeq.length)),
  );
}

export interface ProfileMeta {
  model: ModelInfo;
  source: string;
  complete: boolean;
  truncatedCount: number;
  /** Positions for the position regression (default 30). */
  positions?: number;
  /** ISO time; defaults to now. */
  createdAt?: string;
}

/** Assembles a ProfileResult (both include-first variants and head statistics) from per-sequence data. */
export function buildProfileResult(seqs: readonly ProfileSequence[], meta: ProfileMeta): ProfileResult {
  const L = meta.model.layers;
  const H = meta.model.heads;
  const withHeads = seqs.flatMap((s) => (s.headStats ? [s.headStats] : []));
  return {
    version: 1,
    model: meta.model,
    source: meta.source,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    complete: meta.complete,
    lengths: seqs.map((s) => s.length),
    truncatedCount: meta.truncatedCount,
    excludeFirst: profileStats(seqs, L, { includeFirst: false, positions: meta.positions }),
    includeFirst: profileStats(seqs, L, { includeFirst: true, positions: meta.positions }),
    headStats: aggregateHeadStats(withHeads, L, H),
  };
}

/** Heatmap colour limits: the [lo, hi] percentiles (default 5–95) of the non-null cells; NaN when none. */
export function heatmapLimits(heatmap: (number | null)[][], lo = 5, hi = 95): [number, number] {
  const cells = heatmap.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const sorted = sortedCopy(cells);
  return [percentileOfSorted(sorted, lo), percentileOfSorted(sorted, hi)];
}

// ---------------------------------------------------------------------------------------------------------
// CSV export.
// ---------------------------------------------------------------------------------------------------------

export type CsvCell = number | string | null;

/** One CSV field: null and NaN are empty; text with a comma, quote, CR/LF or edge spaces is quoted. */
export function csvField(v: CsvCell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** RFC 4180 CSV: header row then rows, CRLF line endings (including after the last row). */
export function toCsv(header: string[], rows: CsvCell[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}

export type ProfileChart = 'distribution' | 'mean' | 'heatmap' | 'position' | 'autoregression' | 'heads' | 'lengths';
export const PROFILE_CHARTS: readonly ProfileChart[] = ['distribution', 'mean', 'heatmap', 'position', 'autoregression', 'heads', 'lengths'];

/** The data behind one Layer Profile chart as CSV (long format, one row per plotted value). */
export function profileChartCsv(result: ProfileResult, chart: ProfileChart, includeFirst: boolean): string {
  const s = includeFirst ? result.includeFirst : result.excludeFirst;
  switch (chart) {
    case 'distribution':
      return toCsv(['layer', 'bin_start', 'bin_end', 'density'],
        s.histograms.flatMap((h, l) => h.density.map((d, i) => [l, h.edges[i], h.edges[i + 1], d])));
    case 'mean':
      return toCsv(['layer', 'mean_log_norm', 'sd_log_norm'], s.meanLogNorm.map((m, l) => [l, m, s.sdLogNorm[l]]));
    case 'heatmap':
      return toCsv(['layer', 'position', 'mean_norm'], s.positionHeatmap.flatMap((row, l) => row.map((v, p) => [l, p, v])));
    case 'position': {
      const r = s.positionRegression;
      const xs = r.positions ?? range(includeFirst ? 0 : 1, (includeFirst ? 0 : 1) + r.n);
      return toCsv(['layer', 'position', 'observed_log_mean_norm', 'fitted', 'beta0', 'beta1'],
        r.observed.flatMap((obs, l) => obs.map((o, i) => [l, xs[i], o, r.fitted[l][i], r.beta0[l], r.beta1[l]])));
    }
    case 'autoregression': {
      const a = s.autoregression;
      return toCsv(['layer', 'beta0', 'beta1_t_minus_1', 'beta2_t_minus_2'], a.beta0.map((b, l) => [l, b, a.beta1[l], a.beta2[l]]));
    }
    case 'heads':
      return toCsv(['layer', 'head', ...HEAD_STAT_NAMES],
        result.headStats.flatMap((layer, l) => layer.map((v, h) => [l, h, ...v])));
    case 'lengths':
      return toCsv(['sequence', 'length'], result.lengths.map((n, i) => [i, n]));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small utilities.
// ---------------------------------------------------------------------------------------------------------

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
}

function checkSize(a: ArrayLike<number>, expected: number, what: string): void {
  if (a.length !== expected) throw new Error(`${what}: expected ${expected} values, got ${a.length}`);
}

function checkStride(T: number, stride: number, what: string): void {
  if (!Number.isInteger(T) || T < 0 || !Number.isInteger(stride) || stride < T) {
    throw new Error(`${what}: need integers 0 <= T <= stride, got T=${T}, stride=${stride}`);
  }
}
