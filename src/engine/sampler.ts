// Choosing the next token from the model's log-probabilities: greedy, or sampling with temperature, top-k and
// top-p (nucleus). Pure arithmetic in float64 plus a documented integer PRNG, so the same seed gives the same
// choices on every platform (for the same distribution).
//
// Order of the filters (as in Hugging Face transformers): temperature, then top-k, then top-p.
//   temperature  p_i ∝ exp(log p_i / T); T = 0 (or any T small enough that one token takes all the mass) is greedy.
//   top-k        keep the k most likely tokens (ties broken by the smaller id); 0 = off.
//   top-p        keep the smallest prefix of the distribution sorted by probability (descending, ties by id)
//                whose mass reaches p; 1 = off.
// Draw: one number u = mulberry32() ∈ [0, 1) per step; walking the kept tokens in increasing id order, the
// choice is the first token whose cumulative (renormalised) mass exceeds u · total.

export type Strategy = 'greedy' | 'sample';

export interface SamplerOptions {
  strategy: Strategy;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export const DEFAULT_SAMPLER: SamplerOptions = { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0 };

/** What is wrong with these sampler options, or undefined. Names are the CLI flags without dashes. */
export function samplerProblem(o: SamplerOptions): { option: string; problem: string } | undefined {
  if (o.strategy !== 'greedy' && o.strategy !== 'sample') return { option: 'strategy', problem: `must be greedy or sample, got "${o.strategy}"` };
  if (!Number.isFinite(o.temperature) || o.temperature < 0) return { option: 'temperature', problem: `must be a number ≥ 0, got ${o.temperature}` };
  if (!Number.isInteger(o.topK) || o.topK < 0) return { option: 'top-k', problem: `must be an integer ≥ 0 (0 = off), got ${o.topK}` };
  if (!Number.isFinite(o.topP) || o.topP <= 0 || o.topP > 1) return { option: 'top-p', problem: `must be in (0, 1] (1 = off), got ${o.topP}` };
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) return { option: 'seed', problem: `must be an integer in 0…4294967295, got ${o.seed}` };
  return undefined;
}

/** mulberry32: 32-bit integer state, integer ops only (Math.imul, shifts), so every platform gives the same stream. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value; the smallest index among ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The distribution after temperature (float64, sums to 1). T = 0 puts all mass on the argmax. */
export function applyTemperature(logProbs: ArrayLike<number>, temperature: number): Float64Array {
  const V = logProbs.length;
  const out = new Float64Array(V);
  const best = argmax(logProbs);
  if (temperature === 0) {
    out[best] = 1;
    return out;
  }
  const max = logProbs[best];
  let z = 0;
  for (let i = 0; i < V; i++) z += out[i] = Math.exp((logProbs[i] - max) / temperature);
  for (let i = 0; i < V; i++) out[i] /= z;
  return out;
}

/** Ids sorted by probability, descending, ties by the smaller id. */
function sortedIds(probs: Float64Array, ids?: number[]): number[] {
  const list = ids ?? Array.from(probs.keys());
  return list.sort((a, b) => probs[b] - probs[a] || a - b);
}

/** The k most likely ids (descending, ties by id) without sorting the whole vocabulary when k is small. */
export function topKIds(probs: Float64Array, k: number): number[] {
  if (k >= probs.length) return sortedIds(probs);
  if (k > 256) return sortedIds(probs).slice(0, k);
  const best: number[] = []; // kept sorted, descending
  const before = (a: number, b: number) => probs[a] > probs[b] || (probs[a] === probs[b] && a < b);
  for (let i = 0; i < probs.length; i++) {
    if (best.length === k && !before(i, best[k - 1])) continue;
    let j = best.length === k ? k - 1 : best.length;
    while (j > 0 && before(i, best[j - 1])) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/**
 * The ids a sampler may choose from, each with its mass before renormalisation: temperature, top-k, top-p.
 * `undefined` = every id (no filter active), so plain sampling never sorts the vocabulary.
 */
export function keptIds(probs: Float64Array, topK: number, topP: number): number[] | undefined {
  if (topK === 0 && topP >= 1) return undefined;
  let ids = topK > 0 ? topKIds(probs, topK) : undefined;
  if (topP < 1) {
    ids = ids ?? sortedIds(probs);
    const total = ids.reduce((s, i) => s + probs[i], 0);
    let mass = 0;
    let n = 0;
    // mass / total ≥ p, tested as mass ≥ p·total, with a relative slack for float64 rounding of the sum
    while (n < ids.length && mass < topP * total * (1 - 1e-12)) mass += probs[ids[n++]];
    ids = ids.slice(0, Math.max(1, n));
  }
  return ids;
}

export interface Choice {
  id: number;
  /** The probability the sampler gave this token (after temperature and filters, renormalised). */
  samplerProb: number;
  /** How many tokens the sampler chose among. */
  kept: number;
}

/** A sampler with its own PRNG stream: call `choose` once per step. */
export class Sampler {
  private readonly random: () => number;

  constructor(readonly options: SamplerOptions) {
    const problem = samplerProblem(options);
    if (problem) throw new RangeError(`${problem.option} ${problem.problem}`);
    this.random = mulberry32(options.seed);
  }

  /** Pick the next token from log-probabilities over the vocabulary. */
  choose(logProbs: ArrayLike<number>): Choice {
    const o = this.options;
    if (o.strategy === 'greedy') return { id: argmax(logProbs), samplerProb: 1, kept: 1 };
    const u = this.random(); // one draw per step, whatever the filters
    const probs = applyTemperature(logProbs, o.temperature);
    const kept = keptIds(probs, o.topK, o.topP);
    const ids = kept ? kept.slice().sort((a, b) => a - b) : undefined;
    const n = ids ? ids.length : probs.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += probs[ids ? ids[i] : i];
    const target = u * total;
    let acc = 0;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const id = ids ? ids[i] : i;
      if (probs[id] === 0) continue;
      acc += probs[id];
      last = id;
      if (acc > target) return { id, samplerProb: probs[id] / total, kept: n };
    }
    return { id: last, samplerProb: probs[last] / total, kept: n }; // u·total rounded up to the full mass
  }
}
