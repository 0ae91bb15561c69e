// Pure formatting for messages, the status bar and progress notifications.
import * as path from 'node:path';

export type ModelStatus =
  | { kind: 'idle' }
  | { kind: 'downloading'; percent?: number }
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'running' }
  | { kind: 'error'; message: string };

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** "42%" (floored so 100% means done). */
export function formatPercent(done: number, total: number): string {
  if (!(total > 0)) return '';
  return `${Math.floor(Math.min(1, Math.max(0, done / total)) * 100)}%`;
}

/** A human duration: "45s", "3m 05s", "1h 02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Remaining time from the rate so far; undefined until there is something to extrapolate from. */
export function estimateRemainingMs(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || total <= done || elapsedMs <= 0) return undefined;
  return (elapsedMs / done) * (total - done);
}

/** "1,200 / 5,000 texts · ETA 3m 05s" for the profile progress notification. */
export function profileProgressMessage(done: number, total: number, elapsedMs: number): string {
  const eta = estimateRemainingMs(done, total, elapsedMs);
  const counts = `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} texts`;
  return eta === undefined ? counts : `${counts} · ETA ${formatDuration(eta)}`;
}

/** "12.3 MB / 500.0 MB (2%)" or "12.3 MB" when the size is unknown. */
export function downloadProgressMessage(file: string | undefined, received: number, total: number | undefined): string {
  const size = total && total > 0
    ? `${formatBytes(received)} / ${formatBytes(total)} (${formatPercent(received, total)})`
    : formatBytes(received);
  return file ? `${file}: ${size}` : size;
}

/** The short model name for the status bar: folder base name or repo id. */
export function shortModelName(model: string, modelPath: string): string {
  if (modelPath) return path.basename(modelPath.replace(/[\\/]+$/, '')) || modelPath;
  return model;
}

export function statusText(name: string, status: ModelStatus): string {
  switch (status.kind) {
    case 'idle': return `$(pulse) ${name}`;
    case 'downloading': return `$(pulse) ${name}: downloading${status.percent === undefined ? '' : ` ${Math.floor(status.percent)}%`}`;
    case 'error': return `$(pulse) ${name}: error`;
    default: return `$(pulse) ${name}: ${status.kind}`;
  }
}

/** First line of an error, without a stack: what users see in notifications. */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim() || 'Unknown error';
}

/** Is this the rejection of a cancelled operation (an AbortError, or the engine's CancelledError)? */
export function isAbort(err: unknown): boolean {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'CancelledError';
}

/**
 * A user mistake (no editor, an empty document, nothing to export): shown as an information message,
 * without "Show Log". Failures stay ordinary errors.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'UserError');
}

/** A button on an error message that runs a command (e.g. Select Model). */
export interface ErrorAction { title: string; command: string; args?: unknown[] }

/** A failure with buttons that lead out of it (shown next to "Show Log"). */
export class ActionableError extends Error {
  constructor(message: string, readonly actions: ErrorAction[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionableError';
  }
}

/** "1.0 GB" / "≈ 1.0 GB" for a size that was estimated. */
export function formatSize(bytes: number, exact: boolean): string {
  return `${exact ? '' : '≈ '}${formatBytes(bytes)}`;
}

/** "42% · 420.3 MB of 1.0 GB" for the export progress notification. */
export function exportProgressMessage(done: number, total: number): string {
  return `${formatPercent(done, total)} · ${formatBytes(done)} of ${formatBytes(total)}`;
}
