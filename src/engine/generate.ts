// Generation step by step. With the cache, the prompt runs once (prefill) and each step runs only the new token
// against the cached keys/values; without it (for comparison) every step re-runs the whole sequence. Each step
// is reported as it happens; when generation ends, prompt + generated text is an ordinary analysis assembled
// from the steps' rows, without running the model again.
//
// Loop: prefill(prompt) → distribution → choose token → run it (its attention row over all earlier tokens and
// itself) → report the step → next distribution … until a stop: max new tokens, <|endoftext|>, the stop string,
// cancel, or a full context (never a sliding window).
import { performance } from 'node:perf_hooks';
import type { Engine } from './engine';
import { ModelError } from './errors';
import { KVCache, assembleAnalysis, chunkRow, type Chunk } from './kvcache';
import { Sampler, samplerProblem, type SamplerOptions } from './sampler';
import type { GPT2Tokenizer } from './tokenizer';
import type { Analysis, Token } from './types';
import type { GenerationStopReason } from './generationTypes';

export type StopReason = GenerationStopReason;

export interface GenerateOptions extends SamplerOptions {
  maxNewTokens: number;
  /** Stop once the generated text contains this string (it is left out of `text`). */
  stop?: string;
  /** false = re-run the full sequence at every step (for comparison). */
  cache: boolean;
  /** Candidates reported per step, and top-k of the assembled analysis. */
  candidates: number;
  /** Keep each step's attention row (every layer and head). */
  attentions: boolean;
}

export const DEFAULT_GENERATE: GenerateOptions = {
  strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0, maxNewTokens: 20, cache: true, candidates: 10, attentions: true,
};

export interface Candidate {
  id: number;
  token: string;
  prob: number;
}

export interface GenerationStep {
  /** 0-based step number. */
  index: number;
  id: number;
  token: string;
  /** The model's probability of this token (temperature 1, before any filter). */
  prob: number;
  /** 1 = the most likely token. */
  rank: number;
  /** The model's top candidates (descending) at this step. */
  topk: Candidate[];
  /** The probability the sampler gave it (after temperature / top-k / top-p); 1 for greedy. */
  samplerProb: number;
  /** Tokens the sampler chose among (1 for greedy). */
  kept: number;
  /** Per layer [H, context]: the new token's attention over every earlier token and itself (when asked). */
  attention?: Float32Array[];
  /** Tokens in the context including this one. */
  context: number;
  ms: number;
}

export interface GenerationResult {
  prompt: Token[];
  promptText: string;
  steps: GenerationStep[];
  /** The generated text (without the stop string). */
  text: string;
  /** The text of every generated token (with the stop string). */
  allText: string;
  stopReason: StopReason;
  cache: boolean;
  timings: { loadMs: number; prefillMs: number; stepMs: number[] };
  /** Prompt + generated tokens as an ordinary analysis, assembled from the steps (no model run). */
  analysis(): Analysis;
  /** The cache holding the whole sequence (with the cache only), for incremental analysis after generation. */
  kv?: { cache: KVCache; lastLogProbs: Float32Array };
}

/** What is wrong with these options, or undefined; `option` is the CLI flag without dashes. */
export function generateProblem(o: GenerateOptions): { option: string; problem: string } | undefined {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) return { option: 'max-new-tokens', problem: `must be an integer ≥ 1, got ${o.maxNewTokens}` };
  if (!Number.isInteger(o.candidates) || o.candidates < 1) return { option: 'candidates', problem: `must be an integer ≥ 1, got ${o.candidates}` };
  if (o.stop !== undefined && o.stop.length === 0) return { option: 'stop', problem: 'must not be empty' };
  return samplerProblem(o);
}

function candidatesOf(chunk: Chunk, row: number, k: number, tok: GPT2Tokenizer): Candidate[] {
  return Array.from({ length: k }, (_, j) => {
    const id = chunk.topkIds[row * k + j];
    return { id, token: tok.tokenText(id), prob: chunk.topkProbs[row * k + j] };
  });
}

function rankOf(logProbs: Float32Array, id: number): number {
  const v = logProbs[id];
  let rank = 1;
  for (let i = 0; i < logProbs.length; i++) if (logProbs[i] > v || (logProbs[i] === v && i < id)) rank++;
  return rank;
}

/** Decoded text of ids, tolerant of ids that end inside a UTF-8 character (U+FFFD until it completes). */
const decode = (tok: GPT2Tokenizer, ids: number[]) => (ids.length ? tok.decode(ids) : '');

/** Prompt + generated tokens with UTF-16 ranges in promptText + decode(generated) (the tokenizer's rule: a
 * character belongs to the token holding its first byte). */
export function generatedTokens(tok: GPT2Tokenizer, prompt: Token[], promptText: string, ids: number[]): Token[] {
  const base = promptText.length;
  const full = decode(tok, ids);
  let gen: Token[];
  try {
    gen = (tok['withOffsets'] as (text: string, ids: number[]) => Token[]).call(tok, full, ids);
  } catch {
    // ids that are not valid UTF-8 (a sampled byte that starts no character): ranges from decoded prefixes
    let prev = 0;
    gen = ids.map((id, i) => {
      const end = Math.max(prev, Math.min(decode(tok, ids.slice(0, i + 1)).length, full.length));
      const t = { id, text: tok.tokenText(id), start: prev, end };
      prev = end;
      return t;
    });
  }
  return [...prompt, ...gen.map((t) => ({ ...t, start: t.start + base, end: t.end + base }))];
}

/**
 * Generate from `promptText`. `onStep` sees every step as it happens. A prompt that already fills the model
 * context, or bad options, throw a ModelError naming the problem. Cancelling (signal) ends with 'cancelled'
 * and keeps the steps so far.
 */
export async function generate(
  engine: Engine,
  promptText: string,
  options: Partial<GenerateOptions> = {},
  onStep?: (step: GenerationStep) => void,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  const o: GenerateOptions = { ...DEFAULT_GENERATE, ...options };
  const problem = generateProblem(o);
  if (problem) throw new ModelError(`--${problem.option}`, problem.problem);
  const model = engine.loaded;
  if (!model) throw new Error('no model loaded');
  const { info, tokenizer: tok } = model;
  const ctx = info.ctx;
  if (promptText.length === 0) throw new ModelError('prompt', 'the text is empty');
  const { tokens: prompt, truncated } = tok.encode(promptText, ctx);
  if (prompt.length === 0) throw new ModelError('prompt', 'the text has no tokens');
  if (truncated || prompt.length >= ctx) {
    throw new ModelError('prompt', `already fills the model context (${truncated ? 'more than ' : ''}${prompt.length} of ${ctx} tokens); shorten it`);
  }
  const k = Math.min(o.candidates, info.vocab);
  const sampler = new Sampler(o);
  const ids = prompt.map((t) => t.id);
  const H = info.heads;

  // with the cache: chunks accumulate; without: each step's full run replaces the previous one
  const cache = o.cache ? new KVCache(engine, k) : undefined;
  const chunks: Chunk[] = [];
  const run = async (newIds: number[]): Promise<Chunk> => {
    if (cache) {
      const c = await cache.append(newIds, signal);
      chunks.push(c);
      return c;
    }
    const c = await new KVCache(engine, k).append(ids.slice(), signal);
    chunks.length = 0;
    chunks.push(c);
    return c;
  };

  const t0 = performance.now();
  let last = await run(ids.slice());
  const prefillMs = performance.now() - t0;
  const steps: GenerationStep[] = [];
  const stepMs: number[] = [];
  const generated: number[] = [];
  let text = '';
  let stopReason: StopReason = 'max-new-tokens';

  for (;;) {
    if (signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    if (steps.length >= o.maxNewTokens) {
      stopReason = 'max-new-tokens';
      break;
    }
    if (ids.length >= ctx) {
      stopReason = 'context-full';
      break;
    }
    const s0 = performance.now();
    const logProbs = last.lastLogProbs;
    const candidates = candidatesOf(last, last.n - 1, k, tok);
    const choice = sampler.choose(logProbs);
    const prob = Math.exp(logProbs[choice.id]);
    const rank = rankOf(logProbs, choice.id);
    ids.push(choice.id);
    generated.push(choice.id);
    try {
      last = await run([choice.id]);
    } catch (e) {
      if (signal?.aborted) {
        // the token was chosen but not run: leave it out so the analysis stays complete
        ids.pop();
        generated.pop();
        stopReason = 'cancelled';
        break;
      }
      throw e;
    }
    const ms = performance.now() - s0;
    const step: GenerationStep = {
      index: steps.length,
      id: choice.id,
      token: tok.tokenText(choice.id),
      prob,
      rank,
      topk: candidates,
      samplerProb: choice.samplerProb,
      kept: choice.kept,
      attention: o.attentions ? chunkRow(last, last.n - 1, H) : undefined,
      context: ids.length,
      ms,
    };
    steps.push(step);
    stepMs.push(ms);
    text = decode(tok, generated);
    onStep?.(step);
    if (choice.id === tok.eosId) {
      stopReason = 'eos';
      break;
    }
    if (o.stop !== undefined && text.includes(o.stop)) {
      text = text.slice(0, text.indexOf(o.stop));
      stopReason = 'stop-string';
      break;
    }
  }

  let assembled: Analysis | undefined;
  const finalChunks = chunks.slice();
  const finalIds = generated.slice();
  const runMs = finalChunks.reduce((s, c) => s + c.runMs, 0);
  return {
    prompt,
    promptText,
    steps,
    text,
    allText: decode(tok, finalIds),
    stopReason,
    cache: o.cache,
    timings: { loadMs: model.loadMs, prefillMs, stepMs },
    analysis() {
      assembled ??= assembleAnalysis(info, finalChunks, generatedTokens(tok, prompt, promptText, finalIds), false, { loadMs: model.loadMs, runMs });
      return assembled;
    },
    kv: cache ? { cache, lastLogProbs: last.lastLogProbs } : undefined,
  };
}
