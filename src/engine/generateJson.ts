// The `attention-inspector generate --json` object, and the text stream of the plain output.
import type { GenerationResult } from './generate';
import type { ModelInfo } from './types';

/** Nine significant digits round-trip any float32 value. */
const num = (v: number): number => +v.toPrecision(9);
const ms = (v: number): number => Math.round(v * 10) / 10;

export interface GenerationJson {
  model: Omit<ModelInfo, 'dtype'>;
  prompt: { text: string; tokens: { id: number; text: string; start: number; end: number }[] };
  steps: { id: number; token: string; prob: number; rank: number; topk: { id: number; token: string; prob: number }[]; attention?: number[][][] }[];
  text: string;
  stopReason: GenerationResult['stopReason'];
  cache: boolean;
  timings: { loadMs: number; prefillMs: number; stepMs: number[] };
}

export function generationJson(model: ModelInfo, r: GenerationResult, attentions: boolean): GenerationJson {
  const { name, layers, heads, embd, vocab, ctx } = model;
  return {
    model: { name, layers, heads, embd, vocab, ctx },
    prompt: { text: r.promptText, tokens: r.prompt.map(({ id, text, start, end }) => ({ id, text, start, end })) },
    steps: r.steps.map((s) => ({
      id: s.id,
      token: s.token,
      prob: num(s.prob),
      rank: s.rank,
      topk: s.topk.map((c) => ({ id: c.id, token: c.token, prob: num(c.prob) })),
      // [layer][head][key]: the new token's row over all earlier tokens and itself
      ...(attentions && s.attention
        ? { attention: s.attention.map((l) => Array.from({ length: heads }, (_, h) => Array.from(l.subarray(h * s.context, (h + 1) * s.context), num))) }
        : {}),
    })),
    text: r.text,
    stopReason: r.stopReason,
    cache: r.cache,
    timings: { loadMs: Math.round(r.timings.loadMs), prefillMs: ms(r.timings.prefillMs), stepMs: r.timings.stepMs.map(ms) },
  };
}

/**
 * Streams decoded text: `push(fullTextSoFar)` returns what is new since the last call, holding back trailing
 * U+FFFD (a character whose remaining bytes come with the next tokens) and any ending that could be the start
 * of the stop string; `end(final)` returns the rest of the final text.
 */
export function textStream(stop?: string): { push(text: string): string; end(text: string): string } {
  let written = 0;
  return {
    push(text) {
      let upTo = text.length;
      while (upTo > written && text[upTo - 1] === '\uFFFD') upTo--;
      if (stop) {
        for (let n = Math.min(stop.length, upTo - written); n > 0; n--) {
          if (text.slice(upTo - n, upTo) === stop.slice(0, n)) {
            upTo -= n;
            break;
          }
        }
      }
      const out = text.slice(written, upTo);
      written = upTo;
      return out;
    },
    end(text) {
      const out = text.slice(Math.min(written, text.length));
      written = text.length;
      return out;
    },
  };
}
