// Messages between the engine client (extension host) and the engine worker thread.
// Requests carry an id; the worker answers with `result` or `error`, and may send `progress` first.
import type { ModelInfo, ProfileResult } from './types';
import type { JsonExportOptions, JsonSizeTable } from './jsonExport';
import type { AnalysisHandle, ProgressInfo } from './client';
import type { GenerationSettings, GenerationStepInfo, GenerationSummary } from './generationTypes';

export interface WorkerRequests {
  load: { params: { modelDir: string }; result: { info: ModelInfo; loadMs: number } };
  analyze: { params: { text: string; topK: number; maxTokens?: number }; result: AnalysisHandle };
  getLayer: { params: { analysisId: number; layer: number; encoding: 'f32' | 'u8' }; result: ArrayBuffer };
  getRow: { params: { analysisId: number; layer: number; head: number | null; query: number }; result: Float32Array };
  getThumbnails: { params: { analysisId: number; size: number }; result: { size: number; data: ArrayBuffer } };
  /** Sizes of every JSON export form of an analysis, before anything is written. */
  jsonExportSizes: { params: { analysisId: number }; result: JsonSizeTable };
  /** Writes `<path>.partial`, renamed to `path` when complete (removed on cancel or error); progress in bytes. */
  exportJson: { params: { analysisId: number; path: string; options?: JsonExportOptions }; result: { bytes: number } };
  /** Generate from a prompt; each step also arrives as a `step` message while it runs. */
  generate: { params: { text: string; settings: GenerationSettings; topK: number; stop?: string }; result: GenerationSummary };
  /** [ctx] attention row of one generated token (step) for a head, or the mean over heads when head is null. */
  getStepRow: { params: { generationId: number; step: number; layer: number; head: number | null }; result: Float32Array };
  /** Prompt + generated text as an ordinary analysis, assembled from the steps (no model run). */
  generationAnalysis: { params: { generationId: number }; result: AnalysisHandle };
  profileOfAnalysis: { params: { analysisId: number; source: string; positions?: number }; result: ProfileResult };
  profile: { params: { texts: string[]; batchSize: number; positions: number; source: string }; result: ProfileResult };
}

export type Method = keyof WorkerRequests;

export type ToWorker =
  | { kind: 'request'; id: number; method: Method; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: { name: string; message: string } }
  | { kind: 'progress'; id: number; progress: ProgressInfo }
  | { kind: 'step'; id: number; step: GenerationStepInfo };
