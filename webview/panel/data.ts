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

  /**
   * Row `query` of one head, or of the mean over heads when head is null, as probabilities. A mean row
   * is read from the mean matrix when it exists, else summed over heads for this row alone (H·T values,
   * not H·T·T: the tokens table asks only for the rows it shows).
   */
  row(head: number | null, query: number): Float32Array {
    const T = this.length;
    if (head === null) {
      if (this.mean) return this.mean.subarray(query * T, (query + 1) * T);
      const out = new Float32Array(T);
      const v = this.values;
      const n = T;
      for (let h = 0; h < this.heads; h++) {
        const off = this.rowOffset(h, query);
        for (let k = 0; k < n; k++) out[k] += v[off + k];
      }
      const s = this.scale / this.heads;
      for (let k = 0; k < n; k++) out[k] *= s;
      return out;
    }
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
/** Prefetched neighbours come in f32 while a layer is at most this big, else in u8 (a quarter of the bytes). */
const PREFETCH_F32_MAX_BYTES = 8 * 1024 * 1024;
/** How many layers on each side of the current one `prefetch` asks for. */
export const PREFETCH_RADIUS = 2;

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
  private tokenLabelList: TokenLabel[] | undefined;
  private readonly layers = new Map<number, LayerData>();
  private readonly pending = new Set<string>();
  /** The layer on screen: never evicted to make room for another one. */
  private current = -1;
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

  /** How each token is shown (characters split across tokens on the first of them), computed once. */
  labels(): TokenLabel[] {
    this.tokenLabelList ??= tokenLabels(this.tokens, this.summary.text);
    return this.tokenLabelList;
  }

  peek(layer: number): LayerData | undefined {
    return this.layers.get(layer);
  }

  /** Layers held now (any encoding), ascending. */
  cachedLayers(): number[] {
    return [...this.layers.keys()].sort((a, b) => a - b);
  }

  /** Bytes of one layer in an encoding: H·T·T values. */
  layerBytes(encoding: AttentionEncoding): number {
    return this.H * this.T * this.T * (encoding === 'f32' ? 4 : 1);
  }

  /**
   * Make `center` the layer on screen and ask for the layers around it (nearest first, up to
   * PREFETCH_RADIUS on each side) that are neither cached nor on their way, as long as they fit in the
   * byte budget next to what is cached and pending: a prefetch never evicts anything. Small layers come
   * in f32, large ones in u8 (the views draw u8 at once and ask for f32 when they need it).
   * Returns the layers requested.
   */
  prefetch(center: number): number[] {
    this.current = center;
    const encoding: AttentionEncoding = this.layerBytes('f32') <= PREFETCH_F32_MAX_BYTES ? 'f32' : 'u8';
    let used = this.pendingBytes();
    for (const d of this.layers.values()) used += d.bytes;
    const asked: number[] = [];
    for (let d = 1; d <= PREFETCH_RADIUS; d++) {
      for (const layer of [center + d, center - d]) {
        if (layer < 0 || layer >= this.L || this.layers.has(layer) || this.isPending(layer)) continue;
        const bytes = this.layerBytes(encoding);
        if (used + bytes > this.budgetBytes) return asked;
        used += bytes;
        this.pending.add(`${layer}:${encoding}`);
        this.request(layer, encoding);
        asked.push(layer);
      }
    }
    return asked;
  }

  private isPending(layer: number): boolean {
    return this.pending.has(`${layer}:f32`) || this.pending.has(`${layer}:u8`);
  }

  private pendingBytes(): number {
    let n = 0;
    for (const key of this.pending) n += this.layerBytes(key.endsWith(':f32') ? 'f32' : 'u8');
    return n;
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

  /** Drop least recently used layers (never `keep` nor the layer on screen) until under budget. */
  private evict(keep: number): void {
    let total = 0;
    for (const d of this.layers.values()) total += d.bytes;
    for (const [layer, d] of this.layers) {
      if (total <= this.budgetBytes) break;
      if (layer === keep || layer === this.current) continue;
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

/** How a token is shown in the token strip and the tokens table. */
export interface TokenLabel {
  /** The token's own characters as shown (whitespace made visible); '' for a pure continuation. */
  text: string;
  /** The token starts with the remaining bytes of a character that an earlier token began. */
  continues: boolean;
  /** Set on every token of a character split across tokens: which part, of how many, and the character. */
  split?: { part: number; of: number; char: string };
}

/** Mark drawn (muted) for the bytes of a character whose first byte is in an earlier token. */
export const CONTINUATION_MARK = '◌';

const countCodePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Labels of all tokens. A character GPT-2 splits over several tokens belongs to the first of them (its
 * range covers the character; the others have what is left of it, as an empty range or at the start of
 * theirs). `Token.text` shows "�" for every incomplete piece, so the first token is labelled from the
 * analyzed text instead (`source`, which the token ranges index), and the others get a continuation mark.
 * The number of leading continuation pieces of a token is exact: its text has one "�" per leftover byte
 * run, so it has that many more code points than its own range of the source.
 */
export function tokenLabels(tokens: Token[], source: string | undefined): TokenLabel[] {
  const labels: TokenLabel[] = tokens.map((t) => ({ text: displayToken(t.text), continues: false }));
  if (source === undefined) return labels;
  /** The open split character: its owner token and the tokens that continue it. */
  let group: { owner: number; char: string; members: number[] } | null = null;
  const close = () => {
    if (group && group.members.length > 1) {
      group.members.forEach((i, p) => { labels[i].split = { part: p + 1, of: group!.members.length, char: group!.char }; });
    }
    group = null;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t.text.includes('\uFFFD') || t.start < 0 || t.end > source.length || t.end < t.start) { close(); continue; }
    const own = source.slice(t.start, t.end);
    const leftover = countCodePoints(t.text) - countCodePoints(own);
    labels[i] = { text: own.length > 0 ? displayToken(own) : '', continues: leftover > 0 };
    if (leftover > 0 && group) group.members.push(i);
    if (own.length > 0 || leftover <= 0) close();
    // Does this token end inside a character (its text ends with "�" that is not one of the leftovers)?
    if (own.length > 0 && t.text.endsWith('\uFFFD') && !own.endsWith('\uFFFD')) {
      const char = Array.from(own).at(-1)!;
      group = { owner: i, char, members: [i] };
    }
  }
  close();
  return labels;
}

/** "U+1F600 😀": a character for hover text. */
export function describeChar(char: string): string {
  const cp = char.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${char}`;
}
