// The engine worker thread: owns the Engine (ORT sessions) and the recent analyses, so the extension host
// never blocks. Large arrays leave as transferable ArrayBuffers.
import { parentPort } from 'node:worker_threads';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Engine } from './engine';
import { flowStats, quantizeU8, thumbnails } from './stats';
import { profileOfAnalysis, profileTexts } from './profile';
import { writeAnalysisJson } from './jsonExport';
import { CancelledError } from './errors';
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
const engine = new Engine({ spinning: false });
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

function checkLayer(a: Analysis, layer: number) {
  if (!Number.isInteger(layer) || layer < 0 || layer >= a.model.layers) throw new Error(`layer ${layer} out of range`);
}

type Handler<M extends Method> = (
  params: WorkerRequests[M]['params'],
  ctx: { signal: AbortSignal; progress: (p: ProgressInfo) => void; transfer: ArrayBuffer[] },
) => Promise<WorkerRequests[M]['result']>;

const handlers: { [M in Method]: Handler<M> } = {
  async load({ modelDir }, { signal }) {
    const m = await exclusive(signal, () => engine.load(modelDir));
    analyses.clear();
    return { info: m.info, loadMs: m.loadMs };
  },

  async analyze({ text, topK, maxTokens }, { signal, transfer, progress }) {
    const phase = (p: AnalysisPhase, tokens?: number) => progress({ done: 0, total: 0, phase: p, tokens });
    phase('queued');
    let t = performance.now();
    let tokenizeMs = 0;
    const a = await exclusive(signal, () => {
      evict(KEEP_ANALYSES - 1, KEEP_BYTES_WHILE_RUNNING);
      return engine.analyze(text, {
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
      timings: { runMs: a.timings.runMs, tokenizeMs, prepareMs: performance.now() - t },
    };
    transfer.push(handle.topkIds.buffer as ArrayBuffer, handle.topkProbs.buffer as ArrayBuffer, handle.nextTokenLogProb.buffer as ArrayBuffer, handle.attnOutNorms.buffer as ArrayBuffer, flow.buffer);
    return handle;
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

  async exportJson({ analysisId, path }) {
    const a = getAnalysis(analysisId);
    const out = createWriteStream(path);
    const closed = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.on('finish', () => resolve());
    });
    await writeAnalysisJson(out, a, engine.loaded!.tokenizer, { loadMs: a.timings.loadMs, runMs: [a.timings.runMs] });
    out.end();
    await closed;
  },

  async profileOfAnalysis({ analysisId, source, positions }) {
    return profileOfAnalysis(getAnalysis(analysisId), source, positions);
  },

  async profile({ texts, batchSize, positions, source }, { signal, progress }) {
    const report = (p: { done: number; total: number; etaSeconds?: number }) =>
      progress({ done: p.done, total: p.total, message: p.etaSeconds !== undefined ? `${Math.ceil(p.etaSeconds)} s left` : undefined });
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
