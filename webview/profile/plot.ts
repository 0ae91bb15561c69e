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
  /**
   * Integer axes of layers (or heads): a tick for EVERY index and a label for every one that can be read —
   * the font shrinks to 8 px, then x labels turn vertical; only past that are labels thinned (the hover and
   * keyboard readouts still name every index).
   */
  every?: boolean;
}

/** How the labels of an `every` axis are drawn. */
export interface EveryPlan { size: number; rotate: boolean; labelStep: number; extent: number }

const MIN_LABEL_SIZE = 8;

/** Fit labels `fmt(i)` for i in [lo, hi] into `pixels` (x: side by side; y: stacked). */
export function planEveryLabels(lo: number, hi: number, pixels: number, axis: 'x' | 'y', fs: number, font: string, fmt: (v: number) => string): EveryPlan {
  const count = Math.max(1, hi - lo + 1);
  const per = pixels / count;
  const widest = (size: number) => Math.max(0, ...Array.from({ length: count }, (_, i) => textWidth(fmt(lo + i), size, font)));
  for (let size = fs; size >= MIN_LABEL_SIZE; size--) {
    if (axis === 'y' ? per >= size + 1 : per >= widest(size) + 3) return { size, rotate: false, labelStep: 1, extent: axis === 'y' ? widest(size) : size };
  }
  if (axis === 'x' && per >= MIN_LABEL_SIZE + 1) return { size: MIN_LABEL_SIZE, rotate: true, labelStep: 1, extent: widest(MIN_LABEL_SIZE) };
  const need = axis === 'y' ? MIN_LABEL_SIZE + 1 : MIN_LABEL_SIZE + 1;
  const labelStep = Math.max(2, Math.ceil(need / Math.max(0.5, per)));
  return { size: MIN_LABEL_SIZE, rotate: axis === 'x', labelStep, extent: axis === 'y' ? widest(MIN_LABEL_SIZE) : widest(MIN_LABEL_SIZE) };
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
  if (a.every) {
    const [lo, hi] = a.domain[0] <= a.domain[1] ? a.domain : [a.domain[1], a.domain[0]];
    const out: number[] = [];
    for (let v = Math.ceil(lo); v <= Math.floor(hi); v++) out.push(v);
    return out;
  }
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
  const font = theme.fontFamily;
  const fmtY = o.y.format ?? ((v: number) => fmt(v));
  const fmtX = o.x.format ?? ((v: number) => fmt(v));
  const top = o.top ?? 8;
  const plotHeightGuess = o.height - top - 40 - (o.bottom ?? 0);
  const yTicks = ticksFor(o.y, plotHeightGuess * 1.4);
  const yPlan = o.y.every && yTicks.length
    ? planEveryLabels(yTicks[0], yTicks[yTicks.length - 1], plotHeightGuess * yTicks.length / Math.max(1, Math.abs(o.y.domain[1] - o.y.domain[0])), 'y', fs, font, fmtY)
    : undefined;
  const yTickWidth = yPlan ? yPlan.extent : Math.max(0, ...yTicks.map((t) => textWidth(fmtY(t), fs, font)));
  const left = Math.ceil(6 + fs + 6 + yTickWidth + 5);
  const right = 12;
  const width = Math.max(20, o.width - left - right);
  const xTicks = ticksFor(o.x, width);
  const xPlan = o.x.every && xTicks.length
    ? planEveryLabels(xTicks[0], xTicks[xTicks.length - 1], width * xTicks.length / Math.max(1, Math.abs(o.x.domain[1] - o.x.domain[0])), 'x', fs, font, fmtX)
    : undefined;
  const xLabelHeight = xPlan ? (xPlan.rotate ? xPlan.extent : xPlan.size) : fs;
  const bottom = 6 + xLabelHeight + 5 + fs + 6 + (o.bottom ?? 0);
  const height = Math.max(20, o.height - top - bottom);
  const x = linearScale(o.x.domain, [left, left + width]);
  const y = linearScale(o.y.domain, [top + height, top]);
  const under: Prim[] = [];
  const prims: Prim[] = [];
  const labelColor = theme.muted;
  yTicks.forEach((t, i) => {
    const py = y(t);
    if (o.grid !== false) under.push({ k: 'line', pts: [[left, py], [left + width, py]], color: theme.grid, width: 1, alpha: theme.gridAlpha });
    if (yPlan) prims.push({ k: 'line', pts: [[left - 3, py], [left, py]], color: theme.axis, width: 1 });
    if (yPlan && i % yPlan.labelStep !== 0) return;
    prims.push({ k: 'text', x: left - (yPlan ? 5 : 5), y: py, text: fmtY(t), color: labelColor, size: yPlan?.size ?? fs, anchor: 'end', baseline: 'middle' });
  });
  xTicks.forEach((t, i) => {
    const px = x(t);
    prims.push({ k: 'line', pts: [[px, top + height], [px, top + height + 4]], color: theme.axis, width: 1 });
    if (xPlan && i % xPlan.labelStep !== 0) return;
    if (xPlan?.rotate) {
      prims.push({ k: 'text', x: px, y: top + height + 6, text: fmtX(t), color: labelColor, size: xPlan.size, anchor: 'end', baseline: 'middle', rotate: -90 });
    } else {
      prims.push({ k: 'text', x: px, y: top + height + 6, text: fmtX(t), color: labelColor, size: xPlan?.size ?? fs, anchor: 'middle', baseline: 'top' });
    }
  });
  prims.push({ k: 'line', pts: [[left, top], [left, top + height], [left + width, top + height]], color: theme.axis, width: 1, alpha: 0.7 });
  prims.push({ k: 'text', x: left + width / 2, y: top + height + 6 + xLabelHeight + 5, text: o.x.label, color: theme.foreground, size: fs, anchor: 'middle', baseline: 'top' });
  prims.push({ k: 'text', x: 5, y: top + height / 2, text: o.y.label, color: theme.foreground, size: fs, anchor: 'middle', baseline: 'top', rotate: -90 });
  return { frame: { left, top, width, height, x, y }, under, over: prims };
}

/** One legend entry: its width and how to draw it with its left edge at x, centred on y. */
export interface LegendItem { width: number; draw(x: number, y: number): Prim[] }

/**
 * Legend entries flowed into rows between `left` and `right` starting at `y` (row centres `lineHeight` apart):
 * nothing overlaps, and the chart reserves the returned `height` above its plot so no label is covered.
 */
export function flowLegend(items: LegendItem[], left: number, right: number, y: number, lineHeight: number, gap = 14): { prims: Prim[]; height: number } {
  const prims: Prim[] = [];
  let cx = left;
  let row = 0;
  for (const it of items) {
    if (cx > left && cx + it.width > right) { row++; cx = left; }
    prims.push(...it.draw(cx, y + row * lineHeight));
    cx += it.width + gap;
  }
  return { prims, height: items.length ? (row + 1) * lineHeight : 0 };
}

/** Legend rows in a band at the top of a chart, across its width (never over the axes' labels). */
export function legendBand(width: number, theme: Theme, items: LegendItem[]): { prims: Prim[]; height: number } {
  const line = theme.fontSize + 6;
  const band = flowLegend(items, 8, width - 8, 4 + line / 2, line);
  return { prims: band.prims, height: band.height + 4 };
}

/** The plasma layer-colour gradient as a legend entry: `L0 ▭▭▭ L11`. */
export function layerLegendItem(layers: number, map: ColorMap, range: [number, number], theme: Theme): LegendItem {
  const barW = 56;
  const fs = theme.fontSize;
  const first = 'L0';
  const last = `L${layers - 1}`;
  const firstW = textWidth(first, fs, theme.fontFamily);
  const lastW = textWidth(last, fs, theme.fontFamily);
  return {
    width: firstW + 4 + barW + 4 + lastW,
    draw: (x, y) => [
      { k: 'text', x, y, text: first, color: theme.muted, size: fs, anchor: 'start', baseline: 'middle' },
      { k: 'gradient', x: x + firstW + 4, y: y - 4, w: barW, h: 8, stops: stops(map, range) },
      { k: 'text', x: x + firstW + 4 + barW + 4, y, text: last, color: theme.muted, size: fs, anchor: 'start', baseline: 'middle' },
    ],
  };
}

/** A plain text legend entry (e.g. "dots: observed, lines: fit"). */
export function textLegendItem(text: string, theme: Theme): LegendItem {
  return {
    width: textWidth(text, theme.fontSize, theme.fontFamily),
    draw: (x, y) => [{ k: 'text', x, y, text, color: theme.muted, size: theme.fontSize, baseline: 'middle' }],
  };
}

/** Series entries (line + marker + label). */
export function seriesLegendItems(items: { label: string; color: string; marker: Marker }[], theme: Theme): LegendItem[] {
  return items.map((it) => ({
    width: 22 + textWidth(it.label, theme.fontSize, theme.fontFamily),
    draw: (x, y) => [
      { k: 'line', pts: [[x, y], [x + 18, y]], color: it.color, width: 1.5 },
      marker(it.marker, x + 9, y, 4, it.color, theme.foreground),
      { k: 'text', x: x + 22, y, text: it.label, color: theme.foreground, size: theme.fontSize, baseline: 'middle' },
    ],
  }));
}

/** A swatch legend entry (filled square + label). */
export function swatchLegendItem(label: string, fill: string, theme: Theme, stroke?: string): LegendItem {
  return {
    width: 14 + textWidth(label, theme.fontSize, theme.fontFamily),
    draw: (x, y) => [
      { k: 'rect', x, y: y - 5, w: 10, h: 10, fill, stroke },
      { k: 'text', x: x + 14, y, text: label, color: theme.foreground, size: theme.fontSize, baseline: 'middle' },
    ],
  };
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
