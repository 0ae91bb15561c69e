// The corpus profile in the engine: progress within a batch (sequences and tokens), the typical sequence of
// every head, and the map from sequences back to the input texts; on a generated TINY checkpoint.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';
import { Engine } from '../src/engine/engine';
import { passSize, profileTexts, SUB_BATCHES, typicalSequences, type ProfileProgress } from '../src/engine/profile';
import { HEAD_STAT_COUNT } from '../src/engine/stats';
import type { ProfileSequence } from '../src/engine/types';

const tmp = mkdtempSync(join(tmpdir(), 'ai-profile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('passSize', () => {
  test('a forward pass holds at most batchSize sequences and at most 1/SUB_BATCHES of the corpus', () => {
    assert.equal(SUB_BATCHES, 16);
    assert.equal(passSize(64, 64), 4, 'the whole corpus in one batch still moves in 16 steps');
    assert.equal(passSize(8, 5000), 8);
    assert.equal(passSize(4, 12), 1);
    assert.equal(passSize(0, 10), 1);
    assert.equal(passSize(32, 1), 1);
  });
});

describe('typicalSequences', () => {
  test('picks, per head and statistic, the sequence closest to the mean (ties: the longer one)', () => {
    const L = 1;
    const seq = (length: number, values: number[]): ProfileSequence =>
      ({ length, attnOutNorms: new Float32Array(L * length), headStats: Float32Array.from(values) });
    // head 0: entropy 1, 2, 6 (mean 3 → sequence 1); head 1: entropy 4, 2, 3 (mean 3 → sequence 2).
    const seqs = [
      seq(3, [1, 0, 0, 0, 4, 0.5, 0, 0]),
      seq(4, [2, 0.2, 0, 0, 2, 0.5, 0, 0]),
      seq(5, [6, 0.4, 0, 0, 3, 0.5, 0, 0]),
    ];
    const mean = [[[3, 0.2, 0, 0], [3, 0.5, 0, 0]]];
    const t = typicalSequences(seqs, mean);
    assert.equal(t[0][0][0], 1);
    assert.equal(t[0][1][0], 2);
    assert.equal(t[0][0][1], 1, 'sink mass 0.2 exactly');
    assert.equal(t[0][1][1], 2, 'all equal: the longest sequence');
    assert.equal(t[0][0].length, HEAD_STAT_COUNT);
    assert.deepEqual(typicalSequences([{ length: 2, attnOutNorms: new Float32Array(2) }], mean), [], 'no head stats: none');
  });
});

describe('profileTexts', () => {
  let engine: Engine;
  before(async () => {
    engine = new Engine();
    await engine.load(await writeCheckpoint(join(tmp, 'tiny'), TINY));
  });

  test('reports sequences and tokens done within one batch, with a time left', async () => {
    const texts = Array.from({ length: 32 }, (_, i) => `Text ${i} about a ship ${'and a dog '.repeat(i % 5)}`);
    const seen: ProfileProgress[] = [];
    // batchSize 64 > 32 texts: the old engine reported once, at the end ("0 / 32" for the whole run).
    const result = await profileTexts(engine, texts, { batchSize: 64, positions: 5, source: 'test' }, (p) => seen.push(p));
    assert.equal(seen.length, 16, 'one report per pass of 2 texts');
    assert.deepEqual(seen.map((p) => p.done), Array.from({ length: 16 }, (_, i) => 2 * (i + 1)));
    const tokensTotal = texts.reduce((n, t) => n + engine.tokenize(t).tokens.length, 0);
    for (const [i, p] of seen.entries()) {
      assert.equal(p.total, 32);
      assert.equal(p.tokensTotal, tokensTotal);
      assert.ok(p.tokensDone! > (seen[i - 1]?.tokensDone ?? 0), 'tokens done grow');
      assert.ok(Number.isFinite(p.etaSeconds) && p.etaSeconds! >= 0, `eta ${p.etaSeconds}`);
    }
    assert.equal(seen.at(-1)!.tokensDone, tokensTotal);
    assert.equal(seen.at(-1)!.etaSeconds, 0);
    assert.equal(result.complete, true);
    assert.equal(result.lengths.reduce((a, b) => a + b, 0), tokensTotal);
  });

  test('maps every sequence back to its text and names a typical sequence for every head', async () => {
    const texts = ['A much longer text about the ship, the dog and the motor below deck.', '', 'Short one.', 'Medium text on a ship.'];
    const result = await profileTexts(engine, texts, { batchSize: 8, positions: 5, source: 'test' });
    // Empty texts are skipped and sequences run shortest first; sequenceTexts says which text each one is.
    assert.equal(result.lengths.length, 3);
    assert.deepEqual([...result.sequenceTexts!].sort(), [0, 2, 3]);
    result.sequenceTexts!.forEach((textIndex, seq) => {
      assert.equal(result.lengths[seq], engine.tokenize(texts[textIndex]).tokens.length, `sequence ${seq} is text ${textIndex}`);
    });
    const { layers, heads } = result.model;
    assert.equal(result.typicalSequence!.length, layers);
    for (const row of result.typicalSequence!) {
      assert.equal(row.length, heads);
      for (const cell of row) for (const s of cell) assert.ok(Number.isInteger(s) && s >= 0 && s < 3);
    }
  });
});
