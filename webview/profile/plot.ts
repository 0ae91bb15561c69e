// Axes, scales and legends shared by all charts. Everything returns scene primitives in CSS pixels.
import type { Prim } from './scene';
import type { Theme } from './theme';
import type { ColorMap } from './colormap';
import { stops } from './colormap';
import { fmt, niceTicks } from './stats';

export interface Scale {
  (v: number): number;
  invert(px: number): number;
  domain: [number, number];
}

export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const s = ((v: number) => r0 + (v - d0) * k) as Scale;
  s.invert = (px: number) => (k === 0 ? d0 : d0 + (px - r0) / k);
  s.domain = domain;
  return s;
}

let measureCtx: CanvasRenderingContext2D | null = null;
/** Text width in CSS pixels (canvas measurement; a rough estimate when no canvas is available). */
export function textWidth(text: string, size: number, font: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * size * 0.6;
  measureCtx.font = `${size}px ${font}`;
  return measureCtx.measureText(text).width;
}

export interface AxisSpec {
  domain: [number, number];
  label: string;
  /** Integer-only ticks (layers, positions, heads). */
  integer?: boolean;
  format?: (v: number) => string;
  tickCount?: number;
}

export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  x: Scale;
  y: Scale;
}

export interface AxesOptions {
  width: number;
  height: number;
  theme: Theme;
  x: AxisSpec;
  y: AxisSpec;
  /** Space reserved above the plot (legends). */
  top?: number;
  /** Space reserved below the x label (colour bars). */
  bottom?: number;
  grid?: boolean;
}

function ticksFor(a: AxisSpec, pixels: number): number[] {
  const count = a.tickCount ?? Math.max(2, Math.min(8, Math.floor(pixels / 48)));
  const [lo, hi] = a.domain[0] <= a.domain[1] ? a.domain : [a.domain[1], a.domain[0]];
  let t = niceTicks(lo, hi, count);
  if (a.integer) {
    const step = Math.max(1, Math.ceil(t.length > 1 ? t[1] - t[0] : 1));
    t = [];
    for (let v = Math.ceil(lo / step) * step; v <= Math.floor(hi); v += step) t.push(v);
  }
  return t;
}

/** Lay out a plot area; `under` = grid lines (draw first), `over` = axis lines, ticks and labels. */
export function makeAxes(o: AxesOptions): { frame: Frame; under: Prim[]; over: Prim[] } {
  const { theme } = o;
  const fs = theme.fontSize;
  const fmtY = o.y.format ?? ((v: number) => fmt(v));
  const fmtX = o.x.format ?? ((v: number) => fmt(v));
  const plotHeightGuess = o.height - (o.top ?? 8) - 40 - (o.bottom ?? 0);
  const yTicks = ticksFor(o.y, plotHeightGuess * 1.4);
  const yTickWidth = Math.max(0, ...yTicks.map((t) => textWidth(fmtY(t), fs, theme.fontFamily)));
  const left = Math.ceil(6 + fs + 6 + yTickWidth + 5);
  const top = o.top ?? 8;
  const right = 12;
  const bottom = 6 + fs + 5 + fs + 6 + (o.bottom ?? 0);
  const width = Math.max(20, o.width - left - right);
  const height = Math.max(20, o.height - top - bottom);
  const x = linearScale(o.x.domain, [left, left + width]);
  const y = linearScale(o.y.domain, [top + height, top]);
  const xTicks = ticksFor(o.x, width);
  const under: Prim[] = [];
  const prims: Prim[] = [];
  const labelColor = theme.muted;
  for (const t of yTicks) {
    const py = y(t);
    if (o.grid !== false) under.push({ k: 'line', pts: [[left, py], [left + width, py]], color: theme.grid, width: 1, alpha: theme.gridAlpha });
    prims.push({ k: 'text', x: left - 5, y: py, text: fmtY(t), color: labelColor, size: fs, anchor: 'end', baseline: 'middle' });
  }
  for (const t of xTicks) {
    const px = x(t);
    prims.push({ k: 'line', pts: [[px, top + height], [px, top + height + 4]], color: theme.axis, width: 1 });
    prims.push({ k: 'text', x: px, y: top + height + 6, text: fmtX(t), color: labelColor, size: fs, anchor: 'middle', baseline: 'top' });
  }
  prims.push({ k: 'line', pts: [[left, top], [left, top + height], [left + width, top + height]], color: theme.axis, width: 1, alpha: 0.7 });
  prims.push({ k: 'text', x: left + width / 2, y: top + height + 6 + fs + 5, text: o.x.label, color: theme.foreground, size: fs, anchor: 'middle', baseline: 'top' });
  prims.push({ k: 'text', x: 5, y: top + height / 2, text: o.y.label, color: theme.foreground, size: fs, anchor: 'middle', baseline: 'top', rotate: -90 });
  return { frame: { left, top, width, height, x, y }, under, over: prims };
}

/** A horizontal "layer 0 ▭▭▭ layer N" gradient legend for the plasma layer colours, right-aligned at (right, y). */
export function layerLegend(right: number, y: number, layers: number, map: ColorMap, range: [number, number], theme: Theme): Prim[] {
  const barW = 64;
  const fs = theme.fontSize;
  const lastLabel = `L${layers - 1}`;
  const lastW = textWidth(lastLabel, fs, theme.fontFamily);
  const barX = right - lastW - 4 - barW;
  return [
    { k: 'text', x: barX - 4, y: y + 4, text: 'L0', color: theme.muted, size: fs, anchor: 'end', baseline: 'middle' },
    { k: 'gradient', x: barX, y, w: barW, h: 8, stops: stops(map, range) },
    { k: 'text', x: barX + barW + 4, y: y + 4, text: lastLabel, color: theme.muted, size: fs, anchor: 'start', baseline: 'middle' },
  ];
}

/** A horizontal colour bar with its limits, for heatmaps: `label  min ▭▭▭▭ max`. */
export function colorBar(x: number, y: number, w: number, map: ColorMap, lo: number, hi: number, label: string, theme: Theme): Prim[] {
  const fs = theme.fontSize;
  const labelW = textWidth(label, fs, theme.fontFamily);
  const loText = fmt(lo);
  const hiText = fmt(hi);
  const loW = textWidth(loText, fs, theme.fontFamily);
  const hiW = textWidth(hiText, fs, theme.fontFamily);
  const barX = x + labelW + 8 + loW + 4;
  const barW = Math.max(30, w - (barX - x) - hiW - 4);
  return [
    { k: 'text', x, y: y + 5, text: label, color: theme.foreground, size: fs, baseline: 'middle' },
    { k: 'text', x: barX - 4, y: y + 5, text: loText, color: theme.muted, size: fs, anchor: 'end', baseline: 'middle' },
    { k: 'gradient', x: barX, y, w: barW, h: 10, stops: stops(map) },
    { k: 'text', x: barX + barW + 4, y: y + 5, text: hiText, color: theme.muted, size: fs, baseline: 'middle' },
  ];
}

export type Marker = 'hexagon' | 'circle' | 'square';

/** A filled marker centred at (x, y). */
export function marker(kind: Marker, x: number, y: number, r: number, fill: string, stroke: string): Prim {
  if (kind === 'circle') return { k: 'circle', cx: x, cy: y, r, fill, stroke };
  const n = kind === 'hexagon' ? 6 : 4;
  const offset = kind === 'hexagon' ? Math.PI / 2 : Math.PI / 4;
  const rr = kind === 'square' ? r * 1.2 : r;
  const pts = Array.from({ length: n }, (_, i): [number, number] => {
    const a = offset + (i * 2 * Math.PI) / n;
    return [x + rr * Math.cos(a), y + rr * Math.sin(a)];
  });
  return { k: 'poly', pts, fill, stroke };
}

/** A legend of series (marker + label), laid out left to right from (x, y). */
export function seriesLegend(x: number, y: number, items: { label: string; color: string; marker: Marker }[], theme: Theme): Prim[] {
  const prims: Prim[] = [];
  let cx = x;
  for (const it of items) {
    prims.push({ k: 'line', pts: [[cx, y], [cx + 18, y]], color: it.color, width: 1.5 });
    prims.push(marker(it.marker, cx + 9, y, 4, it.color, theme.foreground));
    prims.push({ k: 'text', x: cx + 22, y, text: it.label, color: theme.foreground, size: theme.fontSize, baseline: 'middle' });
    cx += 22 + textWidth(it.label, theme.fontSize, theme.fontFamily) + 14;
  }
  return prims;
}
