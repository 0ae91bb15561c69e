// The worker's engine option `spinning: false` changes scheduling only: the results are
// identical to the defaults, bit for bit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';
import { Engine } from '../src/engine/engine';

const tmp = mkdtempSync(join(tmpdir(), 'ai-engine-options-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('spinning off gives the same analysis as the default', async () => {
  const dir = await writeCheckpoint(join(tmp, 'tiny'), TINY);
  const text = 'The dog on the ship ran after the fox, and the motor stopped.';
  const results = [];
  for (const options of [{}, { spinning: false }]) {
    const engine = new Engine(options);
    await engine.load(dir);
    results.push(await engine.analyze(text, { topK: 5 }));
    await engine.dispose();
  }
  const [base, ...others] = results;
  for (const r of others) {
    assert.deepEqual(r.attentions, base.attentions);
    assert.deepEqual(r.attnOutNorms, base.attnOutNorms);
    assert.deepEqual(r.topkIds, base.topkIds);
    assert.deepEqual(r.topkProbs, base.topkProbs);
    assert.deepEqual(r.nextTokenLogProb, base.nextTokenLogProb);
  }
});
