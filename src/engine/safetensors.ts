// safetensors reader: parses and validates the header only; tensor bytes stay in the file and are
// referenced by absolute byte ranges (the ONNX graph points at them as external data).
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelError } from './errors';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset in the file and byte length. */
  offset: number;
  length: number;
}

export interface SafetensorsFile {
  path: string;
  fileSize: number;
  dataStart: number;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function readSafetensorsHeader(path: string): SafetensorsFile {
  const name = basename(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new ModelError(path, 'file not found or not readable');
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new ModelError(path, `truncated: ${fileSize} bytes, not a safetensors file`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > fileSize - 8) {
      throw new ModelError(path, `header length ${headerLen} is larger than the file (${fileSize} bytes): truncated or corrupt`);
    }
    if (headerLen > MAX_HEADER || headerLen < 2) throw new ModelError(path, `implausible header length ${headerLen}`);
    const headerBuf = Buffer.alloc(headerLen);
    readSync(fd, headerBuf, 0, headerLen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString('utf8'));
    } catch {
      throw new ModelError(path, 'header is not valid JSON (corrupt safetensors file)');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new ModelError(path, 'header is not a JSON object');
    }
    const dataStart = 8 + headerLen;
    const dataSize = fileSize - dataStart;
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(header)) {
      if (key === '__metadata__') {
        metadata = (value ?? {}) as Record<string, string>;
        continue;
      }
      const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof v?.dtype !== 'string' || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets) || v.data_offsets.length !== 2) {
        throw new ModelError(path, `tensor "${key}" has a malformed header entry`);
      }
      const bytes = DTYPE_BYTES[v.dtype];
      if (bytes === undefined) throw new ModelError(path, `tensor "${key}" has unknown dtype ${v.dtype}`);
      const shape = v.shape as number[];
      const [begin, end] = v.data_offsets as number[];
      if (!shape.every((d) => Number.isInteger(d) && d >= 0) || !Number.isInteger(begin) || !Number.isInteger(end) || begin > end) {
        throw new ModelError(path, `tensor "${key}" has invalid shape or offsets`);
      }
      const count = shape.reduce((a, b) => a * b, 1);
      if (end - begin !== count * bytes) {
        throw new ModelError(path, `tensor "${key}" byte range ${end - begin} does not match shape [${shape}] of ${v.dtype}`);
      }
      if (end > dataSize) {
        throw new ModelError(path, `tensor "${key}" ends at byte ${dataStart + end} but the file has ${fileSize} bytes: truncated`);
      }
      tensors.set(key, { name: key, dtype: v.dtype, shape, offset: dataStart + begin, length: end - begin });
    }
    void name;
    return { path, fileSize, dataStart, tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

/** Read one tensor's raw bytes (used by tests and small tensors; the graph never copies weights). */
export function readTensorBytes(file: SafetensorsFile, entry: TensorEntry): Buffer {
  const fd = openSync(file.path, 'r');
  try {
    const buf = Buffer.alloc(entry.length);
    readSync(fd, buf, 0, entry.length, entry.offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export interface WriteTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Float32 data, converted to dtype on write. */
  data: Float32Array;
}

/** Serialize tensors in the safetensors layout (used to generate checkpoints for tests, bench and the demo). */
export function encodeSafetensors(tensors: WriteTensor[], metadata: Record<string, string> = { format: 'pt' }): Buffer[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const blobs: Buffer[] = [];
  for (const t of tensors) {
    const blob = encodeFloats(t.data, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + blob.length] };
    offset += blob.length;
    blobs.push(blob);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align data to 8 bytes like the reference implementation
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return [len, Buffer.from(json, 'utf8'), ...blobs];
}

function encodeFloats(data: Float32Array, dtype: SafetensorsDType): Buffer {
  if (dtype === 'F32') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.length * 2);
  for (let i = 0; i < data.length; i++) out.writeUInt16LE(dtype === 'F16' ? f32ToF16(data[i]) : f32ToBf16(data[i]), i * 2);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}

export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00 | (((x >>> 23) & 0xff) === 0xff && mant ? 0x200 : 0);
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function bf16ToF32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}
