// Pure colour logic for painting attention onto the document: weight → bucket, bucket → CSS colour
// for each colour scheme. The decoration types themselves are created in decorations.ts.
import type { ColorScheme } from './config';

export const BUCKETS = 10;
/** Keys below this fraction of the row's strongest weight are not painted. */
export const MIN_FRACTION = 0.04;

/** VS Code's ColorThemeKind values (Light=1, Dark=2, HighContrast=3, HighContrastLight=4). */
export type ThemeKind = 1 | 2 | 3 | 4;

type RGB = [number, number, number];

const VIRIDIS: RGB[] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const MAGMA: RGB[] = [[0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191]];

function themeBase(kind: ThemeKind): RGB {
  switch (kind) {
    case 1: return [0, 102, 204]; // light: a blue that reads on white
    case 3: return [255, 215, 0]; // high contrast dark: yellow
    case 4: return [0, 64, 160]; // high contrast light
    default: return [64, 156, 255]; // dark
  }
}

/** Linear interpolation in an anchor list, t in [0, 1]. */
export function sampleColormap(anchors: readonly RGB[], t: number): RGB {
  const x = Math.min(1, Math.max(0, t)) * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(x));
  const f = x - i;
  const a = anchors[i];
  const b = anchors[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as RGB;
}

function rgba([r, g, b]: RGB, alpha: number): string {
  return `rgba(${r}, ${g}, ${b}, ${Math.round(alpha * 1000) / 1000})`;
}

/** The level (0..1) a bucket stands for: its upper edge. */
export function bucketLevel(bucket: number, buckets = BUCKETS): number {
  return (bucket + 1) / buckets;
}

/**
 * Background colour of each bucket. "theme": one theme-appropriate hue, alpha ∝ level × opacity.
 * Colormaps: the colormap at the level, alpha rising gently so faint keys stay visible but quiet.
 */
export function bucketColors(scheme: ColorScheme, opacity: number, kind: ThemeKind, buckets = BUCKETS): string[] {
  const colors: string[] = [];
  for (let b = 0; b < buckets; b++) {
    const level = bucketLevel(b, buckets);
    if (scheme === 'theme') colors.push(rgba(themeBase(kind), opacity * level));
    else colors.push(rgba(sampleColormap(scheme === 'viridis' ? VIRIDIS : MAGMA, level), opacity * (0.35 + 0.65 * level)));
  }
  return colors;
}

/** Bucket of a weight relative to the row maximum, or -1 when too small to paint. */
export function bucketOf(weight: number, max: number, buckets = BUCKETS): number {
  if (!(max > 0) || !(weight > 0)) return -1;
  const f = weight / max;
  if (f < MIN_FRACTION) return -1;
  return Math.min(buckets - 1, Math.max(0, Math.ceil(f * buckets) - 1));
}

/** Group key indices by bucket: result[b] lists the keys painted with bucket b. */
export function groupByBucket(weights: ArrayLike<number>, buckets = BUCKETS): number[][] {
  let max = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > max) max = weights[i];
  const groups: number[][] = Array.from({ length: buckets }, () => []);
  for (let i = 0; i < weights.length; i++) {
    const b = bucketOf(weights[i], max, buckets);
    if (b >= 0) groups[b].push(i);
  }
  return groups;
}
