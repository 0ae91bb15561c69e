// One typed message union per direction between the extension host and the webviews (panel and
// Layer Profile view). Discriminated on `type`. Large numeric payloads are ArrayBuffers (never JSON
// arrays of numbers); the host slices typed arrays so only the needed bytes cross.
import type { ModelInfo, Token } from './engine/types';
import { HEAD_STAT_NAMES } from './engine/types';
import type { GenerationSettings, GenerationStepInfo, GenerationStopReason } from './engine/generationTypes';

export type AttentionEncoding = 'f32' | 'u8';

/** Summary of one analysis: everything small. Tensors are fetched per layer with `requestLayer`. */
export interface AnalysisSummary {
  analysisId: number;
  model: ModelInfo;
  tokens: Token[];
  /**
   * The analyzed text up to the last token's end (token ranges index into it), so the panel can show a
   * character that GPT-2 split over several tokens on the first of them (`Token.text` has "�" there).
   */
  text?: string;
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

/** Export settings a `requestExport` may carry (the export dialog's fields). */
export interface ExportRequestOptions {
  background?: 'theme' | 'white';
  scale?: number;
  title?: string;
  range?: { start: number; end: number };
}

/** One generated token as the panel gets it (the attention mass [L, H, 3] as an ArrayBuffer of Float32). */
export type GenerationStepMessage = Omit<GenerationStepInfo, 'mass'> & { mass: ArrayBuffer };

/** Cache comparison: the same generation with and without the key/value cache. */
export interface CacheComparison {
  withCache: { msPerToken: number; ids: number[] };
  withoutCache: { msPerToken: number; ids: number[] };
  speedup: number;
  identical: boolean;
  /** First step where the tokens differ (a near-tie that float rounding flips), if any. */
  firstDifference?: number;
}

/** What a Show Attention run is doing, as the panel shows it. */
export type PanelPhase = 'downloading' | 'loading' | 'queued' | 'tokenizing' | 'running' | 'preparing';

export type ToPanelMessage =
  | { type: 'analysis'; summary: AnalysisSummary }
  /** One layer, all heads: [H, T, T] row-major. u8 = round(p * 255). */
  | { type: 'layer'; analysisId: number; layer: number; encoding: AttentionEncoding; data: ArrayBuffer }
  /**
   * Model-view thumbnails: [L, H, S, S] u8 mean-pooled attention, S = min(T, size), sqrt-encoded:
   * byte = round(255 · sqrt(mean)), so mean = (byte / 255)². The bytes are absolute (not per-thumbnail
   * normalized): the panel derives each thumbnail's maximum, and the shared maximum, from them.
   */
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
  /**
   * The host asks the panel to export the active view (command palette): the panel opens its export
   * dialog with this format chosen. With `options` it exports at once with them (no dialog).
   */
  | { type: 'requestExport'; format: 'png' | 'svg'; options?: ExportRequestOptions }
  /** Open the heatmap of one layer and head (from the Layer Profile view's head table). */
  | { type: 'openHead'; layer: number; head: number }
  /** Generation tab: a generation starts (run = the host's counter; steps and end carry the same run). */
  | { type: 'generationStart'; run: number; model: ModelInfo; prompt: Token[]; settings: GenerationSettings; sourceName?: string; canInsert: boolean }
  | { type: 'generationStep'; run: number; step: GenerationStepMessage }
  | { type: 'generationEnd'; run: number; generationId: number; text: string; stopReason: GenerationStopReason; cache: boolean; prefillMs: number; inserted?: boolean }
  /** The generation failed (bad settings, prompt too long…): shown in the Generation tab. */
  | { type: 'generationError'; run: number; message: string }
  /** [ctx] attention row of one step for a layer and head (null = mean of heads), Float32. */
  | { type: 'stepRow'; generationId: number; step: number; layer: number; head: number | null; data: ArrayBuffer }
  | { type: 'cacheComparison'; run: number; status: 'running' | 'done' | 'error'; result?: CacheComparison; message?: string }
  /** The generated text was inserted into the editor (Insert into Editor). */
  | { type: 'generationInserted'; run: number }
  /** Live mode (re-analyze as the analyzed text grows) is on or off. */
  | { type: 'live'; enabled: boolean };

export type FromPanelMessage =
  | { type: 'ready' }
  | { type: 'requestLayer'; analysisId: number; layer: number; encoding: AttentionEncoding }
  | { type: 'requestThumbnails'; analysisId: number; size: number }
  /** Cancel the running Show Attention (the previous analysis stays shown). */
  | { type: 'cancelAnalysis' }
  /** Paint the keys this query attends to in the editor; head null = mean over heads; query null = clear. */
  | { type: 'queryChanged'; analysisId: number; query: number | null; layer: number; head: number | null }
  /**
   * Save an export. PNG as a base64 data URL, SVG as text. `note` says what the user should know about
   * the file (e.g. the scale was lowered to fit the canvas limits); `width`/`height` = its pixel size.
   */
  | { type: 'export'; format: 'png' | 'svg'; view: string; data: string; note?: string; width?: number; height?: number }
  | { type: 'exportJson' }
  | { type: 'followCursor'; enabled: boolean }
  /** Generation tab: run again with these settings (Regenerate), Stop, Insert into Editor, Compare cache, Open as analysis. */
  | { type: 'generate'; settings: GenerationSettings }
  | { type: 'stopGeneration' }
  | { type: 'insertGeneration' }
  | { type: 'compareCache' }
  | { type: 'openGenerationAnalysis' }
  | { type: 'requestStepRow'; generationId: number; step: number; layer: number; head: number | null }
  | { type: 'setLive'; enabled: boolean }
  | { type: 'log'; level: 'info' | 'error'; message: string };

/** Shape check of generation settings from the panel (the engine checks the ranges and names bad values). */
export function isGenerationSettings(v: unknown): v is GenerationSettings {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (o.strategy === 'greedy' || o.strategy === 'sample') && num(o.temperature) && num(o.topK) && num(o.topP)
    && num(o.seed) && num(o.maxNewTokens) && (o.noCache === undefined || typeof o.noCache === 'boolean');
}

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
      return (o.format === 'png' || o.format === 'svg') && typeof o.view === 'string' && typeof o.data === 'string'
        && (o.note === undefined || typeof o.note === 'string')
        && (o.width === undefined || int(o.width)) && (o.height === undefined || int(o.height));
    case 'followCursor':
    case 'setLive':
      return typeof o.enabled === 'boolean';
    case 'stopGeneration':
    case 'insertGeneration':
    case 'compareCache':
    case 'openGenerationAnalysis':
      return true;
    case 'generate':
      return isGenerationSettings(o.settings);
    case 'requestStepRow':
      return int(o.generationId) && int(o.step) && int(o.layer) && (o.head === null || int(o.head));
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
/** The results the Layer Profile host holds, by origin: their titles. */
export interface ProfileHeld { selection?: string; corpus?: string }

/** Every chart of the Layer Profile view, in display order; `export` messages name one of these. */
export const PROFILE_CHART_IDS = [
  'validMask', 'lengths', 'distribution', 'meanPerLayer', 'positionHeatmap',
  'regressionFit', 'regressionBeta0', 'regressionBeta1', 'autoregression', 'headHeatmap',
] as const;
export type ProfileChartId = (typeof PROFILE_CHART_IDS)[number];
export type ProfileExportFormat = 'png' | 'svg' | 'csv';

export type ToProfileMessage =
  /** Show a result. `running` = a corpus run is still going and this is a partial result (keep the progress bar). */
  | { type: 'profile'; result: import('./engine/types').ProfileResult; origin: ProfileOrigin; title: string; running?: boolean;
      /** Titles of the results the host holds (the view offers a switch when it holds both). */
      held?: ProfileHeld;
      /** Corpus results: whether heads can open on a corpus text (the host has the texts). */
      canOpenOnCorpus?: boolean }
  /** A corpus run is going: `done` of `total` sequences (moving within a batch). The last shown result stays visible. */
  | { type: 'progress'; done: number; total: number; etaSeconds?: number; message: string;
      /** 0–100, by tokens when known (the notification shows the same). */
      percent?: number }
  /** No analysis yet (or it was cleared): show the explanation and the start buttons. */
  | { type: 'empty'; message: string }
  /** Show an error banner (ends any progress); the last result stays visible. */
  | { type: 'error'; message: string };

export type FromProfileMessage =
  | { type: 'ready' }
  /** Open the attention panel heatmap for this layer and head. */
  | { type: 'openHead'; layer: number; head: number;
      /** From the corpus result: open on a corpus text, `sequence` (index into `lengths`) or else the one where the
       *  head's `stat` is most typical. Without `origin` (or from a selection) it opens on the current analysis. */
      origin?: ProfileOrigin; stat?: import('./engine/types').HeadStatName; sequence?: number }
  /** Show the other held result ("this selection" / "the corpus"). */
  | { type: 'showProfile'; origin: ProfileOrigin }
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
      return index(o.layer) && index(o.head)
        && (o.origin === undefined || o.origin === 'selection' || o.origin === 'corpus')
        && (o.stat === undefined || (typeof o.stat === 'string' && (HEAD_STAT_NAMES as readonly string[]).includes(o.stat)))
        && (o.sequence === undefined || (typeof o.sequence === 'number' && Number.isInteger(o.sequence) && o.sequence >= 0));
    case 'showProfile':
      return o.origin === 'selection' || o.origin === 'corpus';
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
