// Colour bar legends of the heatmaps (screen and exports): weight ticks and the masked swatch.
import { weightColor, type Theme } from './colors';
import type { Scene } from './scene';

const LEGEND_VALUES = [0, 0.25, 0.5, 1];

/** Vertical colour bar (1 at the top) with ticks and the masked swatch below. */
export function addVerticalLegend(scene: Scene, theme: Theme, gamma: number, x: number, y: number, h: number): void {
  const steps = 48;
  for (let i = 0; i < steps; i++) {
    scene.add({ kind: 'rect', x, y: y + (i * h) / steps, w: 12, h: h / steps + 0.5, fill: weightColor(1 - i / steps, gamma) });
  }
  for (const v of LEGEND_VALUES) {
    const frac = Math.pow(v, gamma);
    scene.add({ kind: 'text', x: x + 16, y: y + (1 - frac) * h, text: v.toFixed(2), color: theme.muted, size: theme.fontSize - 2, align: 'left' });
  }
  scene.add({ kind: 'text', x, y: y - 16, text: 'weight', color: theme.muted, size: theme.fontSize - 2, align: 'left' });
  scene.add({ kind: 'rect', x, y: y + h + 10, w: 12, h: 12, fill: theme.masked, stroke: theme.border });
  scene.add({ kind: 'text', x: x + 16, y: y + h + 16, text: 'masked', color: theme.muted, size: theme.fontSize - 2, align: 'left' });
}

/** Horizontal colour bar (0 at the left) with ticks below and the masked swatch after the last tick. */
export function addHorizontalLegend(scene: Scene, theme: Theme, gamma: number, x: number, y: number, w: number): void {
  const steps = 48;
  for (let i = 0; i < steps; i++) {
    scene.add({ kind: 'rect', x: x + (i * w) / steps, y, w: w / steps + 0.5, h: 10, fill: weightColor(i / steps, gamma) });
  }
  // Only the ticks that have room (about 36 px each).
  const values = w >= 150 ? LEGEND_VALUES : w >= 80 ? [0, 0.5, 1] : [0, 1];
  values.forEach((v, i) => {
    const align = i === 0 ? 'left' : i === values.length - 1 ? 'right' : 'center';
    scene.add({ kind: 'text', x: x + Math.pow(v, gamma) * w, y: y + 19, text: String(v), color: theme.muted, size: theme.fontSize - 2, align });
  });
  scene.add({ kind: 'rect', x, y: y + 30, w: 12, h: 12, fill: theme.masked, stroke: theme.border });
  scene.add({ kind: 'text', x: x + 16, y: y + 36, text: 'masked', color: theme.muted, size: theme.fontSize - 2, align: 'left' });
}

