// A token sequence kept in the decoding graph's key/value cache (graphDecode.ts): `append` runs only the new
// tokens, and every run returns the new rows of the analysis. In a causal model the analysis of a prefix is
// exactly the top-left block of the analysis of a longer text, so the rows of successive runs assemble into
// the analysis of the whole sequence (`assembleAnalysis`) without running the model again.
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { checkAborted, type Engine } from './engine';
import { ModelError } from './errors';
import type { Analysis, ModelInfo, Token } from './types';

/** The new rows of one run over positions start…start+n-1. */
export interface Chunk {
  start: number;
  n: number;
  /** Per layer [H, n, start+n]: the new rows of the attention (keys 0…start+n-1). */
  attentions: Float32Array[];
  /** [L, n] attention-output norms of the new positions. */
  attnOutNorms: Float32Array;
  /** [n, k] top-k next-token predictions of the new positions. */
  topkIds: Int32Array;
  topkProbs: Float32Array;
  /** [n] log p(next token) where the next token was known (NaN at the last position). */
  nextLogProb: Float32Array;
  /** [V] log-probabilities after the last new position. */
  lastLogProbs: Float32Array;
  runMs: number;
}

export class KVCache {
  readonly ids: number[] = [];
  private keys: ort.Tensor[];
  private values: ort.Tensor[];
  private readonly info: ModelInfo;

  /** `topK`: how many next-token predictions each run returns per position. */
  constructor(private readonly engine: Engine, readonly topK: number) {
    const model = engine.loaded;
    if (!model) throw new Error('no model loaded');
    this.info = model.info;
    const { layers: L, heads: H, embd: D } = this.info;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D / H]);
    this.keys = Array.from({ length: L }, empty);
    this.values = Array.from({ length: L }, empty);
  }

  get length(): number {
    return this.ids.length;
  }

  /** Bytes held by the cached keys and values. */
  get bytes(): number {
    return this.keys.reduce((n, t) => n + (t.data as Float32Array).byteLength * 2, 0);
  }

  /** Keep only the first n positions (to re-run from there when the tokens after them changed). */
  truncate(n: number): void {
    if (n >= this.ids.length) return;
    const { heads: H, embd: D } = this.info;
    const hd = D / H;
    const P = this.ids.length;
    const cut = (t: ort.Tensor) => {
      const src = t.data as Float32Array;
      const out = new Float32Array(H * n * hd);
      for (let h = 0; h < H; h++) out.set(src.subarray(h * P * hd, (h * P + n) * hd), h * n * hd);
      return new ort.Tensor('float32', out, [1, H, n, hd]);
    };
    this.keys = this.keys.map(cut);
    this.values = this.values.map(cut);
    this.ids.length = n;
  }

  /** Run `newIds` at positions length…length+n-1 against the cache; the cache grows only when the run completes. */
  async append(newIds: number[], signal?: AbortSignal): Promise<Chunk> {
    const { layers: L, ctx } = this.info;
    const start = this.ids.length;
    const n = newIds.length;
    if (n === 0) throw new Error('append needs at least one token');
    if (start + n > ctx) throw new ModelError('input', `${start + n} tokens do not fit in the model context (${ctx})`);
    const session = await this.engine.decodeSession();
    checkAborted(signal);
    const ids = BigInt64Array.from(newIds, BigInt);
    const next = new BigInt64Array(n);
    for (let t = 0; t + 1 < n; t++) next[t] = ids[t + 1];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [1, n]),
      next_ids: new ort.Tensor('int64', next, [1, n]),
      k: new ort.Tensor('int64', BigInt64Array.from([BigInt(this.topK)]), [1]),
    };
    for (let l = 0; l < L; l++) {
      feeds[`past_key_${l}`] = this.keys[l];
      feeds[`past_value_${l}`] = this.values[l];
    }
    const t0 = performance.now();
    const res = await session.run(feeds);
    const runMs = performance.now() - t0;
    checkAborted(signal);
    this.keys = Array.from({ length: L }, (_, l) => res[`present_key_${l}`]);
    this.values = Array.from({ length: L }, (_, l) => res[`present_value_${l}`]);
    this.ids.push(...newIds);
    const f32 = (name: string) => res[name].data as Float32Array;
    const nextLogProb = f32('next_logprob');
    nextLogProb[n - 1] = NaN;
    return {
      start,
      n,
      attentions: Array.from({ length: L }, (_, l) => f32(`attn_${l}`)),
      attnOutNorms: f32('attn_norm'),
      topkIds: Int32Array.from(res.topk_ids.data as BigInt64Array, Number),
      topkProbs: f32('topk_probs'),
      nextLogProb,
      lastLogProbs: f32('last_logprobs'),
      runMs,
    };
  }
}

/** The attention row of position `row` (within the chunk) for every layer: per layer [H, start+row+1]. */
export function chunkRow(chunk: Chunk, row: number, H: number): Float32Array[] {
  const width = chunk.start + chunk.n;
  const len = chunk.start + row + 1;
  return chunk.attentions.map((a) => {
    const out = new Float32Array(H * len);
    for (let h = 0; h < H; h++) out.set(a.subarray((h * chunk.n + row) * width, (h * chunk.n + row) * width + len), h * len);
    return out;
  });
}

/**
 * The analysis of the whole sequence from the rows of consecutive chunks (which must cover 0…T-1 in order).
 * A single chunk from position 0 already is an analysis: its arrays are used as they are, without a copy.
 * The last position of each chunk but the final one gets its next-token log-prob from the chunk's lastLogProbs.
 */
export function assembleAnalysis(
  model: ModelInfo,
  chunks: Chunk[],
  tokens: Token[],
  truncated: boolean,
  timings: { loadMs: number; runMs: number },
): Analysis {
  const { layers: L, heads: H } = model;
  const T = chunks.reduce((n, c) => n + c.n, 0);
  if (T !== tokens.length) throw new Error(`chunks cover ${T} positions, tokens ${tokens.length}`);
  const k = chunks[0].topkIds.length / chunks[0].n;
  const single = chunks.length === 1;
  const attentions = single ? chunks[0].attentions : Array.from({ length: L }, () => new Float32Array(H * T * T));
  const attnOutNorms = new Float32Array(L * T);
  const topkIds = new Int32Array(T * k);
  const topkProbs = new Float32Array(T * k);
  const nextTokenLogProb = new Float32Array(T);
  let pos = 0;
  chunks.forEach((c, ci) => {
    if (c.start !== pos) throw new Error(`chunk ${ci} starts at ${c.start}, expected ${pos}`);
    const width = c.start + c.n;
    if (!single) {
      for (let l = 0; l < L; l++) {
        const src = c.attentions[l];
        const dst = attentions[l];
        for (let h = 0; h < H; h++) {
          for (let i = 0; i < c.n; i++) {
            const from = (h * c.n + i) * width;
            dst.set(src.subarray(from, from + c.start + i + 1), (h * T + c.start + i) * T);
          }
        }
      }
    }
    for (let l = 0; l < L; l++) attnOutNorms.set(c.attnOutNorms.subarray(l * c.n, (l + 1) * c.n), l * T + c.start);
    topkIds.set(c.topkIds, c.start * k);
    topkProbs.set(c.topkProbs, c.start * k);
    nextTokenLogProb.set(c.nextLogProb, c.start);
    const next = chunks[ci + 1];
    if (next && Number.isNaN(nextTokenLogProb[width - 1])) nextTokenLogProb[width - 1] = c.lastLogProbs[tokens[width].id];
    pos = width;
  });
  return { model, tokens, truncated, length: T, attentions, attnOutNorms, topK: k, topkIds, topkProbs, nextTokenLogProb, timings };
}

/**
 * The first n positions of an analysis as a chunk (copies of the top-left blocks). Its last next-token log-prob is
 * kept: the caller re-runs from position n, and the token at n is the one the analysis already had there.
 */
export function analysisPrefixChunk(a: Analysis, n: number): Chunk {
  const { layers: L, heads: H } = a.model;
  const T = a.length;
  const k = a.topK;
  const attentions = Array.from({ length: L }, (_, l) => {
    const out = new Float32Array(H * n * n);
    for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) {
      out.set(a.attentions[l].subarray((h * T + i) * T, (h * T + i) * T + i + 1), (h * n + i) * n);
    }
    return out;
  });
  const attnOutNorms = new Float32Array(L * n);
  for (let l = 0; l < L; l++) attnOutNorms.set(a.attnOutNorms.subarray(l * T, l * T + n), l * n);
  return {
    start: 0, n, attentions, attnOutNorms,
    topkIds: a.topkIds.slice(0, n * k), topkProbs: a.topkProbs.slice(0, n * k), nextLogProb: a.nextTokenLogProb.slice(0, n),
    lastLogProbs: new Float32Array(0), runMs: 0,
  };
}

/** An analysis as one chunk (position 0, all rows), so that it can be extended by later chunks. */
export function analysisAsChunk(a: Analysis, lastLogProbs: Float32Array): Chunk {
  const nextLogProb = a.nextTokenLogProb.slice();
  nextLogProb[a.length - 1] = NaN;
  return {
    start: 0,
    n: a.length,
    attentions: a.attentions,
    attnOutNorms: a.attnOutNorms,
    topkIds: a.topkIds,
    topkProbs: a.topkProbs,
    nextLogProb,
    lastLogProbs,
    runMs: a.timings.runMs,
  };
}
