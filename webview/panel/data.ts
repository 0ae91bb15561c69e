// The panel's copy of one analysis: the summary (decoded into typed arrays) and a byte-bounded
// cache of attention layers received from the host. Requests for missing layers go through
// `need`, which deduplicates them and returns the best layer available meanwhile.
import type { AnalysisSummary, AttentionEncoding } from '../../src/protocol';
import type { Token } from '../../src/engine/types';

/** One layer, all heads: [H, T, T] row-major; u8 values are round(p * 255). */
export class LayerData {
  readonly scale: number;
  private mean: Float32Array | undefined;

  constructor(
    readonly layer: number,
    readonly encoding: AttentionEncoding,
    readonly heads: number,
    readonly length: number,
    readonly values: Float32Array | Uint8Array,
  ) {
    this.scale = encoding === 'u8' ? 1 / 255 : 1;
  }

  get bytes(): number {
    return this.values.byteLength;
  }

  weight(head: number, query: number, key: number): number {
    const T = this.length;
    return this.values[(head * T + query) * T + key] * this.scale;
  }

  /** Offset of row (head, query) in `values`. */
  rowOffset(head: number, query: number): number {
    return (head * this.length + query) * this.length;
  }

  /** Mean over heads, [T, T], computed once. */
  meanMatrix(): Float32Array {
    if (this.mean) return this.mean;
    const T = this.length, H = this.heads;
    const out = new Float32Array(T * T);
    const v = this.values;
    for (let h = 0; h < H; h++) {
      const base = h * T * T;
      for (let i = 0; i < T * T; i++) out[i] += v[base + i];
    }
    const s = this.scale / H;
    for (let i = 0; i < out.length; i++) out[i] *= s;
    this.mean = out;
    return out;
  }

  /** Row `query` of one head, or of the mean over heads when head is null, as probabilities. */
  row(head: number | null, query: number): Float32Array {
    const T = this.length;
    if (head === null) return this.meanMatrix().subarray(query * T, (query + 1) * T);
    const off = this.rowOffset(head, query);
    const out = new Float32Array(T);
    for (let k = 0; k < T; k++) out[k] = this.values[off + k] * this.scale;
    return out;
  }

  /** The [T, T] matrix of one head (or the mean) as probabilities. */
  matrix(head: number | null): Float32Array {
    if (head === null) return this.meanMatrix();
    const T = this.length;
    const off = head * T * T;
    if (this.values instanceof Float32Array) return this.values.subarray(off, off + T * T);
    const out = new Float32Array(T * T);
    for (let i = 0; i < T * T; i++) out[i] = this.values[off + i] * this.scale;
    return out;
  }
}

export interface TopAttended {
  key: number;
  weight: number;
}

/** The `n` largest entries of a row restricted to keys 0..query (the causal range). */
export function topKeys(row: Float32Array, query: number, n: number): TopAttended[] {
  const best: TopAttended[] = [];
  for (let k = 0; k <= query && k < row.length; k++) {
    const w = row[k];
    if (best.length < n || w > best[best.length - 1].weight) {
      best.push({ key: k, weight: w });
      best.sort((a, b) => b.weight - a.weight);
      if (best.length > n) best.pop();
    }
  }
  return best;
}

export interface Thumbnails {
  size: number;
  data: Uint8Array;
}

/** Default budget for cached layers: enough for all of gpt2-small at T=1024 in u8, a few in f32. */
const DEFAULT_CACHE_BYTES = 320 * 1024 * 1024;

export class AnalysisStore {
  readonly id: number;
  readonly T: number;
  readonly L: number;
  readonly H: number;
  readonly tokens: Token[];
  readonly topkProbs: Float32Array;
  readonly topkIds: Int32Array;
  readonly flow: Float32Array;
  readonly norms: Float32Array;
  readonly nextTokenLogProb: Float32Array;
  thumbnails: Thumbnails | undefined;
  private readonly layers = new Map<number, LayerData>();
  private readonly pending = new Set<string>();
  private thumbnailsPending = false;

  constructor(
    readonly summary: AnalysisSummary,
    private readonly request: (layer: number, encoding: AttentionEncoding) => void,
    private readonly requestThumbs: (size: number) => void,
    private readonly budgetBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.id = summary.analysisId;
    this.tokens = summary.tokens;
    this.T = summary.tokens.length;
    this.L = summary.model.layers;
    this.H = summary.model.heads;
    this.topkProbs = new Float32Array(summary.topkProbs);
    this.topkIds = new Int32Array(summary.topkIds);
    this.flow = new Float32Array(summary.flow);
    this.norms = new Float32Array(summary.attnOutNorms);
    this.nextTokenLogProb = new Float32Array(summary.nextTokenLogProb);
    const expectedFlow = this.L * this.H * 2;
    if (this.flow.length !== expectedFlow) {
      throw new Error(`analysis ${this.id}: flow has ${this.flow.length} values, expected L*H*2 = ${expectedFlow}`);
    }
  }

  /** The layer if cached at the wanted quality; otherwise request it and return what we have (maybe u8). */
  need(layer: number, encoding: AttentionEncoding): LayerData | undefined {
    const have = this.layers.get(layer);
    if (have && (encoding === 'u8' || have.encoding === 'f32')) {
      this.touch(layer, have);
      return have;
    }
    const key = `${layer}:${encoding}`;
    if (!this.pending.has(key) && !this.pending.has(`${layer}:f32`)) {
      this.pending.add(key);
      this.request(layer, encoding);
    }
    return have;
  }

  peek(layer: number): LayerData | undefined {
    return this.layers.get(layer);
  }

  /** Store a received layer; validates its size. A u8 copy never replaces an f32 one. */
  addLayer(layer: number, encoding: AttentionEncoding, data: ArrayBuffer): LayerData {
    this.pending.delete(`${layer}:${encoding}`);
    const T = this.T, H = this.H;
    const values = encoding === 'f32' ? new Float32Array(data) : new Uint8Array(data);
    if (values.length !== H * T * T) {
      throw new Error(`layer ${layer} (${encoding}): got ${values.length} values, expected H*T*T = ${H * T * T}`);
    }
    if (layer < 0 || layer >= this.L) throw new Error(`layer ${layer} out of range 0..${this.L - 1}`);
    const existing = this.layers.get(layer);
    if (existing && existing.encoding === 'f32' && encoding === 'u8') return existing;
    const ld = new LayerData(layer, encoding, H, T, values);
    this.touch(layer, ld);
    this.evict(layer);
    return ld;
  }

  needThumbnails(size: number): Thumbnails | undefined {
    if (!this.thumbnails && !this.thumbnailsPending) {
      this.thumbnailsPending = true;
      this.requestThumbs(size);
    }
    return this.thumbnails;
  }

  setThumbnails(size: number, data: ArrayBuffer): void {
    this.thumbnailsPending = false;
    const values = new Uint8Array(data);
    const expected = this.L * this.H * size * size;
    if (values.length !== expected) {
      throw new Error(`thumbnails: got ${values.length} bytes, expected L*H*S*S = ${expected} (S=${size})`);
    }
    this.thumbnails = { size, data: values };
  }

  /** [min, mean, max] over heads of flow component c (0 = self, 1 = previous token) at a layer. */
  flowStats(layer: number, c: 0 | 1): { min: number; mean: number; max: number; perHead: number[] } {
    const perHead: number[] = [];
    for (let h = 0; h < this.H; h++) perHead.push(this.flow[(layer * this.H + h) * 2 + c]);
    const finite = perHead.filter((v) => Number.isFinite(v));
    const mean = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
    return { min: Math.min(...finite), mean, max: Math.max(...finite), perHead };
  }

  topPredictions(position: number, n: number): { token: string; prob: number }[] {
    const k = this.summary.topK;
    const out: { token: string; prob: number }[] = [];
    for (let j = 0; j < Math.min(n, k); j++) {
      out.push({ token: this.summary.topkTokens[position * k + j] ?? '', prob: this.topkProbs[position * k + j] });
    }
    return out;
  }

  private touch(layer: number, data: LayerData): void {
    this.layers.delete(layer);
    this.layers.set(layer, data);
  }

  /** Drop least recently used layers (never `keep`) until under budget. */
  private evict(keep: number): void {
    let total = 0;
    for (const d of this.layers.values()) total += d.bytes;
    for (const [layer, d] of this.layers) {
      if (total <= this.budgetBytes) break;
      if (layer === keep) continue;
      this.layers.delete(layer);
      total -= d.bytes;
    }
  }
}

/** Token text for display: visible whitespace-only tokens, escaped newlines and tabs. */
export function displayToken(text: string): string {
  const shown = text.replace(/\r?\n/g, '⏎').replace(/\t/g, '⇥');
  if (shown.trim() === '') return shown.replace(/ /g, '·') || '∅';
  return shown;
}

/** Token text as a label in a column or table: like displayToken, without the leading space. */
export function labelToken(text: string): string {
  const shown = displayToken(text);
  return shown.trim() === '' ? shown : shown.replace(/^ +/, '');
}
