// Generates the bundled tiny demo checkpoint (models/demo) in the real Hugging Face GPT-2 layout:
// random weights (this machine cannot download GPT-2), the real GPT-2 tokenizer.
import { join } from 'node:path';
import { writeCheckpoint } from '../test/fixtures/checkpoint';

const dir = join(__dirname, '..', 'models', 'demo');
writeCheckpoint(dir, { n_layer: 4, n_head: 4, n_embd: 64, n_positions: 256, seed: 2026 }).then((d) => {
  console.log(`demo model ready: ${d} (tiny, random weights: its predictions are noise; the extension downloads real GPT-2 on first use)`);
});
