// Pure text helpers for the host: paragraph detection, offset ↔ token mapping, keeping an analyzed
// range in sync with edits, and output file names. No `vscode` import: unit-tested directly.
import * as path from 'node:path';
import type { Token } from '../engine/types';

export interface LineRange { startLine: number; endLine: number }
/** Half-open document offsets [start, end). */
export interface OffsetRange { start: number; end: number }

const isBlank = (s: string) => s.trim().length === 0;

function expand(lineAt: (i: number) => string, lineCount: number, line: number): LineRange {
  let startLine = line;
  let endLine = line;
  while (startLine > 0 && !isBlank(lineAt(startLine - 1))) startLine--;
  while (endLine < lineCount - 1 && !isBlank(lineAt(endLine + 1))) endLine++;
  return { startLine, endLine };
}

/**
 * The blank-line-delimited paragraph around `line` (inclusive line numbers). On a blank line, the next
 * paragraph below is used, else the one above; undefined when the document has no non-blank line.
 */
export function paragraphAt(lineAt: (i: number) => string, lineCount: number, line: number): LineRange | undefined {
  if (lineCount <= 0) return undefined;
  const at = Math.min(Math.max(line, 0), lineCount - 1);
  if (!isBlank(lineAt(at))) return expand(lineAt, lineCount, at);
  for (let i = at + 1; i < lineCount; i++) if (!isBlank(lineAt(i))) return expand(lineAt, lineCount, i);
  for (let i = at - 1; i >= 0; i--) if (!isBlank(lineAt(i))) return expand(lineAt, lineCount, i);
  return undefined;
}

/** Index of the token whose [start, end) contains `offset` (text offsets), or -1. Tokens are sorted. */
export function tokenAt(tokens: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = tokens[mid];
    if (offset < t.start) hi = mid - 1;
    else if (offset >= t.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Like `tokenAt`, but a position right after the last character of a token (cursor at end) maps to it. */
export function tokenAtCursor(tokens: readonly Token[], offset: number): number {
  const i = tokenAt(tokens, offset);
  if (i >= 0) return i;
  return tokenAt(tokens, offset - 1);
}

/** One content change in document offsets: `length` characters at `offset` replaced by `textLength`. */
export interface OffsetChange { offset: number; length: number; textLength: number }

/**
 * Where an analyzed range is after an edit: shifted when the edit is entirely before it, unchanged when
 * entirely after it, and `null` (stale) when the edit touches it. Inserting exactly at `end` is "after".
 */
export function shiftRange(range: OffsetRange, change: OffsetChange): OffsetRange | null {
  if (change.offset >= range.end) return range;
  if (change.offset + change.length > range.start) return null;
  const delta = change.textLength - change.length;
  return { start: range.start + delta, end: range.end + delta };
}

/** The texts to profile from a document: one per non-blank line, trimmed of the line break. */
export function nonBlankLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => !isBlank(l));
}

/** `<dir>/<name>.attention-profile.json` next to a file or folder (`reviews.jsonl` → `reviews.attention-profile.json`). */
export function profileOutputPath(inputPath: string, isFolder = false): string {
  const dir = path.dirname(inputPath);
  const base = path.basename(inputPath);
  const name = isFolder ? base : base.replace(/\.[^.]+$/, '') || base;
  return path.join(dir, `${name}.attention-profile.json`);
}

/** Default export file name for a panel view: `attention-<view>.<ext>`, made safe for file systems. */
export function exportFileName(view: string, ext: string): string {
  const safe = view.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'view';
  return `attention-${safe}.${ext}`;
}

/** Copy only the bytes a typed-array view covers (never ship a larger backing buffer). */
export function toArrayBuffer(view: ArrayBufferView): ArrayBuffer {
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return copy.buffer;
}

/** Decode a base64 `data:` URL (a canvas PNG export) into bytes; throws on anything else. */
export function dataUrlToBytes(url: string, expectedMime?: string): Uint8Array {
  const match = /^data:([\w.+-]+\/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,([A-Za-z0-9+/=\s]*)$/.exec(url);
  if (!match) throw new Error('The export is not a base64 data URL.');
  if (expectedMime && match[1] !== expectedMime) throw new Error(`The export is ${match[1] ?? 'untyped'}, expected ${expectedMime}.`);
  return new Uint8Array(Buffer.from(match[2], 'base64'));
}
