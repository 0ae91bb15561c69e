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
  const coords = hatchSegments(panel, panel.size > 200 ? 7 : 5);
  g.save();
  g.globalAlpha = 0.35;
  g.strokeStyle = hatchColor;
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
