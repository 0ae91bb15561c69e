// The in-process engine: loads a checkpoint, builds and caches its ONNX sessions, runs analyses and
// batch profiles. Pure Node (never imports 'vscode'); the extension runs it inside a worker thread.
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { openCheckpoint, type GPT2Checkpoint } from './model';
import { buildGPT2Graph, type GraphOptions } from './graph';
import { buildDecodeGraph } from './graphDecode';
import { GPT2Tokenizer } from './tokenizer';
import { CancelledError, ModelError } from './errors';
import type { Analysis, AnalyzeOptions, ModelInfo, Token } from './types';

export interface LoadedModel {
  ckpt: GPT2Checkpoint;
  tokenizer: GPT2Tokenizer;
  info: ModelInfo;
  loadMs: number;
}

export interface BatchOutput {
  /** Per sequence: valid length, [L, len] norms, [L][H, len, len] attention (only when asked). */
  lengths: number[];
  attnOutNorms: Float32Array[];
  attentions?: Float32Array[][];
}

export interface EngineOptions {
  /** Threads for ORT's intra-op pool (default: all cores). */
  threads?: number;
  /**
   * Let ORT's idle intra-op threads spin (busy-wait) between operators (default true: fastest on an idle
   * machine, as in the CLI). The extension's worker turns it off: in VS Code the spinning threads fight the
   * workbench's own processes (renderer, extension host, code-server) for the cores and the run gets slower.
   */
  spinning?: boolean;
  /**
   * The graph `load` builds up front: 'analysis' (the full-sequence graph, default: the CLI) or 'decode' (the
   * key/value-cache graph, which the extension's worker runs for every Show Attention so that the next one can
   * be incremental). The other is built on first use, so a worker that never profiles holds one set of weights.
   */
  primaryGraph?: 'analysis' | 'decode';
}

/** Phases of one analysis, reported through `onPhase` (the panel shows them as progress). */
export type AnalyzePhase = 'tokenizing' | 'running';

export class Engine {
  private sessions = new Map<string, Promise<ort.InferenceSession>>();
  private model?: LoadedModel;

  constructor(private readonly options: EngineOptions = {}) {}

  get loaded(): LoadedModel | undefined {
    return this.model;
  }

  /** Open a model folder (validated up front), read the tokenizer and build the main session. */
  async load(dir: string): Promise<LoadedModel> {
    if (this.model?.ckpt.dir === dir) return this.model;
    const t0 = performance.now();
    const ckpt = openCheckpoint(dir);
    let tokenizer: GPT2Tokenizer;
    try {
      tokenizer = await GPT2Tokenizer.fromFile(ckpt.tokenizerPath);
    } catch (e) {
      throw new ModelError(ckpt.tokenizerPath, (e as Error).message.replace(/^.*?tokenizer[^:]*: /i, ''));
    }
    await this.dispose();
    this.model = { ckpt, tokenizer, info: ckpt.info, loadMs: 0 };
    await (this.options.primaryGraph === 'decode' ? this.decodeSession() : this.session({ lmHead: true }));
    this.model.loadMs = performance.now() - t0;
    return this.model;
  }

  private requireModel(): LoadedModel {
    if (!this.model) throw new Error('no model loaded');
    return this.model;
  }

  /** The session of the decoding graph with a key/value cache (graphDecode.ts), built on first use. */
  decodeSession(): Promise<ort.InferenceSession> {
    return this.session({ decode: true });
  }

  /** One ORT session per graph variant, built once per model. */
  private session(opts: GraphOptions & { decode?: boolean }): Promise<ort.InferenceSession> {
    const { ckpt } = this.requireModel();
    const key = JSON.stringify([opts.attnOut ?? false, opts.residuals ?? false, opts.lmHead ?? true, opts.decode ?? false]);
    let s = this.sessions.get(key);
    if (!s) {
      const graph = opts.decode ? buildDecodeGraph(ckpt) : buildGPT2Graph(ckpt, opts);
      s = ort.InferenceSession.create(graph, {
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        intraOpNumThreads: this.options.threads ?? 0,
        executionMode: 'sequential',
        // Measured on gpt2-small at T=1024 (2 cores): the arena is ~15% faster but keeps its own copy of the
        // outputs (peak RSS 2.1 GB instead of 1.3 GB); without it ORT's output buffers become ours without a copy.
        enableCpuMemArena: false,
        enableMemPattern: true,
        extra: {
          session: {
            model_external_initializers_file_folder_path: ckpt.dir,
            ...(this.options.spinning === false ? { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } : {}),
          },
        },
      });
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  tokenize(text: string, maxTokens?: number): { tokens: Token[]; truncated: boolean } {
    const { tokenizer, info } = this.requireModel();
    return tokenizer.encode(text, Math.min(maxTokens ?? info.ctx, info.ctx));
  }

  /** Analyze one text: attentions, attention-output norms, top-k predictions, next-token log-probs. */
  async analyze(text: string, opts: AnalyzeOptions & { maxTokens?: number; onPhase?: (phase: AnalyzePhase, tokens?: number) => void } = {}, signal?: AbortSignal): Promise<Analysis & { attnOut?: Float32Array; residuals?: Float32Array }> {
    const model = this.requireModel();
    if (text.length === 0) throw new ModelError('input', 'the text is empty');
    opts.onPhase?.('tokenizing');
    const { tokens, truncated } = this.tokenize(text, opts.maxTokens);
    if (tokens.length === 0) throw new ModelError('input', 'the text has no tokens');
    checkAborted(signal);
    const topK = Math.max(1, Math.min(opts.topK ?? 10, model.info.vocab));
    opts.onPhase?.('running', tokens.length);
    const out = await this.runBatch([tokens.map((t) => t.id)], { lmHead: true, attnOut: opts.attnOut, residuals: opts.residuals, topK }, signal);
    return {
      model: model.info,
      tokens,
      truncated,
      length: tokens.length,
      attentions: out.attentions,
      attnOutNorms: out.attnOutNorms,
      topK,
      topkIds: out.topkIds!,
      topkProbs: out.topkProbs!,
      nextTokenLogProb: out.nextLogProb!,
      timings: { loadMs: model.loadMs, runMs: out.runMs },
      attnOut: out.attnOut,
      residuals: out.residuals,
    };
  }

  /**
   * Run a right-padded batch of token-id sequences through one session.
   */
  async runBatch(
    seqs: number[][],
    opts: GraphOptions & { topK?: number },
    signal?: AbortSignal,
  ): Promise<{
    T: number;
    attentions: Float32Array[]; // per layer [B, H, T, T]
    attnOutNorms: Float32Array; // [L, B, T]
    topkIds?: Int32Array;
    topkProbs?: Float32Array;
    nextLogProb?: Float32Array;
    attnOut?: Float32Array; // [L, B, T, D]
    residuals?: Float32Array; // [L+1, B, T, D]
    runMs: number;
  }> {
    const { info } = this.requireModel();
    const session = await this.session(opts);
    checkAborted(signal);
    const B = seqs.length;
    const T = Math.max(...seqs.map((s) => s.length));
    const { layers: L, heads: H, embd: D } = info;
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    const next = new BigInt64Array(B * T);
    seqs.forEach((s, b) => {
      for (let t = 0; t < s.length; t++) {
        ids[b * T + t] = BigInt(s[t]);
        mask[b * T + t] = 1n;
        if (t + 1 < s.length) next[b * T + t] = BigInt(s[t + 1]);
      }
    });
    const k = opts.topK ?? 1;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
      next_ids: new ort.Tensor('int64', next, [B, T]),
      k: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]),
    };
    // Attention probabilities are the largest outputs: keep ORT's own output buffers (one per layer)
    // rather than copying them (a preallocated fetch makes ORT allocate and copy anyway).
    const fetches: Record<string, null> = {};
    for (let l = 0; l < L; l++) fetches[`attn_${l}`] = null;
    fetches.attn_norm = null;
    if (opts.lmHead !== false) Object.assign(fetches, { topk_probs: null, topk_ids: null, next_logprob: null });
    if (opts.attnOut) for (let l = 0; l < L; l++) fetches[`attn_out_${l}`] = null;
    if (opts.residuals) for (let l = 0; l <= L; l++) fetches[`resid_${l}`] = null;
    const t0 = performance.now();
    const res = await session.run(feeds, fetches);
    const runMs = performance.now() - t0;
    checkAborted(signal);
    const f32 = (name: string) => res[name].data as Float32Array;
    const attentions = Array.from({ length: L }, (_, l) => f32(`attn_${l}`));
    const result: Awaited<ReturnType<Engine['runBatch']>> = { T, attentions, attnOutNorms: f32('attn_norm'), runMs };
    if (opts.lmHead !== false) {
      result.topkProbs = f32('topk_probs');
      result.topkIds = Int32Array.from(res.topk_ids.data as BigInt64Array, Number);
      result.nextLogProb = f32('next_logprob');
      // The last valid position of each sequence has no next token.
      seqs.forEach((s, b) => (result.nextLogProb![b * T + s.length - 1] = NaN));
    }
    if (opts.attnOut) result.attnOut = concat(Array.from({ length: L }, (_, l) => f32(`attn_out_${l}`)), L * B * T * D);
    if (opts.residuals) result.residuals = concat(Array.from({ length: L + 1 }, (_, l) => f32(`resid_${l}`)), (L + 1) * B * T * D);
    return result;
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    this.model = undefined;
    for (const s of sessions) await s.then((x) => x.release()).catch(() => undefined);
  }
}

function concat(parts: Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
