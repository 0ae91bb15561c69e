// Engine benchmark: warm analysis time (median of 5) at T = 128, 512, 1024 on a random-weight checkpoint in
// gpt2-small shape (generated once and cached in .cache/bench), and peak RSS. Each length runs in a fresh
// process so its peak RSS is its own (glibc keeps freed heap from earlier, smaller runs). Prints JSON.
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeCheckpoint, GPT2_SMALL_SHAPE } from '../test/fixtures/checkpoint';
import { Engine } from '../src/engine/engine';

const root = join(__dirname, '..');
/** The random-weight gpt2-small-shaped checkpoint every engine-level bench uses (generated once). */
export const modelDir = join(root, '.cache', 'bench', 'gpt2-small-random');

function textOfTokens(n: number): string {
  const words = 'the dog on the ship ran while a motor hummed and the sea was calm'.split(' ');
  return Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One length, in this process: load, warm up, 5 timed analyses. */
async function benchLength(T: number, repeats = 5) {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const engine = new Engine();
  const model = await engine.load(modelDir);
  const text = textOfTokens(T);
  await engine.analyze(text, { topK: 10, maxTokens: T }); // warm-up
  const runs: number[] = [];
  let tokens = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    tokens = (await engine.analyze(text, { topK: 10, maxTokens: T })).length;
    runs.push(performance.now() - t0);
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  await engine.dispose();
  return { tokens, medianMs: Math.round(median(runs)), runsMs: runs.map(Math.round), loadMs: Math.round(model.loadMs), peakRssMB: Math.round(peak / 2 ** 20) };
}

export async function benchEngine(lengths = [128, 512, 1024]) {
  await writeCheckpoint(modelDir, GPT2_SMALL_SHAPE);
  const analyze: Record<string, unknown> = {};
  for (const T of lengths) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, String(T)], { encoding: 'utf8' });
    analyze[`T${T}`] = JSON.parse(r.stdout);
  }
  const peakRssMB = Math.max(...Object.values(analyze).map((a) => (a as { peakRssMB: number }).peakRssMB));
  return { model: 'gpt2-small shape (12 layers, 12 heads, 768, vocab 50257; random weights)', analyze, peakRssMB };
}

if (require.main === module) {
  const T = Number(process.argv[2]);
  if (T) benchLength(T).then((r) => console.log(JSON.stringify(r)));
  else benchEngine().then((r) => console.log(JSON.stringify(r, null, 2)));
}
