// Charts 3 and 6: the layer × position heatmap of mean norms and the layer × head heatmap of a head statistic.
import { HEAD_STAT_NAMES } from '../../../src/engine/types';
import type { ChartDef, ChartInput, BuiltChart, KeyGrid } from '../chart';
import { STAT_LABELS, STAT_UNITS, emptyScene, profileChartCsv, statWithUnit } from '../chart';
import { magma } from '../colormap';
import type { Frame } from '../plot';
import { colorBar, makeAxes } from '../plot';
import type { Prim } from '../scene';
import { percentile } from '../../../src/engine/stats';
import { fmt } from '../stats';

const COLORBAR_SPACE = 26;

/** Cells of a [rows][cols] grid on a frame whose x = column and y = row (row 0 at the bottom). */
function gridCells(frame: Frame, values: (number | null)[][], color: (v: number) => string, masked: string): Prim[] {
  const prims: Prim[] = [];
  values.forEach((row, r) => {
    const y0 = frame.y(r + 0.5);
    const h = frame.y(r - 0.5) - y0;
    row.forEach((v, c) => {
      const x0 = frame.x(c - 0.5);
      const w = frame.x(c + 0.5) - x0;
      const ok = typeof v === 'number' && Number.isFinite(v);
      prims.push({ k: 'rect', x: x0, y: y0, w: w + 0.4, h: h + 0.4, fill: ok ? color(v) : masked });
    });
  });
  return prims;
}

/** Cells of a heatmap frame for the keyboard: row = y index, column = x index. */
function cellKeys(frame: Frame, rows: number, cols: number): KeyGrid {
  return {
    rows, cols,
    point: (r, c) => [frame.x(c), frame.y(r)],
    box: (r, c) => {
      const x0 = frame.x(c - 0.5), y0 = frame.y(r + 0.5);
      return { x: x0, y: y0, w: frame.x(c + 0.5) - x0, h: frame.y(r - 0.5) - y0 };
    },
  };
}

/** High contrast: a contrastBorder frame around the plot (magma's dark end meets a black background). */
function contrastFrame(frame: Frame, theme: ChartInput['theme']): Prim[] {
  if (!theme.highContrast || !theme.contrastBorder) return [];
  return [{ k: 'rect', x: frame.left - 0.5, y: frame.top - 0.5, w: frame.width + 1, h: frame.height + 1, stroke: theme.contrastBorder, lineWidth: 1 }];
}

function scaled(lo: number, hi: number): (v: number) => string {
  return (v) => magma(hi > lo ? (v - lo) / (hi - lo) : 0.5);
}

/** Colour limits at the given percentiles of the finite values (lo < hi guaranteed when possible). */
export function colorLimits(values: (number | null)[], percentiles: [number, number]): [number, number] {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (!v.length) return [0, 1];
  const p0 = Math.min(percentiles[0], percentiles[1]);
  const p1 = Math.max(percentiles[0], percentiles[1]);
  let lo = percentile(v, p0);
  let hi = percentile(v, p1);
  if (!(hi > lo)) { lo = Math.min(...v); hi = Math.max(...v); }
  return [lo, hi];
}

function buildPositionHeatmap(input: ChartInput): BuiltChart {
  const { stats, theme } = input;
  const grid = stats.positionHeatmap;
  const L = grid.length;
  const P = Math.max(1, ...grid.map((r) => r.length));
  const log = input.heatmapLog;
  const toColourSpace = (v: number | null) => (v === null ? null : log ? (v > 0 ? Math.log(v) : null) : v);
  const colourGrid = grid.map((row) => row.map(toColourSpace));
  const [lo, hi] = colorLimits(colourGrid.flat(), input.climPercentiles);
  const fromColourSpace = (v: number) => (log ? Math.exp(v) : v);
  // Tall enough that every layer row keeps a readable label (12 px a row, up to 48 layers).
  const scene = emptyScene(input, Math.max(220, Math.min(760, 90 + L * 13)));
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: 8, bottom: COLORBAR_SPACE, grid: false,
    x: { domain: [-0.5, P - 0.5], label: 'Token position', integer: true },
    y: { domain: [-0.5, L - 0.5], label: 'Layer', integer: true, every: true },
  });
  const { frame } = axes;
  const cb = colorBar(frame.left, scene.height - 16, frame.width, magma, fromColourSpace(lo), fromColourSpace(hi),
    `Mean norm${log ? ' (ln colour)' : ''} p${input.climPercentiles[0]}–p${input.climPercentiles[1]}`, theme);
  scene.prims = [...gridCells(frame, colourGrid, scaled(lo, hi), theme.masked), ...axes.over, ...contrastFrame(frame, theme), ...cb];
  return {
    scene,
    csv: profileChartCsv(input.result, 'heatmap', input.includeFirst),
    summary: `Mean attention-output norm for ${L} layers by ${P} token positions; colour limits ${fmt(fromColourSpace(lo))} to ${fmt(fromColourSpace(hi))}` +
      ` (percentiles ${input.climPercentiles[0]}–${input.climPercentiles[1]}${log ? ', log colour scale' : ''}). Arrow keys read the cells.`,
    keys: cellKeys(frame, L, P),
    hit(x, y) {
      const l = Math.round(frame.y.invert(y));
      const p = Math.round(frame.x.invert(x));
      if (l < 0 || l >= L || p < 0 || p >= P) return null;
      const v = grid[l][p];
      return { lines: [`layer ${l}, position ${p}`, v === null || v === undefined ? 'no valid token (masked)' : `mean norm ${fmt(v, 4)}`] };
    },
  };
}

function buildHeadHeatmap(input: ChartInput): BuiltChart {
  const { result, theme, stat } = input;
  const s = HEAD_STAT_NAMES.indexOf(stat);
  const heads = result.headStats;
  const L = heads.length;
  const H = Math.max(1, ...heads.map((r) => r.length));
  const grid = heads.map((row) => row.map((v) => v?.[s] ?? null));
  const [lo, hi] = colorLimits(grid.flat(), [0, 100]);
  const scene = emptyScene(input, Math.max(220, Math.min(800, 90 + L * 14)));
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: 8, bottom: COLORBAR_SPACE, grid: false,
    x: { domain: [-0.5, H - 0.5], label: 'Head', integer: true, every: true },
    y: { domain: [-0.5, L - 0.5], label: 'Layer', integer: true, every: true },
  });
  const { frame } = axes;
  const prims = gridCells(frame, grid, scaled(lo, hi), theme.masked);
  const sel = input.selectedHead;
  if (sel && sel.layer < L && sel.head < H) {
    const x0 = frame.x(sel.head - 0.5);
    const y0 = frame.y(sel.layer + 0.5);
    prims.push({ k: 'rect', x: x0 + 1, y: y0 + 1, w: frame.x(sel.head + 0.5) - x0 - 2, h: frame.y(sel.layer - 0.5) - y0 - 2, stroke: theme.foreground, lineWidth: 2 });
  }
  const cb = colorBar(frame.left, scene.height - 16, frame.width, magma, lo, hi, statWithUnit(stat), theme);
  scene.prims = [...prims, ...axes.over, ...contrastFrame(frame, theme), ...cb];
  return {
    scene,
    csv: profileChartCsv(input.result, 'heads', input.includeFirst),
    summary: `${STAT_LABELS[stat]} of ${L} × ${H} heads; click a cell to open that head (arrow keys read the cells, Enter opens one).`,
    keys: cellKeys(frame, L, H),
    hit(x, y) {
      const l = Math.round(frame.y.invert(y));
      const h = Math.round(frame.x.invert(x));
      if (l < 0 || l >= L || h < 0 || h >= H || x < frame.left || x > frame.left + frame.width) return null;
      const v = heads[l]?.[h];
      return {
        lines: [`layer ${l}, head ${h}`, ...HEAD_STAT_NAMES.map((n, k) => `${STAT_LABELS[n]} ${fmt(v?.[k], 4)}${STAT_UNITS[n] ? ` ${STAT_UNITS[n]}` : ''}`),
          input.openHint ?? 'click to open'],
        head: { layer: l, head: h },
      };
    },
  };
}

export const positionHeatmapChart: ChartDef = { id: 'positionHeatmap', title: 'Mean norm by layer and position', build: buildPositionHeatmap };
export const headHeatmapChart: ChartDef = { id: 'headHeatmap', title: 'Head statistics', build: buildHeadHeatmap };
