// Incremental analysis: when a text's tokens extend the previous analysis's tokens (same model, same top-k,
// same prefix ids), only the new tokens go through the model, from the cached keys/values; the result equals
// a full run. Anything else (an edit before the end, a different model or top-k) is a full run, which also
// fills the cache for the next extension.
import { performance } from 'node:perf_hooks';
import { checkAborted, type AnalyzePhase, type Engine } from './engine';
import { ModelError } from './errors';
import { KVCache, analysisAsChunk, analysisPrefixChunk, assembleAnalysis } from './kvcache';
import type { Analysis, Token } from './types';

export interface IncrementalInfo {
  /** Tokens taken from the cache (0 for a full run). */
  reusedTokens: number;
  /** Tokens that went through the model. */
  newTokens: number;
}

interface State {
  modelDir: string;
  cache: KVCache;
  analysis: Analysis;
  lastLogProbs: Float32Array;
}

export class IncrementalAnalyzer {
  private state?: State;

  constructor(private readonly engine: Engine) {}

  /** The model folder of the cached analysis, if any. */
  get modelDir(): string | undefined {
    return this.state?.modelDir;
  }

  /** Forget the cached keys/values (e.g. when the model changes). */
  reset(): void {
    this.state = undefined;
  }

  /** The previous analysis's ids, if any (for callers that want to know whether a text extends it). */
  get cachedIds(): readonly number[] {
    return this.state?.cache.ids ?? [];
  }

  /** Make `analysis` + its cache the base for the next extension (used after generation). */
  adopt(cache: KVCache, analysis: Analysis, lastLogProbs: Float32Array): void {
    const model = this.engine.loaded;
    if (!model) return;
    this.state = { modelDir: model.ckpt.dir, cache, analysis, lastLogProbs };
  }

  async analyze(text: string, opts: { topK?: number; maxTokens?: number; onPhase?: (phase: AnalyzePhase, tokens?: number) => void } = {},
    signal?: AbortSignal): Promise<Analysis & { incremental: IncrementalInfo }> {
    const model = this.engine.loaded;
    if (!model) throw new Error('no model loaded');
    if (text.length === 0) throw new ModelError('input', 'the text is empty');
    opts.onPhase?.('tokenizing');
    const { tokens, truncated } = this.engine.tokenize(text, opts.maxTokens);
    if (tokens.length === 0) throw new ModelError('input', 'the text has no tokens');
    const topK = Math.max(1, Math.min(opts.topK ?? 10, model.info.vocab));
    checkAborted(signal);
    opts.onPhase?.('running', tokens.length);
    const ids = tokens.map((t) => t.id);
    const s = this.state;
    const t0 = performance.now();
    if (s && s.modelDir === model.ckpt.dir && s.cache.topK === topK && extendsIds(ids, s.cache.ids)) {
      const reused = s.cache.length;
      if (ids.length === reused) {
        const same: Analysis = { ...s.analysis, tokens, truncated, timings: { loadMs: model.loadMs, runMs: 0 } };
        return { ...same, incremental: { reusedTokens: reused, newTokens: 0 } };
      }
      const chunk = await s.cache.append(ids.slice(reused), signal);
      const analysis = assembleAnalysis(model.info, [analysisAsChunk(s.analysis, s.lastLogProbs), chunk], tokens, truncated, {
        loadMs: model.loadMs,
        runMs: performance.now() - t0,
      });
      this.state = { ...s, analysis, lastLogProbs: chunk.lastLogProbs };
      return { ...analysis, incremental: { reusedTokens: reused, newTokens: ids.length - reused } };
    }
    // The tokens changed after a common prefix (e.g. typing "ca" → "cat" retokenizes the last word): keep the
    // prefix but one token (re-run so that its next-token log-prob is for the new next token) and run from there.
    const common = s && s.modelDir === model.ckpt.dir && s.cache.topK === topK ? commonPrefix(ids, s.cache.ids) : 0;
    if (s && common >= 2) {
      const keep = common - 1;
      const base = analysisPrefixChunk(s.analysis, keep);
      s.cache.truncate(keep);
      this.state = undefined; // until the run completes, the cache no longer matches the analysis
      const chunk = await s.cache.append(ids.slice(keep), signal);
      const analysis = assembleAnalysis(model.info, [base, chunk], tokens, truncated, { loadMs: model.loadMs, runMs: performance.now() - t0 });
      this.state = { ...s, analysis, lastLogProbs: chunk.lastLogProbs };
      return { ...analysis, incremental: { reusedTokens: keep, newTokens: ids.length - keep } };
    }
    const analysis = await this.full(tokens, truncated, topK, signal);
    return { ...analysis, incremental: { reusedTokens: 0, newTokens: ids.length } };
  }

  private async full(tokens: Token[], truncated: boolean, topK: number, signal?: AbortSignal): Promise<Analysis> {
    const model = this.engine.loaded!;
    this.state = undefined; // the old cache is released before the new one is filled
    const cache = new KVCache(this.engine, topK);
    const chunk = await cache.append(tokens.map((t) => t.id), signal);
    const analysis = assembleAnalysis(model.info, [chunk], tokens, truncated, { loadMs: model.loadMs, runMs: chunk.runMs });
    this.state = { modelDir: model.ckpt.dir, cache, analysis, lastLogProbs: chunk.lastLogProbs };
    return analysis;
  }
}

/** Length of the common prefix of two id sequences. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Whether `ids` starts with all of `prefix` (and the prefix is not empty). */
export function extendsIds(ids: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length === 0 || ids.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  return true;
}
