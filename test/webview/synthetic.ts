// Deterministic synthetic attention for the webview harness: causal softmax rows with a few head
// "types" (previous token, first-token sink, self, diffuse), a summary, layers and thumbnails in
// exactly the shapes of src/protocol.ts. Pure: no DOM, so it also runs in Node.
import type { AnalysisSummary, AttentionEncoding } from '../../src/protocol';
import type { Token } from '../../src/engine/types';
import { rng } from '../fixtures/random';

export interface SyntheticShape {
  T: number;
  L: number;
  H: number;
  seed: number;
  analysisId: number;
  truncated?: boolean;
  note?: string;
  modelName?: string;
  /** Tokens `split` and `split + 1` become " 😀" split in two, as GPT-2 splits an emoji ("�" on both). */
  split?: number;
}

const WORDS = ['The', ' dog', ' on', ' the', ' ship', ' ran', ' because', ' the', ' captain', ' shouted', ' at', ' the',
  ' crew', ',', ' and', ' the', ' motor', ' stopped', ' when', ' it', ' saw', ' the', ' storm', ' coming', ' over',
  ' the', ' harbor', '.', ' Everyone', ' waited', ' below', ' deck', ' until', ' morning', '.'];

/** The synthetic text: the words, with " 😀" at token `split` when asked (see SyntheticShape.split). */
export function syntheticText(T: number, split?: number): string {
  return syntheticTokens(T, split).map((t, i, all) => (split !== undefined && i === split && i + 1 < all.length ? ' 😀' : t.start === t.end ? '' : t.text)).join('');
}

export function syntheticTokens(T: number, split?: number): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (let i = 0; i < T; i++) {
    if (split !== undefined && i === split && i + 1 < T) {
      // The first token holds the emoji's first bytes and owns the character; the second its last bytes.
      tokens.push({ id: 9000, text: ' \uFFFD', start: pos, end: pos + 3 }, { id: 9001, text: '\uFFFD', start: pos + 3, end: pos + 3 });
      pos += 3;
      i++;
      continue;
    }
    const text = WORDS[i % WORDS.length];
    tokens.push({ id: 1000 + (i % WORDS.length), text, start: pos, end: pos + text.length });
    pos += text.length;
  }
  return tokens;
}


/** Softmax row of (layer, head, query) over keys 0..q, written into out[0..T). */
export function attentionRow(shape: SyntheticShape, layer: number, head: number, q: number, out: Float32Array): void {
  const r = rng(shape.seed * 1_000_003 + ((layer * 131 + head) * 8191 + q) * 17);
  const kind = (layer * shape.H + head * 3 + layer) % 4;
  const sharp = 1.5 + (head % 3);
  let max = -Infinity;
  for (let k = 0; k <= q; k++) {
    let z = (r() - 0.5) * 2.2;
    if (kind === 0 && k === q - 1) z += 2.5 + sharp;
    if (kind === 1 && k === 0) z += 2 + sharp;
    if (kind === 2 && k === q) z += 1.5 + sharp;
    if (kind === 3) z += (k === q ? 1 : 0) + (k === 0 ? 1.5 : 0);
    out[k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k <= q; k++) { out[k] = Math.exp(out[k] - max); sum += out[k]; }
  for (let k = 0; k <= q; k++) out[k] /= sum;
  for (let k = q + 1; k < out.length; k++) out[k] = 0;
}

/** [H, T, T] of one layer. */
export function syntheticLayer(shape: SyntheticShape, layer: number): Float32Array {
  const { T, H } = shape;
  const out = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) {
    for (let q = 0; q < T; q++) attentionRow(shape, layer, h, q, out.subarray((h * T + q) * T, (h * T + q + 1) * T));
  }
  return out;
}

export function encodeLayer(values: Float32Array, encoding: AttentionEncoding): ArrayBuffer {
  if (encoding === 'f32') return values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength) as ArrayBuffer;
  const u8 = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) u8[i] = Math.round(values[i] * 255);
  return u8.buffer;
}

/** [L, H, S, S] sqrt-u8 mean-pooled thumbnails, S = min(T, size), and [L, H, 2] flow, in one pass over all layers. */
export function syntheticThumbnailsAndFlow(shape: SyntheticShape, size: number): { size: number; thumbnails: Uint8Array; flow: Float32Array } {
  const { T, L, H } = shape;
  const S = Math.min(T, size);
  const thumbnails = new Uint8Array(L * H * S * S);
  const flow = new Float32Array(L * H * 2);
  const row = new Float32Array(T);
  const acc = new Float64Array(S * S);
  const bin = (i: number) => Math.min(S - 1, Math.floor((i * S) / T));
  const count = new Float64Array(S * S);
  for (let a = 0; a < T; a++) for (let b = 0; b < T; b++) count[bin(a) * S + bin(b)]++;
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      acc.fill(0);
      let self = 0, prev = 0;
      for (let q = 0; q < T; q++) {
        attentionRow(shape, l, h, q, row);
        self += row[q];
        if (q > 0) prev += row[q - 1];
        const bq = bin(q) * S;
        for (let k = 0; k <= q; k++) acc[bq + bin(k)] += row[k];
      }
      const base = (l * H + h) * S * S;
      // The host's sqrt-u8 encoding (src/engine/stats.ts thumbnails): byte = round(255 · sqrt(mean)).
      for (let i = 0; i < S * S; i++) thumbnails[base + i] = Math.round(Math.sqrt(acc[i] / count[i]) * 255);
      flow[(l * H + h) * 2] = self / T;
      flow[(l * H + h) * 2 + 1] = T > 1 ? prev / (T - 1) : 0;
    }
  }
  return { size: S, thumbnails, flow };
}

export function syntheticSummary(shape: SyntheticShape, flow: Float32Array): AnalysisSummary {
  const { T, L, H } = shape;
  const r = rng(shape.seed + 7);
  const k = 5;
  const topkIds = new Int32Array(T * k);
  const topkProbs = new Float32Array(T * k);
  const topkTokens: string[] = [];
  for (let i = 0; i < T; i++) {
    let rest = 0.9;
    for (let j = 0; j < k; j++) {
      const p = rest * (0.35 + 0.4 * r());
      rest -= p;
      topkIds[i * k + j] = 1000 + ((i + j + 1) % WORDS.length);
      topkProbs[i * k + j] = p;
      topkTokens.push(WORDS[(i + j + 1) % WORDS.length]);
    }
  }
  const nextTokenLogProb = new Float32Array(T).map((_, i) => (i === T - 1 ? NaN : -6 * r()));
  const norms = new Float32Array(L * T).map(() => 1 + 20 * r());
  return {
    analysisId: shape.analysisId,
    model: { name: shape.modelName ?? 'synthetic-12x12', layers: L, heads: H, embd: 768, vocab: 50257, ctx: 1024, dtype: 'F32' },
    tokens: syntheticTokens(T, shape.split),
    text: syntheticText(T, shape.split),
    truncated: shape.truncated ?? false,
    note: shape.note,
    sourceName: 'story.txt',
    topK: k,
    topkIds: topkIds.buffer,
    topkProbs: topkProbs.buffer,
    topkTokens,
    nextTokenLogProb: nextTokenLogProb.buffer,
    attnOutNorms: norms.buffer,
    flow: flow.buffer.slice(0) as ArrayBuffer,
  };
}
