import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  paragraphAt, tokenAt, tokenAtCursor, shiftRange, nonBlankLines, profileOutputPath, exportFileName, toArrayBuffer,
} from '../src/extension/text';
import type { Token } from '../src/engine/types';

const doc = ['first para', 'still first', '', '   ', 'second', '', 'third a', 'third b'];
const lineAt = (i: number) => doc[i];

test('paragraphAt expands to blank-line boundaries', () => {
  assert.deepEqual(paragraphAt(lineAt, doc.length, 1), { startLine: 0, endLine: 1 });
  assert.deepEqual(paragraphAt(lineAt, doc.length, 4), { startLine: 4, endLine: 4 });
  assert.deepEqual(paragraphAt(lineAt, doc.length, 7), { startLine: 6, endLine: 7 });
});

test('paragraphAt on a blank line prefers the paragraph below, then above', () => {
  assert.deepEqual(paragraphAt(lineAt, doc.length, 2), { startLine: 4, endLine: 4 });
  const trailing = ['a', 'b', '', ''];
  assert.deepEqual(paragraphAt((i) => trailing[i], trailing.length, 3), { startLine: 0, endLine: 1 });
  assert.equal(paragraphAt(() => '  ', 3, 1), undefined);
  assert.equal(paragraphAt(() => '', 0, 0), undefined);
});

const tokens: Token[] = [
  { id: 464, text: 'The', start: 0, end: 3 },
  { id: 3290, text: ' dog', start: 3, end: 7 },
  { id: 319, text: ' on', start: 7, end: 10 },
];

test('tokenAt maps offsets to the containing token', () => {
  assert.equal(tokenAt(tokens, 0), 0);
  assert.equal(tokenAt(tokens, 2), 0);
  assert.equal(tokenAt(tokens, 3), 1);
  assert.equal(tokenAt(tokens, 9), 2);
  assert.equal(tokenAt(tokens, 10), -1);
  assert.equal(tokenAt(tokens, -1), -1);
  assert.equal(tokenAt([], 0), -1);
});

test('tokenAtCursor maps a cursor right after the last character to the last token', () => {
  assert.equal(tokenAtCursor(tokens, 10), 2);
  assert.equal(tokenAtCursor(tokens, 11), -1);
  assert.equal(tokenAtCursor(tokens, 3), 1);
});

test('shiftRange shifts, keeps, or marks stale', () => {
  const r = { start: 10, end: 20 };
  assert.deepEqual(shiftRange(r, { offset: 0, length: 2, textLength: 5 }), { start: 13, end: 23 });
  assert.deepEqual(shiftRange(r, { offset: 10, length: 0, textLength: 4 }), { start: 14, end: 24 });
  assert.deepEqual(shiftRange(r, { offset: 5, length: 5, textLength: 0 }), { start: 5, end: 15 });
  assert.deepEqual(shiftRange(r, { offset: 20, length: 3, textLength: 1 }), r);
  assert.equal(shiftRange(r, { offset: 15, length: 0, textLength: 1 }), null);
  assert.equal(shiftRange(r, { offset: 5, length: 6, textLength: 0 }), null);
  assert.equal(shiftRange(r, { offset: 19, length: 5, textLength: 0 }), null);
});

test('nonBlankLines drops blank lines and line breaks', () => {
  assert.deepEqual(nonBlankLines('a\r\n\n  \nb c\n'), ['a', 'b c']);
});

test('profileOutputPath sits next to the input', () => {
  assert.equal(profileOutputPath('/d/reviews.jsonl'), '/d/reviews.attention-profile.json');
  assert.equal(profileOutputPath('/d/notes'), '/d/notes.attention-profile.json');
  assert.equal(profileOutputPath('/d/texts', true), '/d/texts.attention-profile.json');
  assert.equal(profileOutputPath('/d/v1.2.csv'), '/d/v1.2.attention-profile.json');
});

test('exportFileName is file-system safe', () => {
  assert.equal(exportFileName('heatmap', 'png'), 'attention-heatmap.png');
  assert.equal(exportFileName('Layer 3 / Head 2', 'svg'), 'attention-layer-3-head-2.svg');
  assert.equal(exportFileName('***', 'svg'), 'attention-view.svg');
});

test('toArrayBuffer copies only the viewed bytes', () => {
  const big = new Float32Array([1, 2, 3, 4, 5]);
  const view = big.subarray(1, 3);
  const buf = toArrayBuffer(view);
  assert.equal(buf.byteLength, 8);
  assert.deepEqual(Array.from(new Float32Array(buf)), [2, 3]);
});

test('dataUrlToBytes decodes base64 PNG data URLs and rejects others', async () => {
  const { dataUrlToBytes } = await import('../src/extension/text');
  const bytes = dataUrlToBytes('data:image/png;base64,iVBORw0K', 'image/png');
  assert.deepEqual(Array.from(bytes.slice(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  assert.throws(() => dataUrlToBytes('data:image/svg+xml;base64,AAAA', 'image/png'), /expected image\/png/);
  assert.throws(() => dataUrlToBytes('<svg/>'), /not a base64 data URL/);
});
