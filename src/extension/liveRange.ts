// Live mode's range arithmetic, pure (no runtime `vscode` import) so it can be unit-tested.
import type { OffsetRange } from './text';

/** Where the analyzed range goes after one content change: typing at its end extends it. null = unaffected. */
export function liveRange(range: OffsetRange, change: { offset: number; length: number; textLength: number }): OffsetRange | null {
  const delta = change.textLength - change.length;
  const changeEnd = change.offset + change.length;
  if (change.offset > range.end) return null; // after the text: not ours
  if (changeEnd <= range.start && change.offset < range.start) return { start: range.start + delta, end: range.end + delta }; // before it
  if (change.offset === range.end && change.length === 0) return { start: range.start, end: range.end + change.textLength }; // typing at the end
  // inside it (or across its start): the range now spans the edited text
  const start = Math.min(range.start, change.offset);
  return { start, end: Math.max(start, range.end + delta) };
}
