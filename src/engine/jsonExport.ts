// Streams an analysis as one JSON object (the `attention-inspector analyze --json` shape) to a writable,
// row by row, so a T=1024 gpt2-xl analysis (hundreds of millions of numbers) never becomes one string.
import type { Writable } from 'node:stream';
import type { Analysis } from './types';
import type { GPT2Tokenizer } from './tokenizer';

export interface JsonTimings {
  loadMs: number;
  runMs: number[];
}

/** Nine significant digits round-trip any float32 value. */
const num = (v: number): string => (Number.isFinite(v) ? String(+v.toPrecision(9)) : 'null');

export async function writeAnalysisJson(out: Writable, a: Analysis, tokenizer: Pick<GPT2Tokenizer, 'tokenText'>, timings: JsonTimings): Promise<void> {
  let buffer = '';
  const write = async (s: string) => {
    buffer += s;
    if (buffer.length < 1 << 16) return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  const T = a.length;
  const { layers: L, heads: H } = a.model;
  const { name, layers, heads, embd, vocab, ctx } = a.model;
  await write(`{"model":${JSON.stringify({ name, layers, heads, embd, vocab, ctx })},`);
  await write(`"tokens":${JSON.stringify(a.tokens.map(({ id, text, start, end }) => ({ id, text, start, end })))},`);
  await write('"truncated":' + a.truncated + ',"attentions":[');
  for (let l = 0; l < L; l++) {
    await write(l ? ',[' : '[');
    for (let h = 0; h < H; h++) {
      await write(h ? ',[' : '[');
      for (let i = 0; i < T; i++) {
        const row = a.attentions[l].subarray((h * T + i) * T, (h * T + i + 1) * T);
        let s = i ? ',[' : '[';
        for (let j = 0; j < T; j++) s += (j ? ',' : '') + (j > i ? '0' : num(row[j]));
        await write(s + ']');
      }
      await write(']');
    }
    await write(']');
  }
  await write('],"attnOutNorms":[');
  for (let l = 0; l < L; l++) await write((l ? ',' : '') + '[' + Array.from(a.attnOutNorms.subarray(l * T, (l + 1) * T), num).join(',') + ']');
  await write('],"topk":[');
  const k = a.topK;
  for (let t = 0; t < T; t++) {
    const items = [];
    for (let j = 0; j < k; j++) {
      const id = a.topkIds[t * k + j];
      items.push(`{"id":${id},"token":${JSON.stringify(tokenizer.tokenText(id))},"prob":${num(a.topkProbs[t * k + j])}}`);
    }
    await write((t ? ',[' : '[') + items.join(',') + ']');
  }
  await write('],"nextTokenLogProb":[' + Array.from(a.nextTokenLogProb, num).join(',') + '],');
  await write(`"timings":${JSON.stringify({ loadMs: Math.round(timings.loadMs), runMs: timings.runMs.map((r) => Math.round(r * 10) / 10) })}}\n`);
  if (buffer) out.write(buffer);
  buffer = '';
}
