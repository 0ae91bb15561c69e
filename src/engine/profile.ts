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
  done: number;
  total: number;
  etaSeconds?: number;
  /** The statistics so far (sent every few batches, and on cancellation). */
  partial?: ProfileResult;
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
    .map((text) => engine.tokenize(text))
    .filter((e) => e.tokens.length > 0);
  const truncatedCount = encoded.filter((e) => e.truncated).length;
  // Sorting by length keeps padding small; it does not change any per-sequence number.
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].tokens.length - encoded[b].tokens.length);
  const seqs: ProfileSequence[] = [];
  const batchSize = Math.max(1, Math.floor(opts.batchSize));
  const t0 = performance.now();
  const meta = (complete: boolean) => ({ model: model.info, source: opts.source, complete, truncatedCount, positions: opts.positions });
  for (let start = 0; start < order.length; start += batchSize) {
    if (signal?.aborted) return buildProfileResult(seqs, meta(false));
    const batch = order.slice(start, start + batchSize).map((i) => encoded[i].tokens.map((t) => t.id));
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
    });
    const done = seqs.length;
    const elapsed = (performance.now() - t0) / 1000;
    onProgress?.({ done, total: order.length, etaSeconds: (elapsed / done) * (order.length - done) });
  }
  return buildProfileResult(seqs, meta(true));
}
