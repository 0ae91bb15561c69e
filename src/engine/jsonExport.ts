// Streams an analysis as one JSON object (the `attention-inspector analyze --json` shape) to a writable,
// row by row, so a T=1024 gpt2-xl analysis (hundreds of millions of numbers) never becomes one string.
// Lighter forms (attention as u8 or float16, one layer, no attention) and the size of each form before
// anything is written (exact for all but the decimal float32 attention, which is a tight estimate).
import type { Writable } from 'node:stream';
import type { Analysis } from './types';
import type { GPT2Tokenizer } from './tokenizer';
import { CancelledError } from './errors';

export interface JsonTimings {
  loadMs: number;
  runMs: number[];
}

/**
 * How attention is written. `f32`: decimal numbers, `[layer][head][query][key]` with zeros above the
 * diagonal (the full form). `u8` / `f16`: per head one base64 string of the causal lower triangle, row by
 * row (query q holds keys 0..q), as bytes round(p·255) or IEEE half floats (little-endian). `none`: omitted.
 */
export type JsonAttention = 'f32' | 'f16' | 'u8' | 'none';
export const JSON_ATTENTION_ENCODINGS: readonly JsonAttention[] = ['f32', 'f16', 'u8', 'none'];

export interface JsonExportOptions {
  attention: JsonAttention;
  /** Only this layer's attention (0-based); all layers when undefined. */
  layer?: number;
}

export const FULL_EXPORT: JsonExportOptions = { attention: 'f32' };

/** The full form (identical to `analyze --json` without options) carries no `attentionFormat` field. */
export function isFullExport(o: JsonExportOptions): boolean {
  return o.attention === 'f32' && o.layer === undefined;
}

export interface JsonWriteControl {
  signal?: AbortSignal;
  /** Bytes written so far and the expected total (from `estimateJsonSize`). */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** The expected total for progress; computed when omitted. */
  totalBytes?: number;
}

type Tok = Pick<GPT2Tokenizer, 'tokenText'>;

/** Nine significant digits round-trip any float32 value. */
const num = (v: number): string => (Number.isFinite(v) ? String(+v.toPrecision(9)) : 'null');

/** The layers whose attention is written. */
function layersOf(a: Analysis, o: JsonExportOptions): number[] {
  if (o.attention === 'none') return [];
  if (o.layer === undefined) return [...Array(a.model.layers).keys()];
  if (!Number.isInteger(o.layer) || o.layer < 0 || o.layer >= a.model.layers) {
    throw new RangeError(`layer ${o.layer} does not exist: the model has layers 0–${a.model.layers - 1}`);
  }
  return [o.layer];
}

const attentionFormat = (o: JsonExportOptions, layers: number[]) =>
  o.attention === 'f32' || o.attention === 'none'
    ? { encoding: o.attention, layers }
    : { encoding: o.attention, layers, layout: 'lower-triangle-base64', ...(o.attention === 'u8' ? { scale: 255 } : {}) };

/** Everything before the first layer of attention (ends with `"attentions":[`, or the format for `none`). */
function headJson(a: Analysis, o: JsonExportOptions, layers: number[]): string {
  const { name, layers: L, heads, embd, vocab, ctx } = a.model;
  let s = `{"model":${JSON.stringify({ name, layers: L, heads, embd, vocab, ctx })},`;
  s += `"tokens":${JSON.stringify(a.tokens.map(({ id, text, start, end }) => ({ id, text, start, end })))},`;
  s += `"truncated":${a.truncated},`;
  if (!isFullExport(o)) s += `"attentionFormat":${JSON.stringify(attentionFormat(o, layers))},`;
  if (o.attention !== 'none') s += '"attentions":[';
  return s;
}

/** Everything after the last layer of attention. */
function tailJson(a: Analysis, tokenizer: Tok, timings: JsonTimings, o: JsonExportOptions): string {
  const T = a.length;
  const L = a.model.layers;
  const parts: string[] = [o.attention === 'none' ? '"attnOutNorms":[' : '],"attnOutNorms":['];
  for (let l = 0; l < L; l++) parts.push((l ? ',' : '') + '[' + Array.from(a.attnOutNorms.subarray(l * T, (l + 1) * T), num).join(',') + ']');
  parts.push('],"topk":[');
  const k = a.topK;
  for (let t = 0; t < T; t++) {
    const items = [];
    for (let j = 0; j < k; j++) {
      const id = a.topkIds[t * k + j];
      items.push(`{"id":${id},"token":${JSON.stringify(tokenizer.tokenText(id))},"prob":${num(a.topkProbs[t * k + j])}}`);
    }
    parts.push((t ? ',[' : '[') + items.join(',') + ']');
  }
  parts.push('],"nextTokenLogProb":[' + Array.from(a.nextTokenLogProb, num).join(',') + '],');
  parts.push(`"timings":${JSON.stringify({ loadMs: Math.round(timings.loadMs), runMs: timings.runMs.map((r) => Math.round(r * 10) / 10) })}}\n`);
  return parts.join('');
}

// ---- float16 -------------------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 half-precision bits of a number (round to nearest even). */
export function toFloat16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number a half-precision bit pattern stands for (for tests and readers). */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The causal lower triangle of one head ([T, T] row-major in `att` at `base`) as bytes. */
function packTriangle(att: Float32Array, base: number, T: number, encoding: 'u8' | 'f16'): Buffer {
  const n = (T * (T + 1)) / 2;
  const out = Buffer.allocUnsafe(encoding === 'u8' ? n : 2 * n);
  let o = 0;
  for (let q = 0; q < T; q++) {
    const row = base + q * T;
    for (let k = 0; k <= q; k++) {
      const v = att[row + k];
      if (encoding === 'u8') out[o++] = Math.round(255 * (v > 1 ? 1 : v > 0 ? v : 0));
      else { out.writeUInt16LE(toFloat16Bits(v), o); o += 2; }
    }
  }
  return out;
}

/** Decode one head of a `u8`/`f16` export back to a [T, T] row-major Float32Array (zeros above the diagonal). */
export function decodeTriangle(base64: string, T: number, encoding: 'u8' | 'f16'): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(T * T);
  let o = 0;
  for (let q = 0; q < T; q++) {
    for (let k = 0; k <= q; k++) {
      out[q * T + k] = encoding === 'u8' ? bytes[o++] / 255 : fromFloat16Bits(bytes.readUInt16LE((o += 2) - 2));
    }
  }
  return out;
}

// ---- sizes -----------------------------------------------------------------------------------------------

/** Values sampled per head to estimate the decimal float32 form; heads with fewer lower-triangle values are counted exactly. */
const SAMPLES_PER_HEAD = 4096;

/** Deterministic xorshift32 in [0, 1), so the same analysis always gets the same estimate. */
function sampler(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Characters of the decimal float32 form of one layer (`[[...rows...],...heads]`), and whether exact. */
function f32LayerChars(a: Analysis, l: number): { chars: number; exact: boolean } {
  const T = a.length;
  const H = a.model.heads;
  const att = a.attentions[l];
  const lower = (T * (T + 1)) / 2;
  // Brackets and commas: layer [ ], H-1 commas; per head [ ], T-1 commas; per row [ ], T-1 commas.
  let chars = 2 + (H - 1) + H * (2 + (T - 1) + T * (2 + (T - 1)));
  chars += H * ((T * (T - 1)) / 2); // the "0" above the diagonal
  let exact = true;
  const next = sampler(0x9e3779b9 ^ (l * 7919 + T));
  for (let h = 0; h < H; h++) {
    const base = h * T * T;
    // Weights that underflowed to exactly 0 print as "0": counted exactly (often most of a long row).
    // The others print with up to 9 significant digits; their mean length is estimated from a sample.
    let zeros = 0;
    for (let q = 0; q < T; q++) {
      const row = base + q * T;
      for (let k = 0; k <= q; k++) if (att[row + k] === 0) zeros++;
    }
    const nonzero = lower - zeros;
    chars += zeros;
    if (nonzero <= SAMPLES_PER_HEAD) {
      for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) if (att[base + q * T + k] !== 0) chars += num(att[base + q * T + k]).length;
      continue;
    }
    exact = false;
    let sampled = 0;
    let count = 0;
    for (let draws = 0; count < SAMPLES_PER_HEAD && draws < 64 * SAMPLES_PER_HEAD; draws++) {
      const idx = Math.min(lower - 1, Math.floor(next() * lower));
      const q = Math.floor((Math.sqrt(8 * idx + 1) - 1) / 2);
      const v = att[base + q * T + Math.min(idx - (q * (q + 1)) / 2, q)];
      if (v === 0) continue;
      sampled += num(v).length;
      count++;
    }
    chars += Math.round((count ? sampled / count : 11) * nonzero);
  }
  return { chars, exact };
}

const base64Chars = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** Characters (= bytes: base64 is ASCII) of one layer in the u8/f16 form: `["…","…",…]`. */
function packedLayerChars(a: Analysis, encoding: 'u8' | 'f16'): number {
  const T = a.length;
  const H = a.model.heads;
  const n = ((T * (T + 1)) / 2) * (encoding === 'u8' ? 1 : 2);
  return 2 + (H - 1) + H * (2 + base64Chars(n));
}

export interface JsonSize {
  bytes: number;
  /** False when the decimal float32 attention was estimated from a sample (within a fraction of a percent). */
  exact: boolean;
}

/** All the sizes the export prompt offers, computed in one pass. */
export interface JsonSizeTable {
  full: JsonSize;
  u8: JsonSize;
  f16: JsonSize;
  none: JsonSize;
  /** The full-precision (f32) form restricted to each layer. */
  layers: JsonSize[];
}

export function jsonSizeTable(a: Analysis, tokenizer: Tok, timings: JsonTimings): JsonSizeTable {
  const L = a.model.layers;
  const f32 = Array.from({ length: L }, (_, l) => f32LayerChars(a, l));
  // The head and tail differ between forms only by the attentionFormat field and a bracket.
  const tail = Buffer.byteLength(tailJson(a, tokenizer, timings, FULL_EXPORT));
  const tailNone = Buffer.byteLength(tailJson(a, tokenizer, timings, { attention: 'none' }));
  const fullHead = Buffer.byteLength(headJson(a, FULL_EXPORT, layersOf(a, FULL_EXPORT)));
  const fixed = (o: JsonExportOptions) => (isFullExport(o) ? fullHead
    : fullHead + Buffer.byteLength(`"attentionFormat":${JSON.stringify(attentionFormat(o, layersOf(a, o)))},`) - (o.attention === 'none' ? '"attentions":['.length : 0))
    + (o.attention === 'none' ? tailNone : tail);
  const all = (layerChars: number, exact: boolean, o: JsonExportOptions): JsonSize =>
    ({ bytes: fixed(o) + L * layerChars + (L - 1), exact });
  const fullChars = f32.reduce((s, x) => s + x.chars, 0);
  return {
    full: { bytes: fixed(FULL_EXPORT) + fullChars + (L - 1), exact: f32.every((x) => x.exact) },
    u8: all(packedLayerChars(a, 'u8'), true, { attention: 'u8' }),
    f16: all(packedLayerChars(a, 'f16'), true, { attention: 'f16' }),
    none: { bytes: fixed({ attention: 'none' }), exact: true },
    layers: f32.map((x, l) => ({ bytes: fixed({ attention: 'f32', layer: l }) + x.chars, exact: x.exact })),
  };
}

/** The size of one export form. */
export function estimateJsonSize(a: Analysis, tokenizer: Tok, timings: JsonTimings, o: JsonExportOptions): JsonSize {
  const layers = layersOf(a, o);
  let bytes = Buffer.byteLength(headJson(a, o, layers)) + Buffer.byteLength(tailJson(a, tokenizer, timings, o));
  let exact = true;
  for (const l of layers) {
    if (o.attention === 'f32') {
      const x = f32LayerChars(a, l);
      bytes += x.chars;
      exact &&= x.exact;
    } else {
      bytes += packedLayerChars(a, o.attention as 'u8' | 'f16');
    }
  }
  return { bytes: bytes + Math.max(0, layers.length - 1), exact };
}

// ---- writing ---------------------------------------------------------------------------------------------

const FLUSH_CHARS = 1 << 16;

/**
 * Write the analysis as JSON. Resolves with the bytes written. Rejects with CancelledError when
 * `control.signal` aborts (the caller removes what was written) and with the stream's error if it fails.
 */
export async function writeAnalysisJson(
  out: Writable, a: Analysis, tokenizer: Tok, timings: JsonTimings,
  options: JsonExportOptions = FULL_EXPORT, control: JsonWriteControl = {},
): Promise<number> {
  const layers = layersOf(a, options);
  const { signal, onProgress } = control;
  const total = onProgress ? control.totalBytes ?? estimateJsonSize(a, tokenizer, timings, options).bytes : 0;
  let failure: Error | undefined;
  const onError = (e: Error) => { failure ??= e; };
  out.on('error', onError);
  let written = 0;
  let buffer = '';
  const flush = async () => {
    if (signal?.aborted) throw new CancelledError();
    if (failure) throw failure;
    const chunk = buffer;
    buffer = '';
    if (!chunk) return;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => { out.off('drain', done); out.off('error', fail); out.off('close', done); resolve(); };
        const fail = (e: Error) => { out.off('drain', done); out.off('close', done); reject(e); };
        out.once('drain', done);
        out.once('error', fail);
        out.once('close', done);
      });
    }
    if (failure) throw failure;
    onProgress?.(Math.min(written, total), total);
  };
  const write = async (s: string) => {
    buffer += s;
    if (buffer.length >= FLUSH_CHARS) await flush();
  };
  try {
    const T = a.length;
    const H = a.model.heads;
    await write(headJson(a, options, layers));
    const zerosAbove = options.attention === 'f32' ? ',0'.repeat(T) : '';
    for (const [n, l] of layers.entries()) {
      await write(n ? ',[' : '[');
      for (let h = 0; h < H; h++) {
        if (options.attention === 'f32') {
          await write(h ? ',[' : '[');
          for (let i = 0; i < T; i++) {
            const row = a.attentions[l].subarray((h * T + i) * T, (h * T + i + 1) * T);
            let s = i ? ',[' : '[';
            for (let j = 0; j <= i; j++) {
              const v = row[j];
              s += (j ? ',' : '') + (v === 0 ? '0' : num(v));
            }
            await write(s + zerosAbove.slice(0, 2 * (T - 1 - i)) + ']');
          }
          await write(']');
        } else {
          await write((h ? ',"' : '"') + packTriangle(a.attentions[l], h * T * T, T, options.attention as 'u8' | 'f16').toString('base64') + '"');
        }
      }
      await write(']');
    }
    await write(tailJson(a, tokenizer, timings, options));
    await flush();
  } finally {
    out.off('error', onError);
  }
  return written;
}
