// Deterministic synthetic Layer Profile data for the harness page and tests: a synthetic 12×12 model (12 layers,
// 12 heads), 64 right-padded sequences of 20–70 tokens, with norms built to look like a real run:
// log-norms rise with depth, the first token is an attention sink with a large norm, norms drift with
// position, and each token's log-norm depends on the previous two (AR(2)). Statistics are computed by the
// engine's own src/engine/stats.ts, so the numbers are consistent with what the extension produces.
import { typicalSequences } from '../../src/engine/profile';
import { buildProfileResult } from '../../src/engine/stats';
import type { ModelInfo, ProfileResult, ProfileSequence } from '../../src/engine/types';
import { rng as prng } from '../fixtures/random';

export const HARNESS_MODEL: ModelInfo = { name: 'synthetic 12×12', layers: 12, heads: 12, embd: 768, vocab: 50257, ctx: 1024, dtype: 'F32' };


function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function syntheticNorms(length: number, L: number, rand: () => number): Float32Array {
  const out = new Float32Array(L * length);
  for (let l = 0; l < L; l++) {
    const base = 0.9 + 0.2 * l + 0.012 * l * l; // deeper layers adjust the residual stream more
    const slope = -0.018 + 0.003 * l; // early layers shrink with position, late layers grow slightly
    const phi1 = 0.25 + 0.035 * l;
    const phi2 = 0.18 - 0.012 * l;
    const sink = 1.6 + 1.2 * Math.exp(-((l - 5) ** 2) / 10); // the first token's huge norm, strongest mid-depth
    let e1 = 0;
    let e2 = 0;
    for (let t = 0; t < length; t++) {
      const e = phi1 * e1 + phi2 * e2 + 0.3 * gaussian(rand);
      e2 = e1;
      e1 = e;
      const logNorm = base + slope * Math.log1p(t) * 4 + e + (t === 0 ? sink : 0);
      out[l * length + t] = Math.exp(logNorm);
    }
  }
  return out;
}

/** Per-head character fixed for the whole corpus: a few previous-token heads, sink-heavy middle layers. */
function headTraits(L: number, H: number, rand: () => number): { sink: number; prev: number; spread: number }[][] {
  const prevHeads = new Set(['2,2', '3,7', '4,11', '5,1', '6,9']);
  return Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => {
    const isPrev = prevHeads.has(`${l},${h}`);
    const sink = isPrev ? 0.08 : Math.min(0.95, 0.15 + 0.6 * Math.exp(-((l - 6) ** 2) / 12) + 0.25 * rand());
    return { sink, prev: isPrev ? 0.75 + 0.2 * rand() : 0.03 + 0.12 * rand(), spread: 0.3 + 0.7 * rand() };
  }));
}

function syntheticHeadStats(length: number, traits: { sink: number; prev: number; spread: number }[][], rand: () => number): Float32Array {
  const L = traits.length;
  const H = traits[0].length;
  const out = new Float32Array(L * H * 4);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const { sink, prev, spread } = traits[l][h];
      const jitter = 1 + 0.08 * gaussian(rand);
      const focused = Math.max(0, 1 - sink - prev);
      const entropy = Math.max(0.02, (focused * spread * Math.log(length) + 0.25 * sink) * jitter);
      const meanDistance = Math.max(0.5, (sink * length * 0.45 + prev * 1 + focused * spread * length * 0.25) * jitter);
      const o = (l * H + h) * 4;
      out[o] = entropy;
      out[o + 1] = Math.min(1, sink * jitter);
      out[o + 2] = Math.min(1, prev * jitter);
      out[o + 3] = meanDistance;
    }
  }
  return out;
}

export interface SyntheticOptions {
  sequences?: number;
  minLength?: number;
  maxLength?: number;
  seed?: number;
  complete?: boolean;
  /** Layers and heads of the synthetic model (default 12 × 12). */
  layers?: number;
  heads?: number;
}

function modelOf(opts: SyntheticOptions): ModelInfo {
  const layers = opts.layers ?? HARNESS_MODEL.layers;
  const heads = opts.heads ?? HARNESS_MODEL.heads;
  return layers === HARNESS_MODEL.layers && heads === HARNESS_MODEL.heads ? HARNESS_MODEL
    : { ...HARNESS_MODEL, name: `synthetic ${layers}×${heads}`, layers, heads };
}

export function syntheticSequences(opts: SyntheticOptions = {}): ProfileSequence[] {
  const { sequences = 64, minLength = 20, maxLength = 70, seed = 5 } = opts;
  const model = modelOf(opts);
  const rand = prng(seed);
  const traits = headTraits(model.layers, model.heads, rand);
  return Array.from({ length: sequences }, () => {
    const length = minLength + Math.floor(rand() * (maxLength - minLength + 1));
    return {
      length,
      attnOutNorms: syntheticNorms(length, model.layers, rand),
      headStats: syntheticHeadStats(length, traits, rand),
    };
  });
}

/** The texts of the synthetic corpus (sequence i is text i). */
export function syntheticTexts(count = 64): string[] {
  return Array.from({ length: count }, (_, i) => `Synthetic text ${i}.`);
}

/** The harness corpus result: 64 sequences of 20–70 tokens (or `opts`), with the typical sequence of every head. */
export function syntheticProfileResult(opts: SyntheticOptions = {}): ProfileResult {
  const seqs = syntheticSequences(opts);
  const result = buildProfileResult(seqs, {
    model: modelOf(opts),
    source: 'synthetic-corpus.jsonl (field text, 64 rows)',
    complete: opts.complete ?? true,
    truncatedCount: 0,
    createdAt: '2026-01-15T10:30:00.000Z',
  });
  return { ...result, typicalSequence: typicalSequences(seqs, result.headStats), sequenceTexts: seqs.map((_, i) => i) };
}

/** A single-text ("selection") result: one sequence (48 tokens, or `length`). */
export function syntheticSelectionResult(length = 48, opts: SyntheticOptions = {}): ProfileResult {
  const result = syntheticProfileResult({ ...opts, sequences: 1, minLength: length, maxLength: length, seed: 11 });
  const { typicalSequence: _t, sequenceTexts: _s, ...single } = result;
  return { ...single, source: 'synthetic-notes.md, lines 12–18 (selection)', createdAt: '2026-01-15T10:35:00.000Z' };
}
