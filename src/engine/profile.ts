// Layer profile: attention-adjustment magnitudes and head statistics over one analysis or a corpus.
// Texts run in right-padded batches with an attention mask; padding never enters a statistic.
import type { Engine } from './engine';
import { buildProfileResult, headStats, HEAD_STAT_COUNT } from './stats';
import type { Analysis, ProfileResult, ProfileSequence } from './types';

export interface ProfileOptions {
  batchSize: number;
  /** Positions for the position regression (default 30). */
  positions?: number;
  source: string;
}

export interface ProfileProgress {
  /** Sequences done (progress moves within a batch: see SUB_BATCHES). */
  done: number;
  total: number;
  /** Seconds left, estimated from the tokens done so far (the corpus runs shortest first). */
  etaSeconds?: number;
  tokensDone?: number;
  tokensTotal?: number;
  /** The statistics so far (sent every few batches, and on cancellation). */
  partial?: ProfileResult;
}

/**
 * A corpus runs in at least this many forward passes (when it has that many texts), so progress and the time
 * left move even when the whole corpus fits one batch: a pass holds at most `batchSize` sequences and at most
 * 1/SUB_BATCHES of the corpus.
 */
export const SUB_BATCHES = 16;

/** Sequences per forward pass: at most batchSize, and small enough for SUB_BATCHES progress steps. */
export function passSize(batchSize: number, total: number): number {
  return Math.max(1, Math.min(Math.floor(batchSize) || 1, Math.ceil(total / SUB_BATCHES)));
}

/**
 * For every head and statistic, the sequence whose own value is closest to the corpus mean (ties: the
 * longer sequence, then the first). [L][H][4] indexes into `seqs`; empty without per-sequence head stats.
 */
export function typicalSequences(seqs: readonly ProfileSequence[], mean: number[][][]): number[][][] {
  if (seqs.length === 0 || seqs.some((s) => !s.headStats)) return [];
  return mean.map((row, l) => row.map((values, h) => values.map((m, k) => {
    const o = (l * row.length + h) * HEAD_STAT_COUNT + k;
    let best = 0;
    let bestDist = Infinity;
    seqs.forEach((s, i) => {
      const d = Math.abs(s.headStats![o] - m);
      if (d < bestDist || (d === bestDist && s.length > seqs[best].length)) { best = i; bestDist = d; }
    });
    return best;
  })));
}

/** The profile of a single analysis (what the Layer Profile view shows after Show Attention). */
export function profileOfAnalysis(a: Analysis, source: string, positions?: number): ProfileResult {
  const { layers: L, heads: H } = a.model;
  const T = a.length;
  const hs = new Float32Array(L * H * HEAD_STAT_COUNT);
  for (let l = 0; l < L; l++) hs.set(headStats(a.attentions[l], H, T), l * H * HEAD_STAT_COUNT);
  const seq: ProfileSequence = { length: T, attnOutNorms: a.attnOutNorms, headStats: hs };
  return buildProfileResult([seq], { model: a.model, source, complete: true, truncatedCount: a.truncated ? 1 : 0, positions });
}

/** Profile many texts. On cancellation, resolves with the partial result (complete: false). */
export async function profileTexts(
  engine: Engine,
  texts: string[],
  opts: ProfileOptions,
  onProgress?: (p: ProfileProgress) => void,
  signal?: AbortSignal,
): Promise<ProfileResult> {
  const model = engine.loaded;
  if (!model) throw new Error('no model loaded');
  const { layers: L, heads: H } = model.info;
  const encoded = texts
    .map((text, index) => ({ index, ...engine.tokenize(text) }))
    .filter((e) => e.tokens.length > 0);
  const truncatedCount = encoded.filter((e) => e.truncated).length;
  // Sorting by length keeps padding small; it does not change any per-sequence number.
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].tokens.length - encoded[b].tokens.length);
  const seqs: ProfileSequence[] = [];
  const textOf: number[] = [];
  const step = passSize(opts.batchSize, order.length);
  const tokensTotal = encoded.reduce((n, e) => n + e.tokens.length, 0);
  let tokensDone = 0;
  const t0 = performance.now();
  const finish = (complete: boolean): ProfileResult => {
    const result = buildProfileResult(seqs, { model: model.info, source: opts.source, complete, truncatedCount, positions: opts.positions });
    const typical = typicalSequences(seqs, result.headStats);
    return typical.length ? { ...result, typicalSequence: typical, sequenceTexts: [...textOf] } : result;
  };
  for (let start = 0; start < order.length; start += step) {
    if (signal?.aborted) return finish(false);
    const members = order.slice(start, start + step);
    const batch = members.map((i) => encoded[i].tokens.map((t) => t.id));
    const out = await engine.runBatch(batch, { lmHead: false });
    const T = out.T;
    const B = batch.length;
    batch.forEach((ids, b) => {
      const n = ids.length;
      const norms = new Float32Array(L * n);
      const hs = new Float32Array(L * H * HEAD_STAT_COUNT);
      for (let l = 0; l < L; l++) {
        norms.set(out.attnOutNorms.subarray((l * B + b) * T, (l * B + b) * T + n), l * n);
        // headStats reads the n×n top-left block of each padded T×T head (stride T).
        hs.set(headStats(out.attentions[l].subarray(b * H * T * T, (b + 1) * H * T * T), H, n, T), l * H * HEAD_STAT_COUNT);
      }
      seqs.push({ length: n, attnOutNorms: norms, headStats: hs });
      textOf.push(encoded[members[b]].index);
      tokensDone += n;
    });
    const done = seqs.length;
    const elapsed = (performance.now() - t0) / 1000;
    // Tokens, not sequences: the shortest run first, so a count of sequences would promise too early an end.
    const etaSeconds = (elapsed / tokensDone) * (tokensTotal - tokensDone);
    onProgress?.({ done, total: order.length, etaSeconds, tokensDone, tokensTotal });
  }
  return finish(true);
}
