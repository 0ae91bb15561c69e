// One typed message union per direction between the extension host and the webviews (panel and
// Layer Profile view). Discriminated on `type`. Large numeric payloads are ArrayBuffers (never JSON
// arrays of numbers); the host slices typed arrays so only the needed bytes cross.
import type { ModelInfo, Token } from './engine/types';

export type AttentionEncoding = 'f32' | 'u8';

/** Summary of one analysis: everything small. Tensors are fetched per layer with `requestLayer`. */
export interface AnalysisSummary {
  analysisId: number;
  model: ModelInfo;
  tokens: Token[];
  truncated: boolean;
  /** Shown at the top of the panel, e.g. "No selection: analyzed the current paragraph". */
  note?: string;
  sourceName?: string;
  topK: number;
  /** [T, k] Int32 ids, [T, k] Float32 probabilities, top-k token display strings [T*k]. */
  topkIds: ArrayBuffer;
  topkProbs: ArrayBuffer;
  topkTokens: string[];
  /** [T] Float32, NaN for the last position. */
  nextTokenLogProb: ArrayBuffer;
  /** [L, T] Float32. */
  attnOutNorms: ArrayBuffer;
  /** [L, H, 2] Float32: mean diagonal (self) attention, mean attention to the previous token. */
  flow: ArrayBuffer;
}

/** What a Show Attention run is doing, as the panel shows it. */
export type PanelPhase = 'downloading' | 'loading' | 'queued' | 'tokenizing' | 'running' | 'preparing';

export type ToPanelMessage =
  | { type: 'analysis'; summary: AnalysisSummary }
  /** One layer, all heads: [H, T, T] row-major. u8 = round(p * 255). */
  | { type: 'layer'; analysisId: number; layer: number; encoding: AttentionEncoding; data: ArrayBuffer }
  /** Model-view thumbnails: [L, H, S, S] u8 mean-pooled attention, S = min(T, size). */
  | { type: 'thumbnails'; analysisId: number; size: number; data: ArrayBuffer }
  /**
   * Work in progress. For a Show Attention run: `phase`, `elapsedMs` so far (the panel keeps the clock
   * ticking) and `cancellable` (the panel shows Cancel, which posts `cancelAnalysis`).
   */
  | { type: 'progress'; message: string; phase?: PanelPhase; elapsedMs?: number; cancellable?: boolean }
  /** The run in progress ended without a new analysis (cancelled): hide the progress; the last analysis stays. */
  | { type: 'progressEnd'; message?: string }
  | { type: 'stale'; analysisId: number }
  | { type: 'error'; message: string }
  /** The host asks the panel to select a query token (follow-cursor in the editor). */
  | { type: 'selectQuery'; analysisId: number; query: number }
  /** The host asks the panel to render an export (command palette). */
  | { type: 'requestExport'; format: 'png' | 'svg' }
  /** Open the heatmap of one layer and head (from the Layer Profile view's head table). */
  | { type: 'openHead'; layer: number; head: number };

export type FromPanelMessage =
  | { type: 'ready' }
  | { type: 'requestLayer'; analysisId: number; layer: number; encoding: AttentionEncoding }
  | { type: 'requestThumbnails'; analysisId: number; size: number }
  /** Cancel the running Show Attention (the previous analysis stays shown). */
  | { type: 'cancelAnalysis' }
  /** Paint the keys this query attends to in the editor; head null = mean over heads; query null = clear. */
  | { type: 'queryChanged'; analysisId: number; query: number | null; layer: number; head: number | null }
  /** Save an export. PNG as a base64 data URL, SVG as text. */
  | { type: 'export'; format: 'png' | 'svg'; view: string; data: string }
  | { type: 'exportJson' }
  | { type: 'followCursor'; enabled: boolean }
  | { type: 'log'; level: 'info' | 'error'; message: string };

/** Runtime validation of messages that come from a webview (never trust their shape). */
export function isFromPanelMessage(m: unknown): m is FromPanelMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  switch (o.type) {
    case 'ready':
    case 'exportJson':
    case 'cancelAnalysis':
      return true;
    case 'requestLayer':
      return int(o.analysisId) && int(o.layer) && (o.encoding === 'f32' || o.encoding === 'u8');
    case 'requestThumbnails':
      return int(o.analysisId) && int(o.size) && (o.size as number) <= 256;
    case 'queryChanged':
      return int(o.analysisId) && (o.query === null || int(o.query)) && int(o.layer) && (o.head === null || int(o.head));
    case 'export':
      return (o.format === 'png' || o.format === 'svg') && typeof o.view === 'string' && typeof o.data === 'string';
    case 'followCursor':
      return typeof o.enabled === 'boolean';
    case 'log':
      return (o.level === 'info' || o.level === 'error') && typeof o.message === 'string';
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Layer Profile view (issue 5): the sidebar WebviewView that charts a ProfileResult.
// The view posts `ready` once; the host then (re)sends the current state (`profile`, `progress`,
// `empty` or `error`). The view keeps no result across reloads: the host resends it on `ready`.

export type ProfileOrigin = 'selection' | 'corpus';

/** Every chart of the Layer Profile view, in display order; `export` messages name one of these. */
export const PROFILE_CHART_IDS = [
  'validMask', 'lengths', 'distribution', 'meanPerLayer', 'positionHeatmap',
  'regressionFit', 'regressionBeta0', 'regressionBeta1', 'autoregression', 'headHeatmap',
] as const;
export type ProfileChartId = (typeof PROFILE_CHART_IDS)[number];
export type ProfileExportFormat = 'png' | 'svg' | 'csv';

export type ToProfileMessage =
  /** Show a result. `running` = a corpus run is still going and this is a partial result (keep the progress bar). */
  | { type: 'profile'; result: import('./engine/types').ProfileResult; origin: ProfileOrigin; title: string; running?: boolean }
  /** A corpus run is going: `done` of `total` sequences. The last shown result stays visible. */
  | { type: 'progress'; done: number; total: number; etaSeconds?: number; message: string }
  /** No analysis yet (or it was cleared): show the explanation and the start buttons. */
  | { type: 'empty'; message: string }
  /** Show an error banner (ends any progress); the last result stays visible. */
  | { type: 'error'; message: string };

export type FromProfileMessage =
  | { type: 'ready' }
  /** Open the attention panel heatmap for this layer and head. */
  | { type: 'openHead'; layer: number; head: number }
  /** Save a chart: PNG as a base64 data URL, SVG and CSV as text. */
  | { type: 'export'; format: ProfileExportFormat; chart: ProfileChartId; data: string }
  /** The user toggled "Include first token" (informational; the view switches by itself). */
  | { type: 'setIncludeFirst'; value: boolean }
  /** "Profile Texts…": pick a corpus and run a batch profile. */
  | { type: 'runProfile' }
  /** Open a saved profile JSON (a ProfileResult). */
  | { type: 'openResult' }
  /** Save the shown ProfileResult as JSON. */
  | { type: 'saveResult' }
  /** Run Show Attention on the active editor's selection. */
  | { type: 'showAttention' }
  /** Cancel the running corpus profile (the host then sends the partial result). */
  | { type: 'cancelProfile' };

/** Runtime validation of messages that come from the Layer Profile webview. */
export function isFromProfileMessage(m: unknown): m is FromProfileMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  const index = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 4096;
  switch (o.type) {
    case 'ready':
    case 'runProfile':
    case 'openResult':
    case 'saveResult':
    case 'showAttention':
    case 'cancelProfile':
      return true;
    case 'openHead':
      return index(o.layer) && index(o.head);
    case 'export':
      return (o.format === 'png' || o.format === 'svg' || o.format === 'csv')
        && typeof o.chart === 'string' && (PROFILE_CHART_IDS as readonly string[]).includes(o.chart)
        && typeof o.data === 'string';
    case 'setIncludeFirst':
      return typeof o.value === 'boolean';
    default:
      return false;
  }
}
