// PLANNED INTERFACE (implementation in progress by the engine owner). The extension host talks to the
// engine only through this client, which runs the engine in a worker_threads worker (dist/worker.js).
import type { ModelInfo, Token, ProfileResult } from './types';

export interface AnalysisHandle {
  analysisId: number;
  model: ModelInfo;
  tokens: Token[];
  truncated: boolean;
  topK: number;
  topkIds: Int32Array; // [T, k]
  topkProbs: Float32Array; // [T, k]
  topkTokens: string[]; // [T*k] display strings of topkIds
  nextTokenLogProb: Float32Array; // [T], NaN for last
  attnOutNorms: Float32Array; // [L, T]
  flow: Float32Array; // [L, H, 2] mean self attention, mean previous-token attention
  timings: { runMs: number };
}

export interface ProgressInfo { done: number; total: number; message?: string }

export interface EngineClient {
  /** Load (or reuse the cached) model from a folder with config.json, model.safetensors, tokenizer.json. */
  load(modelDir: string, signal?: AbortSignal): Promise<{ info: ModelInfo; loadMs: number }>;
  /** Analyze text with the loaded model (at most maxTokens tokens, default the model context). The worker keeps the full attention tensors for follow-up requests. */
  analyze(text: string, opts: { topK: number; maxTokens?: number }, signal?: AbortSignal): Promise<AnalysisHandle>;
  /** [H, T, T] attention of one layer; 'u8' = round(p*255). Returned buffer is owned by the caller. */
  getLayer(analysisId: number, layer: number, encoding: 'f32' | 'u8'): Promise<ArrayBuffer>;
  /** [T] attention row of query `query` for one head, or the mean over heads when head is null. */
  getRow(analysisId: number, layer: number, head: number | null, query: number): Promise<Float32Array>;
  /** [L, H, S, S] u8 mean-pooled thumbnails, S = min(T, size). */
  getThumbnails(analysisId: number, size: number): Promise<{ size: number; data: ArrayBuffer }>;
  /** Stream the full analysis as JSON (same shape as `attention-inspector analyze --json`) to a file. */
  exportJson(analysisId: number, path: string): Promise<void>;
  /** Batch profiling of many texts (issue 5). */
  profile(texts: string[], opts: { batchSize: number; positions: number; source: string },
    onProgress?: (p: ProgressInfo) => void, signal?: AbortSignal): Promise<ProfileResult>;
  dispose(): Promise<void>;
}

/** Create a client; workerPath defaults to dist/worker.js next to the running bundle. */
export declare function createEngineClient(workerPath?: string): EngineClient;
