// Generation benchmark on the random-weight gpt2-small-shaped checkpoint (bench/engine.ts): ms per new token
// with the key/value cache at context 128 and 512 and without it; 200 new tokens after a 20-token prompt with
// and without the cache; appending 16 tokens to a 512-token analysis incrementally vs a full re-run. Prints JSON.
import { performance } from 'node:perf_hooks';
import { writeCheckpoint, GPT2_SMALL_SHAPE } from '../test/fixtures/checkpoint';
import { Engine } from '../src/engine/engine';
import { generate, type GenerationResult } from '../src/engine/generate';
import { IncrementalAnalyzer } from '../src/engine/incremental';
import { modelDir } from './engine';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (v: number) => Math.round(v * 10) / 10;

/** A text of exactly n tokens: a prefix of a long text cut at a token boundary. */
function textOfTokens(engine: Engine, n: number): string {
  const words = 'the dog on the ship ran while a motor hummed and the sea was calm'.split(' ');
  const long = Array.from({ length: 2 * n }, (_, i) => words[i % words.length]).join(' ');
  const tokens = engine.tokenize(long).tokens;
  const text = long.slice(0, tokens[n - 1].end);
  const got = engine.tokenize(text).tokens.length;
  if (got !== n) throw new Error(`text of ${got} tokens, wanted ${n}`);
  return text;
}

async function perToken(engine: Engine, context: number, cache: boolean, steps: number) {
  // the prompt ends one token before `context`, so the steps run at contexts context…context+steps-1
  const r = await generate(engine, textOfTokens(engine, context - 1), { maxNewTokens: steps, cache, attentions: true });
  return { context, cache, steps: r.steps.length, msPerToken: round(median(r.timings.stepMs)), prefillMs: round(r.timings.prefillMs) };
}

/** Where greedy tokens with and without the cache first differ, and how close the top two candidates were there
 * (random weights give near-uniform distributions, where float32 rounding of different matmul shapes flips near-ties). */
function firstDifference(a: GenerationResult, b: GenerationResult) {
  const i = a.steps.findIndex((s, j) => s.id !== b.steps[j]?.id);
  if (i < 0) return {};
  const top = a.steps[i].topk;
  return { firstDifferentStep: i, top2ProbGapThere: top.length > 1 ? +(top[0].prob - top[1].prob).toExponential(2) : null };
}

async function main() {
  await writeCheckpoint(modelDir, GPT2_SMALL_SHAPE);
  const engine = new Engine();
  await engine.load(modelDir);
  await generate(engine, textOfTokens(engine, 20), { maxNewTokens: 3 }); // warm-up: builds the decoding session

  const msPerToken = {
    cache128: await perToken(engine, 128, true, 16),
    cache512: await perToken(engine, 512, true, 16),
    noCache128: await perToken(engine, 128, false, 3),
    noCache512: await perToken(engine, 512, false, 3),
  };

  const prompt20 = textOfTokens(engine, 20);
  const timed = async (cache: boolean) => {
    const t0 = performance.now();
    const r = await generate(engine, prompt20, { maxNewTokens: 200, cache, attentions: true });
    return { cache, steps: r.steps.length, stopReason: r.stopReason, totalMs: Math.round(performance.now() - t0), tokens: r.steps.map((s) => s.id), result: r };
  };
  const withCache = await timed(true);
  const withoutCache = await timed(false);
  const new200 = {
    withCacheMs: withCache.totalMs,
    withoutCacheMs: withoutCache.totalMs,
    speedup: round(withoutCache.totalMs / withCache.totalMs),
    steps: withCache.steps,
    stopReason: withCache.stopReason,
    identicalTokens: withCache.tokens.join() === withoutCache.tokens.join(),
    ...firstDifference(withCache.result, withoutCache.result),
  };

  const base = textOfTokens(engine, 512);
  const extended = textOfTokens(engine, 528);
  const fullMs: number[] = [];
  const incMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    await engine.analyze(extended, { topK: 10 });
    fullMs.push(performance.now() - t0);
    const inc = new IncrementalAnalyzer(engine);
    await inc.analyze(base, { topK: 10 });
    t0 = performance.now();
    const a = await inc.analyze(extended, { topK: 10 });
    incMs.push(performance.now() - t0);
    if (a.incremental.newTokens !== 16) throw new Error(`incremental run took ${a.incremental.newTokens} new tokens`);
  }
  const append16 = {
    fullMs: Math.round(median(fullMs)),
    incrementalMs: Math.round(median(incMs)),
    percentOfFull: round((100 * median(incMs)) / median(fullMs)),
  };
  await engine.dispose();
  return { model: 'gpt2-small shape (12 layers, 12 heads, 768, vocab 50257; random weights), greedy', msPerToken, new200, append16 };
}

if (require.main === module) main().then((r) => console.log(JSON.stringify(r, null, 2)));
