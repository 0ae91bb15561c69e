// UI state persisted with acquireVsCodeApi().setState so a hidden/restored panel comes back as it was.

export const TAB_IDS = ['head', 'model', 'heatmap', 'tokens', 'flow', 'generation'] as const;
export type TabId = (typeof TAB_IDS)[number];
export type HeatmapLayout = 'single' | 'grid';
/** by block = fix a layer, step through its heads; by layer = fix a head index, step through layers. */
export type BrowseMode = 'block' | 'layer';
/** Token range [start, end). */
export interface TokenRange { start: number; end: number }
export type ThumbScale = 'each' | 'shared';

export interface PersistedState {
  version: 1;
  analysisId: number | null;
  tab: TabId;
  layer: number;
  /** Focused head for heatmaps and the tokens view; null = mean over heads. */
  head: number | null;
  /** Heads shown in the head view (toggles); null = all. */
  visibleHeads: number[] | null;
  /** Pinned query token (shared by all views). */
  query: number | null;
  heatmapLayout: HeatmapLayout;
  browse: BrowseMode;
  /** Gamma of the heatmap colour scale: 1 = linear, 0.5 = square root. */
  gamma: number;
  /** Heatmaps (and their exports): crop to tokens [start, end) on both axes; null = all tokens. */
  heatmapRange: TokenRange | null;
  followCursor: boolean;
  showHeadSpread: boolean;
  /** Model view colour scale: each thumbnail to its own maximum, or one maximum shared by all. */
  thumbScale: ThumbScale;
}

export function defaultState(): PersistedState {
  return {
    version: 1, analysisId: null, tab: 'head', layer: 0, head: 0, visibleHeads: null, query: null,
    heatmapLayout: 'single', browse: 'block', gamma: 1, heatmapRange: null, followCursor: false, showHeadSpread: true,
    thumbScale: 'each',
  };
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Merge a stored (untrusted, maybe older) state over the defaults, field by field. */
export function restoreState(saved: Partial<PersistedState> | undefined): PersistedState {
  const s = defaultState();
  if (!saved || saved.version !== 1) return s;
  if (saved.analysisId === null || isIndex(saved.analysisId)) s.analysisId = saved.analysisId ?? null;
  if (typeof saved.tab === 'string' && (TAB_IDS as readonly string[]).includes(saved.tab)) s.tab = saved.tab;
  if (isIndex(saved.layer)) s.layer = saved.layer;
  if (saved.head === null || isIndex(saved.head)) s.head = saved.head ?? null;
  if (saved.visibleHeads === null || (Array.isArray(saved.visibleHeads) && saved.visibleHeads.every(isIndex))) {
    s.visibleHeads = saved.visibleHeads ?? null;
  }
  if (saved.query === null || isIndex(saved.query)) s.query = saved.query ?? null;
  if (saved.heatmapLayout === 'single' || saved.heatmapLayout === 'grid') s.heatmapLayout = saved.heatmapLayout;
  if (saved.browse === 'block' || saved.browse === 'layer') s.browse = saved.browse;
  if (saved.gamma === 1 || saved.gamma === 0.5) s.gamma = saved.gamma;
  const r = saved.heatmapRange;
  if (r && typeof r === 'object' && isIndex(r.start) && isIndex(r.end) && r.end - r.start >= 2) s.heatmapRange = { start: r.start, end: r.end };
  if (typeof saved.followCursor === 'boolean') s.followCursor = saved.followCursor;
  if (typeof saved.showHeadSpread === 'boolean') s.showHeadSpread = saved.showHeadSpread;
  if (saved.thumbScale === 'each' || saved.thumbScale === 'shared') s.thumbScale = saved.thumbScale;
  return s;
}

/** Clamp indices to a (new) analysis shape. The pinned query survives only within the same analysis. */
export function clampState(s: PersistedState, shape: { analysisId: number; T: number; L: number; H: number }): void {
  // A new analysis is another text: a token index of the old one means nothing there (and the host has
  // cleared the editor paint). The same analysis comes back after the webview reloads: keep the query.
  const sameText = s.analysisId === shape.analysisId;
  if (!sameText) s.query = null;
  s.analysisId = shape.analysisId;
  s.layer = Math.min(s.layer, shape.L - 1);
  if (s.head !== null) s.head = Math.min(s.head, shape.H - 1);
  if (s.visibleHeads) {
    s.visibleHeads = s.visibleHeads.filter((h) => h < shape.H);
    if (s.visibleHeads.length === 0) s.visibleHeads = null;
  }
  if (s.query !== null && s.query >= shape.T) s.query = null;
  // A crop belongs to the text it was made on.
  if (s.heatmapRange && (!sameText || s.heatmapRange.end > shape.T)) s.heatmapRange = null;
}
