// What a generation looks like outside the engine worker (extension host, panel). Pure data: no Node or VS Code
// imports, so the webview may import these too. Attention rows stay in the worker and are fetched per step.
import type { Token } from './types';

export type GenerationStrategy = 'greedy' | 'sample';
export type GenerationStopReason = 'max-new-tokens' | 'eos' | 'stop-string' | 'context-full' | 'cancelled';

/** The user's choices for one generation (the CLI flags and the panel controls). */
export interface GenerationSettings {
  strategy: GenerationStrategy;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  seed: number;
  maxNewTokens: number;
  /** Re-run the whole sequence at every step (for comparison). */
  noCache?: boolean;
}

export interface GenerationStepInfo {
  /** The worker's id of the generation (for step rows, even while it runs). */
  generationId: number;
  index: number;
  id: number;
  token: string;
  /** The model's probability of the token (temperature 1, no filter). */
  prob: number;
  /** 1 = the most likely token. */
  rank: number;
  topk: { id: number; token: string; prob: number }[];
  /** Probability under the sampler (temperature, top-k, top-p); 1 for greedy. */
  samplerProb: number;
  /** Tokens the sampler chose among. */
  kept: number;
  /** Tokens in the context including this one. */
  context: number;
  ms: number;
  /** [L, H, 3] Float32: attention mass of the new token on the prompt, on the generated tokens (itself
   * included), and on the first token. */
  mass: Float32Array;
  /** The prompt's tokens, on the first step only. */
  prompt?: Token[];
}

export interface GenerationSummary {
  generationId: number;
  prompt: Token[];
  steps: GenerationStepInfo[];
  /** The generated text (without a stop string). */
  text: string;
  /** The text of every generated token (with the stop string, if one ended the generation). */
  allText: string;
  stopReason: GenerationStopReason;
  cache: boolean;
  timings: { loadMs: number; prefillMs: number; stepMs: number[] };
}

/** Attention mass of one step's rows ([L][H, ctx]) on the prompt (P tokens), the generated tokens and token 0. */
export function attentionMass(rows: Float32Array[], H: number, promptLength: number): Float32Array {
  const L = rows.length;
  const out = new Float32Array(L * H * 3);
  for (let l = 0; l < L; l++) {
    const ctx = rows[l].length / H;
    for (let h = 0; h < H; h++) {
      let prompt = 0;
      let generated = 0;
      const base = h * ctx;
      for (let j = 0; j < ctx; j++) {
        if (j < promptLength) prompt += rows[l][base + j];
        else generated += rows[l][base + j];
      }
      const o = (l * H + h) * 3;
      out[o] = prompt;
      out[o + 1] = generated;
      out[o + 2] = rows[l][base];
    }
  }
  return out;
}
