// Turning a [T, T] attention matrix into pixels (screen) or rects (SVG), with the causal mask
// (keys after the query) drawn in a neutral colour with diagonal hatching.
import { WEIGHT_LUT, weightIndex } from './colors';
import type { Scene } from './scene';

export interface MatrixPanel {
  x: number;
  y: number;
  size: number;
  T: number;
  matrix: Float32Array;
}

/** RGBA pixels of a [T, T] matrix: colour-mapped weights on and below the diagonal, `masked` above. */
export function matrixToImage(image: ImageData, matrix: Float32Array, T: number, gamma: number, masked: [number, number, number]): void {
  const px = image.data;
  for (let q = 0; q < T; q++) {
    for (let k = 0; k < T; k++) {
      const p = (q * T + k) * 4;
      if (k > q) {
        px[p] = masked[0]; px[p + 1] = masked[1]; px[p + 2] = masked[2];
      } else {
        const i = weightIndex(matrix[q * T + k], gamma) * 3;
        px[p] = WEIGHT_LUT[i]; px[p + 1] = WEIGHT_LUT[i + 1]; px[p + 2] = WEIGHT_LUT[i + 2];
      }
      px[p + 3] = 255;
    }
  }
}

/** Segments x - y = c (parallel to the diagonal) that lie inside the masked upper triangle. */
export function hatchSegments(panel: MatrixPanel, spacing: number): number[] {
  const { x, y, size, T } = panel;
  const cell = size / T;
  const coords: number[] = [];
  for (let c = cell + spacing / 2; c < size; c += spacing) coords.push(x + c, y, x + size, y + size - c);
  return coords;
}

/** Draw the matrix image scaled into its panel (no smoothing) and the hatching of the mask. */
export function drawMatrixPanel(g: CanvasRenderingContext2D, panel: MatrixPanel, source: CanvasImageSource, hatchColor: string): void {
  g.imageSmoothingEnabled = panel.size < panel.T;
  g.drawImage(source, panel.x, panel.y, panel.size, panel.size);
  if (panel.size / panel.T < 3 && panel.size < 60) return;
  strokeLines(g, hatchSegments(panel, panel.size > 200 ? 7 : 5), hatchColor, 0.35);
}

/** Stroke straight segments coords = [x1, y1, x2, y2, …] in one path, 1 px wide. */
export function strokeLines(g: CanvasRenderingContext2D, coords: number[], color: string, alpha: number): void {
  g.save();
  g.globalAlpha = alpha;
  g.strokeStyle = color;
  g.lineWidth = 1;
  g.beginPath();
  for (let i = 0; i < coords.length; i += 4) {
    g.moveTo(coords[i], coords[i + 1]);
    g.lineTo(coords[i + 2], coords[i + 3]);
  }
  g.stroke();
  g.restore();
}

function hex(rgb: ArrayLike<number>, i: number): string {
  return '#' + [rgb[i], rgb[i + 1], rgb[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** Add a matrix as SVG-ready rects (runs of equal colour merged per row), mask polygon and hatching. */
export function addMatrixToScene(scene: Scene, panel: MatrixPanel, gamma: number, masked: string, hatchColor: string): void {
  const { x, y, size, T, matrix } = panel;
  const cell = size / T;
  const zero = weightIndex(0, gamma);
  scene.add({ kind: 'polygon', points: [[x, y], [x + size, y], [x + size, y + size], [x, y + size]], fill: hex(WEIGHT_LUT, zero * 3), alpha: 1 });
  for (let q = 0; q < T; q++) {
    let k = 0;
    while (k <= q) {
      const idx = weightIndex(matrix[q * T + k], gamma);
      let end = k + 1;
      while (end <= q && weightIndex(matrix[q * T + end], gamma) === idx) end++;
      if (idx !== zero) scene.add({ kind: 'rect', x: x + k * cell, y: y + q * cell, w: (end - k) * cell, h: cell, fill: hex(WEIGHT_LUT, idx * 3) });
      k = end;
    }
  }
  const stairs: [number, number][] = [[x + size, y], [x + size, y + size - cell]];
  for (let q = T - 2; q >= 0; q--) stairs.push([x + (q + 1) * cell, y + (q + 1) * cell], [x + (q + 1) * cell, y + q * cell]);
  if (T > 1) scene.add({ kind: 'polygon', points: stairs, fill: masked, alpha: 1 });
  if (size / T >= 3 || size >= 60) {
    scene.add({ kind: 'lines', color: hatchColor, alpha: 0.35, width: 1, coords: hatchSegments(panel, size > 200 ? 7 : 5) });
  }
}

// ---- Images of one head (or the mean) for the heatmap view, cached between frames.

/**
 * Where the weights of one [T, T] matrix live: values[offset + q * T + k] * scale; with `heads`, the
 * sum of that many consecutive [T, T] matrices (times scale): the mean over heads read straight from the
 * layer, only the causal half of each head (never a full mean matrix first).
 */
export interface WeightSource {
  values: ArrayLike<number>;
  offset: number;
  scale: number;
  T: number;
  heads?: number;
}

export function weightAt(src: WeightSource, q: number, k: number): number {
  const TT = src.T * src.T;
  let sum = 0;
  for (let h = 0, n = src.heads ?? 1; h < n; h++) sum += src.values[src.offset + h * TT + q * src.T + k];
  return sum * src.scale;
}

/** RGBA pixels of the whole [T, T] matrix (one pixel per cell), read straight from the layer's values. */
export function fillFullImage(image: ImageData, src: WeightSource, gamma: number, masked: [number, number, number]): void {
  fillRangeImage(image, src, 0, src.T, gamma, masked);
}

/** RGBA pixels of tokens [start, end) on both axes, one pixel per cell (image is (end − start)²). */
export function fillRangeImage(image: ImageData, src: WeightSource, start: number, end: number, gamma: number, masked: [number, number, number]): void {
  const { values, offset, scale, T } = src;
  const n = end - start;
  const px = new Uint32Array(image.data.buffer, image.data.byteOffset, n * n);
  // Little-endian RGBA packed as ABGR words: one write per pixel.
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) lut[i] = (255 << 24) | (WEIGHT_LUT[i * 3 + 2] << 16) | (WEIGHT_LUT[i * 3 + 1] << 8) | WEIGHT_LUT[i * 3];
  const maskWord = ((255 << 24) | (masked[2] << 16) | (masked[1] << 8) | masked[0]) >>> 0;
  const linear = gamma === 1;
  const heads = src.heads ?? 1;
  const acc = heads > 1 ? new Float64Array(n) : null;
  for (let q = start; q < end; q++) {
    const row = offset + q * T;
    const out = (q - start) * n - start;
    if (acc) {
      acc.fill(0);
      for (let h = 0; h < heads; h++) {
        const base = row + h * T * T;
        for (let k = start; k <= q; k++) acc[k - start] += values[base + k];
      }
    }
    for (let k = start; k <= q; k++) {
      const w = (acc ? acc[k - start] : values[row + k]) * scale;
      const v = w <= 0 ? 0 : w >= 1 ? 1 : linear ? w : Math.pow(w, gamma);
      px[out + k] = lut[(v * 255 + 0.5) | 0];
    }
    px.fill(maskWord, out + q + 1, out + end);
  }
}

/**
 * An S×S picture of tokens [start, end) on both axes: each pixel the mean weight of the unmasked cells
 * it covers, `masked` where it covers only masked cells (grid panels, where a panel is ~100–200 px).
 */
export function fillPooledImage(image: ImageData, src: WeightSource, start: number, end: number, S: number, gamma: number, masked: [number, number, number]): void {
  const n = end - start;
  const sum = new Float64Array(S * S);
  const count = new Uint32Array(S * S);
  const bin = new Int32Array(n);
  for (let i = 0; i < n; i++) bin[i] = Math.min(S - 1, Math.floor((i * S) / n));
  const { values, offset, scale, T } = src;
  const heads = src.heads ?? 1;
  for (let h = 0; h < heads; h++) {
    for (let q = start; q < end; q++) {
      const row = offset + h * T * T + q * T;
      const bq = bin[q - start] * S;
      for (let k = start; k <= q; k++) {
        const b = bq + bin[k - start];
        sum[b] += values[row + k];
        if (h === 0) count[b]++;
      }
    }
  }
  const px = image.data;
  for (let i = 0; i < S * S; i++) {
    const p = i * 4;
    if (count[i] === 0) {
      px[p] = masked[0]; px[p + 1] = masked[1]; px[p + 2] = masked[2];
    } else {
      const c = weightIndex((sum[i] / count[i]) * scale, gamma) * 3;
      px[p] = WEIGHT_LUT[c]; px[p + 1] = WEIGHT_LUT[c + 1]; px[p + 2] = WEIGHT_LUT[c + 2];
    }
    px[p + 3] = 255;
  }
}

/** Offscreen canvases of matrix images by key, least recently used dropped beyond a byte budget. */
export class MatrixImageCache {
  private readonly entries = new Map<string, HTMLCanvasElement>();
  private bytes = 0;

  constructor(private readonly budgetBytes = 96 * 1024 * 1024) {}

  get(key: string, width: number, height: number, fill: (image: ImageData) => void): HTMLCanvasElement {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const canvas = renderImage(width, height, fill);
    this.entries.set(key, canvas);
    this.bytes += width * height * 4;
    for (const [k, c] of this.entries) {
      if (this.bytes <= this.budgetBytes || k === key) break;
      this.entries.delete(k);
      this.bytes -= c.width * c.height * 4;
    }
    return canvas;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** A fresh canvas holding an image made by `fill`. */
export function renderImage(width: number, height: number, fill: (image: ImageData) => void): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This webview cannot create a 2D canvas context');
  const image = ctx.createImageData(width, height);
  fill(image);
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/**
 * Hatching of the masked cells of a square window: segments u − v = d (window px, u right, v down) for
 * d ≥ dMin, where dMin is the offset at which every point is a key after its query.
 */
export function windowHatch(x: number, y: number, size: number, dMin: number, spacing: number): number[] {
  const coords: number[] = [];
  for (let d = Math.max(-size, dMin + spacing / 2); d < size; d += spacing) {
    if (d >= 0) coords.push(x + d, y, x + size, y + size - d);
    else coords.push(x, y - d, x + size + d, y + size);
  }
  return coords;
}

/** Vector cells of tokens [start, end) (runs of one colour merged per row), the mask and its hatching. */
export function addRangeToScene(scene: Scene, x: number, y: number, size: number, src: WeightSource, start: number, end: number,
  gamma: number, masked: string, hatchColor: string): void {
  const n = end - start;
  const cell = size / n;
  const zero = weightIndex(0, gamma);
  scene.add({ kind: 'rect', x, y, w: size, h: size, fill: hex(WEIGHT_LUT, zero * 3) });
  for (let q = start; q < end; q++) {
    let k = start;
    while (k <= q) {
      const idx = weightIndex(weightAt(src, q, k), gamma);
      let e = k + 1;
      while (e <= q && weightIndex(weightAt(src, q, e), gamma) === idx) e++;
      if (idx !== zero) scene.add({ kind: 'rect', x: x + (k - start) * cell, y: y + (q - start) * cell, w: (e - k) * cell, h: cell, fill: hex(WEIGHT_LUT, idx * 3) });
      k = e;
    }
  }
  if (n > 1) {
    const stairs: [number, number][] = [[x + size, y], [x + size, y + size - cell]];
    for (let i = n - 2; i >= 0; i--) stairs.push([x + (i + 1) * cell, y + (i + 1) * cell], [x + (i + 1) * cell, y + i * cell]);
    scene.add({ kind: 'polygon', points: stairs, fill: masked, alpha: 1 });
  }
  if (size >= 60) scene.add({ kind: 'lines', color: hatchColor, alpha: 0.35, width: 1, coords: windowHatch(x, y, size, cell, size > 200 ? 7 : 5) });
}
