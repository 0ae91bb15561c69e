// The zoomed window of the single heatmap, in token units: keys [k0, k0 + n) × queries [q0, q0 + n)
// inside the crop range. Pure functions (no DOM), so the geometry is unit-tested in Node.
import type { TokenRange } from './state';

export interface Viewport {
  /** First visible key (column), fractional. */
  k0: number;
  /** First visible query (row), fractional. */
  q0: number;
  /** Visible tokens along each axis (the window is square). */
  n: number;
}

/** The closest the heatmap zooms in: this many tokens across (or all of a shorter range). */
export const MIN_VISIBLE_TOKENS = 8;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export function rangeLength(r: TokenRange): number {
  return r.end - r.start;
}

export function fullViewport(r: TokenRange): Viewport {
  return { k0: r.start, q0: r.start, n: rangeLength(r) };
}

/** Keep the window inside the range and between the minimum and the whole range in size. */
export function clampViewport(v: Viewport, r: TokenRange): Viewport {
  const len = rangeLength(r);
  const n = clamp(v.n, Math.min(MIN_VISIBLE_TOKENS, len), len);
  return { n, k0: clamp(v.k0, r.start, r.end - n), q0: clamp(v.q0, r.start, r.end - n) };
}

/** How many times the window is magnified (1 = the whole range). */
export function zoomFactor(v: Viewport, r: TokenRange): number {
  return rangeLength(r) / v.n;
}

export function isZoomed(v: Viewport, r: TokenRange): boolean {
  return v.n < rangeLength(r) - 1e-6;
}

/**
 * Zoom by `factor` (> 1 = in) keeping the point at fractions (fx, fy) of the window where it is
 * (the cursor under the wheel stays over the same cell).
 */
export function zoomAt(v: Viewport, r: TokenRange, factor: number, fx = 0.5, fy = 0.5): Viewport {
  const k = v.k0 + fx * v.n, q = v.q0 + fy * v.n;
  const n = clamp(v.n / factor, Math.min(MIN_VISIBLE_TOKENS, rangeLength(r)), rangeLength(r));
  return clampViewport({ n, k0: k - fx * n, q0: q - fy * n }, r);
}

/** Move the window by (dk, dq) tokens. */
export function panBy(v: Viewport, r: TokenRange, dk: number, dq: number): Viewport {
  return clampViewport({ n: v.n, k0: v.k0 + dk, q0: v.q0 + dq }, r);
}

/** Centre the window on (k, q) (minimap clicks). */
export function centreOn(v: Viewport, r: TokenRange, k: number, q: number): Viewport {
  return clampViewport({ n: v.n, k0: k - v.n / 2, q0: q - v.n / 2 }, r);
}

/** Pan the least needed so cell (q, k) is fully visible. */
export function ensureVisible(v: Viewport, r: TokenRange, q: number, k: number): Viewport {
  let { k0, q0 } = v;
  if (k < k0) k0 = k; else if (k + 1 > k0 + v.n) k0 = k + 1 - v.n;
  if (q < q0) q0 = q; else if (q + 1 > q0 + v.n) q0 = q + 1 - v.n;
  return clampViewport({ n: v.n, k0, q0 }, r);
}

/** Whole tokens at least partly visible on each axis: [first, last]. */
export function visibleTokens(v: Viewport): { k: [number, number]; q: [number, number] } {
  const last = (a: number) => Math.ceil(a + v.n - 1e-9) - 1;
  return { k: [Math.floor(v.k0 + 1e-9), last(v.k0)], q: [Math.floor(v.q0 + 1e-9), last(v.q0)] };
}

/** The smallest token range holding everything visible (both axes): what "Crop to view" crops to. */
export function viewportRange(v: Viewport): TokenRange {
  const t = visibleTokens(v);
  return { start: Math.min(t.k[0], t.q[0]), end: Math.max(t.k[1], t.q[1]) + 1 };
}

/**
 * Parse a token range typed by the user: "100-300", "100–300", "100:300" or "100 300" (both ends
 * inclusive, as shown in the token strip), within 0..T-1. Returns the range [start, end) or an error message.
 */
export function parseTokenRange(text: string, T: number): TokenRange | string {
  const m = /^\s*#?(\d+)\s*(?:-|–|—|:|\.\.|\s)\s*#?(\d+)\s*$/.exec(text);
  if (!m) return `Type two token numbers, e.g. 0-${Math.min(T - 1, 99)}`;
  const a = Number(m[1]), b = Number(m[2]);
  const lo = Math.min(a, b), hi = Math.max(a, b);
  if (hi > T - 1) return `Tokens go from 0 to ${T - 1}`;
  if (hi - lo < 1) return 'A range needs at least two tokens';
  return { start: lo, end: hi + 1 };
}

/** How a range reads in the UI (inclusive ends). */
export function formatTokenRange(r: TokenRange): string {
  return `${r.start}–${r.end - 1}`;
}

/** Tick step (1, 2, 5 × 10^n tokens) so that ticks are at least `minPx` apart at `pxPerToken`. */
export function tokenTickStep(pxPerToken: number, minPx: number): number {
  for (let p = 1; ; p *= 10) {
    for (const m of [1, 2, 5]) if (m * p * pxPerToken >= minPx) return m * p;
    if (p > 1e6) return p * 10;
  }
}
