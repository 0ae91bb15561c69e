// The JSON export forms on synthetic analyses: every size prediction against the bytes actually
// written, the decoded u8/f16 triangles against the source attention, one layer, no attention, the
// quick-pick choices and cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  decodeTriangle, estimateJsonSize, fromFloat16Bits, jsonSizeTable, toFloat16Bits, writeAnalysisJson, type JsonExportOptions,
} from '../src/engine/jsonExport';
import { CancelledError } from '../src/engine/errors';
import type { Analysis } from '../src/engine/types';
import { describeExport, jsonExportChoices, jsonExportFileName, layerChoices } from '../src/extension/exportChoices';
import { rng } from './fixtures/random';

const tokenizer = { tokenText: (id: number) => (id % 7 === 0 ? ` é${id}` : ` t${id}`) };
const timings = { loadMs: 12.4, runMs: [33.33] };

/** A synthetic analysis ("test-small"): L layers × H heads, T tokens, causal softmax-like rows. */
function synthetic(T: number, L = 2, H = 3, k = 4, seed = 3): Analysis {
  const next = rng(seed);
  const attentions = Array.from({ length: L }, () => {
    const a = new Float32Array(H * T * T);
    for (let h = 0; h < H; h++) {
      for (let q = 0; q < T; q++) {
        let sum = 0;
        const row = (h * T + q) * T;
        for (let j = 0; j <= q; j++) sum += a[row + j] = Math.exp(4 * next());
        for (let j = 0; j <= q; j++) a[row + j] /= sum;
      }
    }
    return a;
  });
  const nextTokenLogProb = Float32Array.from({ length: T }, (_, t) => (t === T - 1 ? NaN : Math.log(next())));
  return {
    model: { name: 'test-small', layers: L, heads: H, embd: 16, vocab: 100, ctx: 2048, dtype: 'F32' },
    tokens: Array.from({ length: T }, (_, i) => ({ id: i, text: tokenizer.tokenText(i), start: i * 3, end: i * 3 + 3 })),
    truncated: false,
    length: T,
    attentions,
    attnOutNorms: Float32Array.from({ length: L * T }, () => 10 * next()),
    topK: k,
    topkIds: Int32Array.from({ length: T * k }, (_, i) => i % 100),
    topkProbs: Float32Array.from({ length: T * k }, (_, i) => 1 / (2 + (i % k))),
    nextTokenLogProb,
    timings: { loadMs: 12, runMs: 33 },
  };
}

/** Write to memory; resolves with the text and the byte count reported by the writer. */
async function exportToString(a: Analysis, o: JsonExportOptions, control = {}): Promise<{ text: string; bytes: number; reported: number }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  const reported = await writeAnalysisJson(sink, a, tokenizer, timings, o, control);
  const buf = Buffer.concat(chunks);
  return { text: buf.toString('utf8'), bytes: buf.length, reported };
}

const FORMS: JsonExportOptions[] = [
  { attention: 'f32' }, { attention: 'f16' }, { attention: 'u8' }, { attention: 'none' },
  { attention: 'f32', layer: 1 }, { attention: 'u8', layer: 0 }, { attention: 'f16', layer: 1 },
];

test('every size is exact for a short text (the float32 form counted value by value)', async () => {
  const a = synthetic(40);
  const table = jsonSizeTable(a, tokenizer, timings);
  for (const o of FORMS) {
    const est = estimateJsonSize(a, tokenizer, timings, o);
    const { bytes, reported } = await exportToString(a, o);
    assert.equal(est.exact, true, describeExport(o));
    assert.equal(est.bytes, bytes, `size of ${JSON.stringify(o)}`);
    assert.equal(reported, bytes);
  }
  assert.equal(table.full.bytes, estimateJsonSize(a, tokenizer, timings, { attention: 'f32' }).bytes);
  assert.equal(table.u8.bytes, estimateJsonSize(a, tokenizer, timings, { attention: 'u8' }).bytes);
  assert.equal(table.f16.bytes, estimateJsonSize(a, tokenizer, timings, { attention: 'f16' }).bytes);
  assert.equal(table.none.bytes, estimateJsonSize(a, tokenizer, timings, { attention: 'none' }).bytes);
  table.layers.forEach((s, l) => assert.equal(s.bytes, estimateJsonSize(a, tokenizer, timings, { attention: 'f32', layer: l }).bytes));
});

test('at T=400 the float32 size is a tight estimate (< 0.5%) and the packed forms stay exact', async () => {
  const a = synthetic(400, 2, 2);
  for (const o of [{ attention: 'f32' }, { attention: 'f32', layer: 0 }] as JsonExportOptions[]) {
    const est = estimateJsonSize(a, tokenizer, timings, o);
    const { bytes } = await exportToString(a, o);
    assert.equal(est.exact, false);
    assert.ok(Math.abs(est.bytes - bytes) / bytes < 0.005, `${describeExport(o)}: estimated ${est.bytes}, wrote ${bytes}`);
  }
  for (const o of [{ attention: 'u8' }, { attention: 'f16' }, { attention: 'none' }] as JsonExportOptions[]) {
    assert.equal(estimateJsonSize(a, tokenizer, timings, o).bytes, (await exportToString(a, o)).bytes, describeExport(o));
  }
});

test('the full form keeps the analyze --json shape (no attentionFormat field)', async () => {
  const a = synthetic(12);
  const j = JSON.parse((await exportToString(a, { attention: 'f32' })).text);
  assert.deepEqual(Object.keys(j), ['model', 'tokens', 'truncated', 'attentions', 'attnOutNorms', 'topk', 'nextTokenLogProb', 'timings']);
  assert.equal(j.attentions.length, 2);
  assert.equal(j.attentions[1][2][5].length, 12);
  assert.ok(Math.abs(j.attentions[1][2][5][3] - a.attentions[1][(2 * 12 + 5) * 12 + 3]) < 1e-7);
  assert.equal(j.attentions[0][0][0][1], 0);
  assert.equal(j.nextTokenLogProb[11], null);
  assert.equal(j.tokens[7].text, ' é7');
});

test('u8 and f16 triangles decode back to the attention; one layer and no attention', async () => {
  const T = 30;
  const a = synthetic(T);
  const u8 = JSON.parse((await exportToString(a, { attention: 'u8' })).text);
  assert.deepEqual(u8.attentionFormat, { encoding: 'u8', layers: [0, 1], layout: 'lower-triangle-base64', scale: 255 });
  const f16 = JSON.parse((await exportToString(a, { attention: 'f16' })).text);
  assert.deepEqual(f16.attentionFormat, { encoding: 'f16', layers: [0, 1], layout: 'lower-triangle-base64' });
  for (let l = 0; l < 2; l++) {
    for (let h = 0; h < 3; h++) {
      const src = a.attentions[l].subarray(h * T * T, (h + 1) * T * T);
      const q8 = decodeTriangle(u8.attentions[l][h], T, 'u8');
      const q16 = decodeTriangle(f16.attentions[l][h], T, 'f16');
      for (let i = 0; i < T * T; i++) {
        assert.ok(Math.abs(q8[i] - src[i]) <= 0.5 / 255 + 1e-7, `u8 ${l}/${h}/${i}`);
        assert.ok(Math.abs(q16[i] - src[i]) <= Math.max(src[i] * 2 ** -11, 2 ** -25), `f16 ${l}/${h}/${i}: ${q16[i]} vs ${src[i]}`);
      }
    }
  }
  const one = JSON.parse((await exportToString(a, { attention: 'f32', layer: 1 })).text);
  assert.deepEqual(one.attentionFormat, { encoding: 'f32', layers: [1] });
  assert.equal(one.attentions.length, 1);
  assert.ok(Math.abs(one.attentions[0][0][3][2] - a.attentions[1][3 * T + 2]) < 1e-7);
  const none = JSON.parse((await exportToString(a, { attention: 'none' })).text);
  assert.equal(none.attentions, undefined);
  assert.deepEqual(none.attentionFormat, { encoding: 'none', layers: [] });
  assert.equal(none.topk.length, T);
  await assert.rejects(exportToString(a, { attention: 'f32', layer: 2 }), /layer 2 does not exist/);
});

test('float16 conversion rounds to nearest even and round-trips halves', () => {
  for (const v of [0, 1, 0.5, 2 ** -14, 2 ** -24, 65504, 0.333251953125]) assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
  assert.equal(toFloat16Bits(1 + 2 ** -11), toFloat16Bits(1)); // halfway: ties to even
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11)), 1 + 2 * 2 ** -10);
  assert.equal(fromFloat16Bits(toFloat16Bits(1e6)), Infinity);
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
});

test('progress reaches the total and an abort stops the write with CancelledError', async () => {
  const a = synthetic(120, 2, 3);
  const seen: number[] = [];
  const { bytes } = await exportToString(a, { attention: 'f32' }, { onProgress: (d: number, t: number) => seen.push(d / t) });
  assert.ok(seen.length > 3 && bytes > 0);
  assert.ok(seen.every((p, i) => p <= 1 && (i === 0 || p >= seen[i - 1])), 'monotonic, never above 100%');
  assert.ok(seen.at(-1)! > 0.99);
  const abort = new AbortController();
  let calls = 0;
  await assert.rejects(exportToString(a, { attention: 'f32' }, {
    signal: abort.signal, onProgress: () => { if (++calls === 2) abort.abort(); },
  }), (e: unknown) => e instanceof CancelledError);
});

test('the quick pick lists each form with its size; file names follow the form', () => {
  const a = synthetic(40);
  const sizes = jsonSizeTable(a, tokenizer, timings);
  const choices = jsonExportChoices(sizes, a.model, 40);
  assert.deepEqual(choices.map((c) => c.label), [
    'Full precision (float32)', 'Attention as float16', 'Attention as 8-bit (u8)', 'One layer, full precision…', 'No attention',
  ]);
  assert.ok(choices.every((c) => /\d (B|KB|MB|GB)/.test(c.description)), JSON.stringify(choices.map((c) => c.description)));
  assert.ok(choices[0].bytes > choices[1].bytes && choices[1].bytes > choices[2].bytes && choices[2].bytes > choices[4].bytes);
  assert.match(choices[0].detail, /analyze --json/);
  assert.equal(choices[3].options, undefined, 'one layer asks which next');
  assert.deepEqual(layerChoices(sizes).map((c) => c.label), ['Layer 0', 'Layer 1']);
  assert.equal(jsonExportFileName('notes.txt', { attention: 'f32' }), 'notes-attention.json');
  assert.equal(jsonExportFileName('my notes.md', { attention: 'u8' }), 'my-notes-attention-u8.json');
  assert.equal(jsonExportFileName(undefined, { attention: 'f32', layer: 3 }), 'analysis-attention-layer3.json');
  assert.equal(jsonExportFileName('/Untitled-1', { attention: 'none' }), 'Untitled-1-attention-no-attention.json');
});
