// The extension host talks to the engine only through this client, which runs the engine in a
// worker_threads worker (dist/worker.js). Requests are typed (workerProtocol.ts), cancellable with an
// AbortSignal, and large arrays come back as transferred ArrayBuffers.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { CancelledError } from './errors';
import type { FromWorker, Method, ToWorker, WorkerRequests } from './workerProtocol';
import type { ModelInfo, Token, ProfileResult } from './types';
import type { JsonExportOptions, JsonSizeTable } from './jsonExport';
import type { GenerationSettings, GenerationStepInfo, GenerationSummary } from './generationTypes';

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
  /** Worker-side times (ms): tokenizing, the model run, preparing the handle (stats, copies). */
  timings: { runMs: number; tokenizeMs?: number; prepareMs?: number };
  /** Tokens taken from the key/value cache of the previous analysis, and tokens run (incremental analysis). */
  incremental?: { reusedTokens: number; newTokens: number };
}

/** What an analysis is doing: waiting for an earlier run to finish, tokenizing, running the model, preparing views. */
export type AnalysisPhase = 'queued' | 'tokenizing' | 'running' | 'preparing';

export interface ProgressInfo {
  done: number;
  total: number;
  message?: string;
  /** Show Attention: the phase, and the analysis' token count once tokenized. */
  phase?: AnalysisPhase;
  tokens?: number;
  /** Profile runs: the engine's estimate (weighted by tokens) and the tokens done so far. */
  etaSeconds?: number;
  tokensDone?: number;
  tokensTotal?: number;
}

export interface EngineClient {
  /** False once the worker has exited or crashed (then every call rejects; create a new client). */
  readonly alive: boolean;
  /** Load (or reuse the cached) model from a folder with config.json, model.safetensors, tokenizer.json. */
  load(modelDir: string, signal?: AbortSignal): Promise<{ info: ModelInfo; loadMs: number }>;
  /** Analyze text with the loaded model (at most maxTokens tokens, default the model context). The worker keeps the full attention tensors for follow-up requests. */
  analyze(text: string, opts: { topK: number; maxTokens?: number }, signal?: AbortSignal, onProgress?: (p: ProgressInfo) => void): Promise<AnalysisHandle>;
  /** [H, T, T] attention of one layer; 'u8' = round(p*255). Returned buffer is owned by the caller. */
  getLayer(analysisId: number, layer: number, encoding: 'f32' | 'u8'): Promise<ArrayBuffer>;
  /** [T] attention row of query `query` for one head, or the mean over heads when head is null. */
  getRow(analysisId: number, layer: number, head: number | null, query: number): Promise<Float32Array>;
  /** [L, H, S, S] u8 mean-pooled thumbnails, S = min(T, size). */
  getThumbnails(analysisId: number, size: number): Promise<{ size: number; data: ArrayBuffer }>;
  /** The size of each JSON export form (full, u8, f16, no attention, one layer) before writing. */
  jsonExportSizes(analysisId: number): Promise<JsonSizeTable>;
  /**
   * Stream the analysis as JSON (by default the shape of `attention-inspector analyze --json`) to a file:
   * written to `<path>.partial` and renamed when complete; cancelling or a failure removes the partial file.
   * Progress is in bytes.
   */
  exportJson(analysisId: number, path: string, options?: JsonExportOptions,
    onProgress?: (p: ProgressInfo) => void, signal?: AbortSignal): Promise<{ bytes: number }>;
  /** Generate from `text`; `onStep` sees each step as it is produced. Cancelling ends it with stopReason 'cancelled'. */
  generate(text: string, opts: { settings: GenerationSettings; topK: number; stop?: string },
    onStep?: (s: GenerationStepInfo) => void, signal?: AbortSignal): Promise<GenerationSummary>;
  /** [ctx] attention row of generated token `step` for one head, or the mean over heads when head is null. */
  getStepRow(generationId: number, step: number, layer: number, head: number | null): Promise<Float32Array>;
  /** Prompt + generated text as an analysis (assembled from the steps, no model run). */
  generationAnalysis(generationId: number): Promise<AnalysisHandle>;
  /** The Layer Profile of one analysis (norms and head statistics of that text). */
  profileOfAnalysis(analysisId: number, source: string, positions?: number): Promise<ProfileResult>;
  /** Batch profiling of many texts (issue 5). Cancelling resolves with the partial result (complete: false). */
  profile(texts: string[], opts: { batchSize: number; positions: number; source: string },
    onProgress?: (p: ProgressInfo) => void, signal?: AbortSignal): Promise<ProfileResult>;
  dispose(): Promise<void>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: ProgressInfo) => void;
  onStep?: (s: GenerationStepInfo) => void;
}

/** Create a client; workerPath defaults to worker.js next to the running bundle (dist/). */
export function createEngineClient(workerPath: string = join(__dirname, 'worker.js')): EngineClient {
  const worker = new Worker(workerPath);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | undefined;

  const failAll = (err: Error) => {
    dead ??= err; // the first cause wins (a crash is followed by an exit)
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };
  worker.on('message', (m: FromWorker) => {
    const p = pending.get(m.id);
    if (!p) return;
    if (m.kind === 'progress') return p.onProgress?.(m.progress);
    if (m.kind === 'step') return p.onStep?.(m.step);
    pending.delete(m.id);
    if (m.kind === 'result') p.resolve(m.result);
    else p.reject(m.error.name === 'CancelledError' ? new CancelledError(m.error.message) : Object.assign(new Error(m.error.message), { name: m.error.name }));
  });
  worker.on('error', (e) => failAll(new Error(`engine worker crashed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`engine worker exited (code ${code})`)));

  /**
   * One request. `settleOnAbort`: an abort rejects at once (CancelledError) instead of waiting for the worker's
   * answer, whose late result is then dropped; used for analyses, whose ORT run cannot be interrupted.
   */
  function call<M extends Method>(method: M, params: WorkerRequests[M]['params'], signal?: AbortSignal,
    onProgress?: (p: ProgressInfo) => void, settleOnAbort = false, onStep?: (s: GenerationStepInfo) => void): Promise<WorkerRequests[M]['result']> {
    if (dead) return Promise.reject(dead);
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const id = nextId++;
    let rejectNow: ((e: Error) => void) | undefined;
    const cancel = () => {
      worker.postMessage({ kind: 'cancel', id } satisfies ToWorker);
      if (settleOnAbort && pending.delete(id)) rejectNow?.(new CancelledError());
    };
    signal?.addEventListener('abort', cancel, { once: true });
    return new Promise<WorkerRequests[M]['result']>((resolve, reject) => {
      rejectNow = reject;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress, onStep });
      worker.postMessage({ kind: 'request', id, method, params } satisfies ToWorker);
    }).finally(() => signal?.removeEventListener('abort', cancel));
  }

  return {
    get alive() {
      return dead === undefined;
    },
    load: (modelDir, signal) => call('load', { modelDir }, signal),
    analyze: (text, opts, signal, onProgress) => call('analyze', { text, topK: opts.topK, maxTokens: opts.maxTokens }, signal, onProgress, true),
    getLayer: (analysisId, layer, encoding) => call('getLayer', { analysisId, layer, encoding }),
    getRow: (analysisId, layer, head, query) => call('getRow', { analysisId, layer, head, query }),
    getThumbnails: (analysisId, size) => call('getThumbnails', { analysisId, size }),
    jsonExportSizes: (analysisId) => call('jsonExportSizes', { analysisId }),
    exportJson: (analysisId, path, options, onProgress, signal) => call('exportJson', { analysisId, path, options }, signal, onProgress),
    generate: (text, opts, onStep, signal) => call('generate', { text, ...opts }, signal, undefined, false, onStep),
    getStepRow: (generationId, step, layer, head) => call('getStepRow', { generationId, step, layer, head }),
    generationAnalysis: (generationId) => call('generationAnalysis', { generationId }),
    profileOfAnalysis: (analysisId, source, positions) => call('profileOfAnalysis', { analysisId, source, positions }),
    profile: (texts, opts, onProgress, signal) => call('profile', { texts, ...opts }, signal, onProgress),
    async dispose() {
      failAll(new Error('engine client disposed'));
      await worker.terminate();
    },
  };
}
