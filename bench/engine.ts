// Engine benchmark: warm analysis time (median of 5) at T = 128, 512, 1024 on a random-weight checkpoint in
// gpt2-small shape (generated once and cached in .cache/bench), plus peak RSS. Prints JSON.
import { join } from 'node:path';
import { writeCheckpoint, GPT2_SMALL_SHAPE } from '../test/fixtures/checkpoint';
import { Engine } from '../src/engine/engine';

const root = join(__dirname, '..');

function textOfTokens(n: number): string {
  // ~1 token per word for common short English words.
  const words = 'the dog on the ship ran while a motor hummed and the sea was calm'.split(' ');
  return Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

export async function benchEngine(lengths = [128, 512, 1024], repeats = 5) {
  const dir = await writeCheckpoint(join(root, '.cache', 'bench', 'gpt2-small-random'), GPT2_SMALL_SHAPE);
  const engine = new Engine();
  const model = await engine.load(dir);
  const analyze: Record<string, { medianMs: number; runsMs: number[]; tokens: number }> = {};
  for (const T of lengths) {
    const text = textOfTokens(T);
    const runs: number[] = [];
    let tokens = 0;
    await engine.analyze(text, { topK: 10, maxTokens: T }); // warm-up
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const a = await engine.analyze(text, { topK: 10, maxTokens: T });
      runs.push(performance.now() - t0);
      tokens = a.length;
    }
    analyze[`T${T}`] = { medianMs: Math.round(median(runs)), runsMs: runs.map(Math.round), tokens };
  }
  await engine.dispose();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return { model: 'gpt2-small shape (random weights)', loadMs: Math.round(model.loadMs), analyze, peakRssMB: Math.round(peakRss / 2 ** 20) };
}

if (require.main === module) {
  benchEngine().then((r) => {
    clearInterval(sampler);
    console.log(JSON.stringify(r, null, 2));
  });
}
