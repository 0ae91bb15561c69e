// The engine worker thread: owns the Engine (ORT sessions) and the recent analyses, so the extension host
// never blocks. Large arrays leave as transferable ArrayBuffers.
import { parentPort } from 'node:worker_threads';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Engine } from './engine';
import { flowStats, quantizeU8, thumbnails } from './stats';
import { profileOfAnalysis, profileTexts } from './profile';
import { estimateJsonSize, FULL_EXPORT, jsonSizeTable, writeAnalysisJson, type JsonTimings } from './jsonExport';
import { CancelledError } from './errors';
import { IncrementalAnalyzer } from './incremental';
import { generate, type GenerationResult, type GenerationStep } from './generate';
import { attentionMass, type GenerationStepInfo } from './generationTypes';
import type { Analysis } from './types';
import type { AnalysisHandle, AnalysisPhase, ProgressInfo } from './client';
import type { FromWorker, Method, ToWorker, WorkerRequests } from './workerProtocol';

/** Analyses kept for follow-up requests (each can be ~600 MB at T=1024 on gpt2-small). */
const KEEP_ANALYSES = 2;
/** While a new analysis runs, older ones are kept only within this many bytes of attention. */
const KEEP_BYTES_WHILE_RUNNING = 256 * 2 ** 20;

const attentionBytes = (a: Analysis) => a.attentions.reduce((n, l) => n + l.byteLength, 0);

/** Drop the oldest analyses so that at most `count` remain and they hold at most `bytes` of attention. */
function evict(count: number, bytes: number) {
  let total = 0;
  const newestFirst = [...analyses.keys()].reverse();
  newestFirst.forEach((id, i) => {
    total += attentionBytes(analyses.get(id)!);
    if (i >= count || total > bytes) analyses.delete(id);
  });
}

// Spinning intra-op threads compete with the workbench on small machines (see EngineOptions.spinning).
// Every Show Attention runs the key/value-cache graph (IncrementalAnalyzer): build that one at load.
const engine = new Engine({ spinning: false, primaryGraph: 'decode' });
const incremental = new IncrementalAnalyzer(engine);
/** The latest generations (their steps' attention rows and the chunks their analysis is assembled from). */
interface LiveGeneration {
  steps: GenerationStep[];
  result?: GenerationResult;
}
const generations = new Map<number, LiveGeneration>();
const KEEP_GENERATIONS = 2;
let nextGenerationId = 1;
const analyses = new Map<number, Analysis>();
const controllers = new Map<number, AbortController>();
let nextAnalysisId = 1;

/** Model runs go one at a time (two T=1024 runs at once would double the memory); a run cancelled while
 * it waits never starts. */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const run = queue.then(() => {
    if (signal.aborted) throw new CancelledError();
    return fn();
  });
  queue = run.catch(() => undefined);
  return run;
}

function getAnalysis(id: number): Analysis {
  const a = analyses.get(id);
  if (!a) throw new Error(`analysis ${id} is no longer available; run Show Attention again`);
  return a;
}

const jsonTimings = (a: Analysis): JsonTimings => ({ loadMs: a.timings.loadMs, runMs: [a.timings.runMs] });

function checkLayer(a: Analysis, layer: number) {
  if (!Number.isInteger(layer) || layer < 0 || layer >= a.model.layers) throw new Error(`layer ${layer} out of range`);
}

/** Keep an analysis for follow-up requests and describe it to the host (small arrays transferred). */
function registerAnalysis(a: Analysis, transfer: ArrayBuffer[]): AnalysisHandle {
  const id = nextAnalysisId++;
  analyses.set(id, a);
  evict(KEEP_ANALYSES, Infinity);
  const { layers: L, heads: H } = a.model;
  const flow = new Float32Array(L * H * 2);
  for (let l = 0; l < L; l++) flow.set(flowStats(a.attentions[l], 1, H, a.length), l * H * 2);
  const handle: AnalysisHandle = {
    analysisId: id,
    model: a.model,
    tokens: a.tokens,
    truncated: a.truncated,
    topK: a.topK,
    topkIds: a.topkIds.slice(),
    topkProbs: a.topkProbs.slice(),
    topkTokens: Array.from(a.topkIds, (tid) => engine.loaded!.tokenizer.tokenText(tid)),
    nextTokenLogProb: a.nextTokenLogProb.slice(),
    attnOutNorms: a.attnOutNorms.slice(),
    flow,
    timings: { runMs: a.timings.runMs },
  };
  transfer.push(handle.topkIds.buffer as ArrayBuffer, handle.topkProbs.buffer as ArrayBuffer, handle.nextTokenLogProb.buffer as ArrayBuffer, handle.attnOutNorms.buffer as ArrayBuffer, flow.buffer);
  return handle;
}

/** A step as the host sees it: no attention rows (fetched with getStepRow), their mass on prompt / generated / first token. */
function stepInfo(s: GenerationStep, generationId: number): GenerationStepInfo {
  const promptLength = s.context - s.index - 1;
  const mass = s.attention ? attentionMass(s.attention, engine.loaded!.info.heads, promptLength) : new Float32Array(0);
  const { attention: _rows, ...rest } = s;
  return { ...rest, generationId, mass };
}

type Handler<M extends Method> = (
  params: WorkerRequests[M]['params'],
  ctx: {
    signal: AbortSignal; progress: (p: ProgressInfo) => void; transfer: ArrayBuffer[];
    /** Report one generation step while the request runs. */
    step: (s: GenerationStepInfo) => void;
  },
) => Promise<WorkerRequests[M]['result']>;

const handlers: { [M in Method]: Handler<M> } = {
  async load({ modelDir }, { signal }) {
    const m = await exclusive(signal, () => engine.load(modelDir));
    analyses.clear();
    if (incremental.modelDir !== m.ckpt.dir) incremental.reset();
    generations.clear();
    return { info: m.info, loadMs: m.loadMs };
  },

  async analyze({ text, topK, maxTokens }, { signal, transfer, progress }) {
    const phase = (p: AnalysisPhase, tokens?: number) => progress({ done: 0, total: 0, phase: p, tokens });
    phase('queued');
    let t = performance.now();
    let tokenizeMs = 0;
    // Incremental: when the text's tokens extend the previous analysis's, only the new tokens are run.
    const a = await exclusive(signal, () => {
      evict(KEEP_ANALYSES - 1, KEEP_BYTES_WHILE_RUNNING);
      return incremental.analyze(text, {
        topK, maxTokens,
        onPhase: (p, tokens) => {
          if (p === 'running') tokenizeMs = performance.now() - t;
          else t = performance.now();
          phase(p, tokens);
        },
      }, signal);
    });
    // Cancelled while the (uninterruptible) ORT run went on: drop the result here, keep the older analyses.
    // The run holds this thread, so a cancel sent meanwhile is still queued: let it arrive first.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal.aborted) throw new CancelledError();
    phase('preparing', a.length);
    t = performance.now();
    const handle = registerAnalysis(a, transfer);
    handle.timings = { runMs: a.timings.runMs, tokenizeMs, prepareMs: performance.now() - t };
    return { ...handle, incremental: a.incremental };
  },

  async getLayer({ analysisId, layer, encoding }, { transfer }) {
    const a = getAnalysis(analysisId);
    checkLayer(a, layer);
    const data = encoding === 'u8' ? quantizeU8(a.attentions[layer]) : a.attentions[layer].slice();
    transfer.push(data.buffer as ArrayBuffer);
    return data.buffer as ArrayBuffer;
  },

  async getRow({ analysisId, layer, head, query }, { transfer }) {
    const a = getAnalysis(analysisId);
    checkLayer(a, layer);
    const T = a.length;
    const H = a.model.heads;
    if (!Number.isInteger(query) || query < 0 || query >= T) throw new Error(`query ${query} out of range`);
    const row = new Float32Array(T);
    const heads = head === null ? [...Array(H).keys()] : [head];
    for (const h of heads) {
      if (h < 0 || h >= H) throw new Error(`head ${h} out of range`);
      const base = (h * T + query) * T;
      for (let j = 0; j <= query; j++) row[j] += a.attentions[layer][base + j] / heads.length;
    }
    transfer.push(row.buffer);
    return row;
  },

  async getThumbnails({ analysisId, size }, { transfer }) {
    const a = getAnalysis(analysisId);
    const { layers: L, heads: H } = a.model;
    const S = Math.min(a.length, size);
    const data = new Uint8Array(L * H * S * S);
    for (let l = 0; l < L; l++) data.set(thumbnails(a.attentions[l], 1, H, a.length, size).data, l * H * S * S);
    transfer.push(data.buffer);
    return { size: S, data: data.buffer };
  },

  async generate({ text, settings, topK, stop }, { signal, step }) {
    // registered before it runs, so the panel can fetch step rows while tokens stream in
    const id = nextGenerationId++;
    const live: LiveGeneration = { steps: [] };
    generations.set(id, live);
    for (const old of [...generations.keys()].slice(0, -KEEP_GENERATIONS)) generations.delete(old);
    const r = await exclusive(signal, () => generate(engine, text, {
      strategy: settings.strategy, temperature: settings.temperature, topK: settings.topK, topP: settings.topP, seed: settings.seed,
      maxNewTokens: settings.maxNewTokens, cache: !settings.noCache, candidates: topK, stop, attentions: true,
    }, (s) => {
      live.steps.push(s);
      step({ ...stepInfo(s, id), prompt: s.index === 0 ? engine.loaded!.tokenizer.encode(text, engine.loaded!.info.ctx).tokens : undefined });
    }, signal)).catch((e: unknown) => {
      generations.delete(id);
      throw e;
    });
    live.result = r;
    return {
      generationId: id, prompt: r.prompt, steps: r.steps.map((s) => stepInfo(s, id)), text: r.text, allText: r.allText,
      stopReason: r.stopReason, cache: r.cache, timings: r.timings,
    };
  },

  async getStepRow({ generationId, step, layer, head }, { transfer }) {
    const g = generations.get(generationId);
    if (!g) throw new Error(`generation ${generationId} is no longer available; generate again`);
    const s = g.steps[step];
    if (!s?.attention) throw new Error(`step ${step} out of range`);
    const H = engine.loaded!.info.heads;
    if (!Number.isInteger(layer) || layer < 0 || layer >= s.attention.length) throw new Error(`layer ${layer} out of range`);
    const rows = s.attention[layer];
    const row = new Float32Array(s.context);
    const heads = head === null ? [...Array(H).keys()] : [head];
    for (const h of heads) {
      if (h < 0 || h >= H) throw new Error(`head ${h} out of range`);
      for (let j = 0; j < s.context; j++) row[j] += rows[h * s.context + j] / heads.length;
    }
    transfer.push(row.buffer);
    return row;
  },

  async generationAnalysis({ generationId }, { transfer }) {
    const g = generations.get(generationId)?.result;
    if (!g) throw new Error(`generation ${generationId} is no longer available (or still running); generate again`);
    const a = g.analysis();
    // the generation's cache holds exactly these tokens: typing on at the end of the text is incremental
    if (g.kv && g.kv.cache.length === a.length) incremental.adopt(g.kv.cache, a, g.kv.lastLogProbs);
    return registerAnalysis(a, transfer);
  },

  async jsonExportSizes({ analysisId }) {
    const a = getAnalysis(analysisId);
    return jsonSizeTable(a, engine.loaded!.tokenizer, jsonTimings(a));
  },

  async exportJson({ analysisId, path, options }, { signal, progress }) {
    const a = getAnalysis(analysisId);
    const opts = options ?? FULL_EXPORT;
    const timings = jsonTimings(a);
    const tokenizer = engine.loaded!.tokenizer;
    const total = estimateJsonSize(a, tokenizer, timings, opts).bytes;
    // Written beside the target and renamed only when complete: never a half-written file under its name.
    const partial = `${path}.partial`;
    const out = createWriteStream(partial);
    const opened = new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    const closed = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.on('finish', () => resolve());
    });
    closed.catch(() => undefined);
    let reported = -1;
    let reportedAt = 0;
    try {
      await opened;
      const bytes = await writeAnalysisJson(out, a, tokenizer, timings, opts, {
        signal,
        totalBytes: total,
        onProgress: (done, all) => {
          const percent = Math.floor((100 * done) / all);
          const now = Date.now();
          if (percent === reported && now - reportedAt < 500) return;
          reported = percent;
          reportedAt = now;
          progress({ done, total: all });
        },
      });
      out.end();
      await closed;
      await rename(partial, path);
      return { bytes };
    } catch (e) {
      out.destroy();
      await rm(partial, { force: true }).catch(() => undefined);
      throw e;
    }
  },

  async profileOfAnalysis({ analysisId, source, positions }) {
    return profileOfAnalysis(getAnalysis(analysisId), source, positions);
  },

  async profile({ texts, batchSize, positions, source }, { signal, progress }) {
    const report = (p: { done: number; total: number; etaSeconds?: number; tokensDone?: number; tokensTotal?: number }) =>
      progress({ done: p.done, total: p.total, message: p.etaSeconds !== undefined ? `${Math.ceil(p.etaSeconds)} s left` : undefined,
        etaSeconds: p.etaSeconds, tokensDone: p.tokensDone, tokensTotal: p.tokensTotal });
    return exclusive(signal, () => profileTexts(engine, texts, { batchSize, positions, source }, report, signal));
  },
};

const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', async (msg: ToWorker) => {
  if (msg.kind === 'cancel') {
    controllers.get(msg.id)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(msg.id, controller);
  const transfer: ArrayBuffer[] = [];
  try {
    const handler = handlers[msg.method] as Handler<Method>;
    if (!handler) throw new Error(`unknown method ${msg.method}`);
    const result = await handler(msg.params as never, {
      signal: controller.signal,
      progress: (progress) => post({ kind: 'progress', id: msg.id, progress }),
      step: (step) => post({ kind: 'step', id: msg.id, step }),
      transfer,
    });
    post({ kind: 'result', id: msg.id, result }, transfer);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ kind: 'error', id: msg.id, error: { name: err instanceof CancelledError ? 'CancelledError' : err.name, message: err.message } });
  } finally {
    controllers.delete(msg.id);
  }
});
