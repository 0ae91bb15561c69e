// Batch-profile benchmark: the 64-text demo corpus (~60 tokens each) on a gpt2-small-shaped checkpoint. Prints JSON.
import { join } from 'node:path';
import { writeCheckpoint, GPT2_SMALL_SHAPE } from '../test/fixtures/checkpoint';
import { Engine } from '../src/engine/engine';
import { modelDir } from './engine';
import { readCorpus } from '../src/engine/corpus';
import { profileTexts } from '../src/engine/profile';

const root = join(__dirname, '..');

export async function benchProfile() {
  const dir = await writeCheckpoint(modelDir, GPT2_SMALL_SHAPE);
  const corpus = await readCorpus(join(root, 'media', 'demo-corpus.jsonl'));
  const engine = new Engine();
  await engine.load(dir);
  const runs: number[] = [];
  let tokens = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await profileTexts(engine, corpus.texts, { batchSize: 64, source: 'demo' });
    runs.push(performance.now() - t0);
    tokens = r.lengths.reduce((a, b) => a + b, 0);
  }
  await engine.dispose();
  const sorted = [...runs].sort((a, b) => a - b);
  return { texts: corpus.texts.length, tokens, batchSize: 64, medianMs: Math.round(sorted[1]), runsMs: runs.map(Math.round), peakRssMB: Math.round(process.memoryUsage().rss / 2 ** 20) };
}

if (require.main === module) benchProfile().then((r) => console.log(JSON.stringify(r, null, 2)));
