// The contract every chart implements: build a scene for a width, answer hover hits, and give its data as CSV.
import type { HeadStatName, ProfileResult, ProfileStats } from '../../src/engine/types';
import type { ProfileChartId } from '../../src/protocol';
import type { Scene } from './scene';
import type { Theme } from './theme';

export interface ChartInput {
  result: ProfileResult;
  /** result.includeFirst or result.excludeFirst, per the toggle. */
  stats: ProfileStats;
  includeFirst: boolean;
  theme: Theme;
  width: number;
  /** Colour limits of the position heatmap, as percentiles of its values. */
  climPercentiles: [number, number];
  /** Colour the position heatmap by log(mean norm): norms grow exponentially with depth. */
  heatmapLog: boolean;
  stat: HeadStatName;
  /** The head last opened (outlined in the head heatmap). */
  selectedHead: { layer: number; head: number } | null;
  /** The last tooltip line of a head cell (what a click does); default "click to open". */
  openHint?: string;
}

export interface Hit {
  lines: string[];
  /** Set when clicking here should open a head. */
  head?: { layer: number; head: number };
}

/**
 * Keyboard access to what hovering shows: a grid of points (rows × cols) the arrow keys move
 * between; each point is answered by `hit` like the mouse would be. ↑ goes to the next row
 * (charts draw row 0 at the bottom).
 */
export interface KeyGrid {
  rows: number;
  cols: number;
  point(row: number, col: number): [number, number];
  /** The rectangle outlined at a point (default: a small square around it). */
  box?(row: number, col: number): { x: number; y: number; w: number; h: number };
}

export interface BuiltChart {
  scene: Scene;
  csv: string;
  /** One sentence for screen readers (aria-label of the canvas). */
  summary: string;
  hit(x: number, y: number): Hit | null;
  keys?: KeyGrid;
}

export interface ChartDef {
  id: ProfileChartId;
  title: string;
  /** Only meaningful for a corpus run (many sequences). */
  corpusOnly?: boolean;
  build(input: ChartInput): BuiltChart;
}

export { toCsv, profileChartCsv } from '../../src/engine/stats';

export function emptyScene(input: ChartInput, height: number): Scene {
  return { width: input.width, height, background: input.theme.background, fontFamily: input.theme.fontFamily, prims: [] };
}

/** Index of the layer (integer x) nearest to a pixel, or null outside the plot. */
export function nearestIndex(px: number, invert: (p: number) => number, count: number): number | null {
  const i = Math.round(invert(px));
  return i >= 0 && i < count ? i : null;
}

export const STAT_LABELS: Record<HeadStatName, string> = {
  entropy: 'Entropy',
  sinkMass: 'Sink mass',
  prevToken: 'Previous-token',
  meanDistance: 'Mean distance',
};

/**
 * Units (src/engine/stats.ts headStats): entropy uses the natural log, so it is in nats; sink mass and
 * previous-token are attention weights (0–1, no unit); mean distance counts tokens.
 */
export const STAT_UNITS: Record<HeadStatName, string> = { entropy: 'nats', sinkMass: '', prevToken: '', meanDistance: 'tokens' };

/** "Entropy (nats)", "Sink mass (weight 0–1)". */
export function statWithUnit(stat: HeadStatName): string {
  return `${STAT_LABELS[stat]} (${STAT_UNITS[stat] || 'weight 0–1'})`;
}
