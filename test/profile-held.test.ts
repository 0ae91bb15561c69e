// The Layer Profile host's pure logic: the two held results and the switch, the corpus text a head opens on,
// the progress line, and saving without overwriting an earlier profile unasked.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HeldProfiles, pickCorpusText } from '../src/extension/profileHeld';
import { formatSeconds, freeProfilePath, profileProgressText, resolveSavePath, type SaveChoice } from '../src/extension/profileFile';
import { isFromProfileMessage } from '../src/protocol';
import { syntheticProfileResult, syntheticSelectionResult, syntheticTexts } from './webview/profile-harness.data';

describe('HeldProfiles', () => {
  test('keeps the selection and the corpus; Show Attention after Profile Texts no longer drops the corpus', () => {
    const held = new HeldProfiles();
    assert.equal(held.message(), undefined);
    const corpus = syntheticProfileResult({ sequences: 8 });
    held.set('corpus', corpus, 'corpus.jsonl', { texts: syntheticTexts(8) });
    assert.deepEqual(held.message()?.held, { corpus: 'corpus.jsonl' });
    assert.equal(held.message()?.canOpenOnCorpus, true);
    const selection = syntheticSelectionResult();
    held.set('selection', selection, 'notes.md (selection)');
    const m = held.message()!;
    assert.equal(m.origin, 'selection', 'a new selection profile is shown');
    assert.equal(m.result, selection);
    assert.deepEqual(m.held, { selection: 'notes.md (selection)', corpus: 'corpus.jsonl' }, 'both are held');
    assert.equal(held.show('corpus'), true);
    assert.equal(held.message()!.result, corpus, 'one switch brings the corpus back');
    assert.equal(held.message()!.canOpenOnCorpus, true, 'with its texts');
  });

  test('a background selection profile (opened from a corpus head) keeps the corpus on screen', () => {
    const held = new HeldProfiles();
    held.set('corpus', syntheticProfileResult({ sequences: 4 }), 'c', { texts: syntheticTexts(4) });
    held.set('selection', syntheticSelectionResult(), 's', { background: true });
    assert.equal(held.message()!.origin, 'corpus');
    assert.equal(held.has('selection'), true);
    assert.equal(held.show('selection'), true);
    assert.equal(held.message()!.origin, 'selection');
  });

  test('cannot switch to a result it does not hold; a saved corpus profile has no texts to open heads on', () => {
    const held = new HeldProfiles();
    held.set('selection', syntheticSelectionResult(), 's');
    assert.equal(held.show('corpus'), false);
    assert.equal(held.message()!.origin, 'selection');
    held.set('corpus', syntheticProfileResult({ sequences: 4 }), 'saved.json');
    assert.equal(held.message()!.canOpenOnCorpus, false);
    assert.throws(() => held.corpusText(0, 0), /not at hand/);
  });
});

describe('pickCorpusText', () => {
  const result = syntheticProfileResult({ sequences: 10 });
  const texts = syntheticTexts(10);
  test('opens on the sequence where the head is most typical for the chosen statistic', () => {
    for (const [k, stat] of (['entropy', 'sinkMass', 'prevToken', 'meanDistance'] as const).entries()) {
      const seq = result.typicalSequence![3][7][k];
      const pick = pickCorpusText(result, texts, 3, 7, stat);
      assert.equal(pick.sequence, seq);
      assert.equal(pick.text, texts[result.sequenceTexts![seq]]);
      assert.match(pick.reason, /most typical/);
    }
    // The typical sequence really is the closest to the mean (checked against the per-sequence values here).
    assert.ok(new Set(Array.from({ length: 12 }, (_, h) => result.typicalSequence![5][h][0])).size > 1, 'heads differ in where they are typical');
  });
  test('or on a chosen sequence; bad choices say what exists', () => {
    assert.equal(pickCorpusText(result, texts, 0, 0, 'entropy', 4).text, texts[4]);
    assert.throws(() => pickCorpusText(result, texts, 0, 0, 'entropy', 10), /sequences 0–9/);
    assert.throws(() => pickCorpusText(result, texts, 12, 0, 'entropy'), /does not exist/);
    assert.throws(() => pickCorpusText(result, undefined, 0, 0, 'entropy'), /not at hand/);
  });
});

describe('saving next to the input', () => {
  const fsWith = (...names: string[]) => async (p: string) => names.includes(p);
  test('freeProfilePath counts up from -2', async () => {
    assert.equal(await freeProfilePath('/d/x.attention-profile.json', fsWith()), '/d/x.attention-profile.json');
    assert.equal(await freeProfilePath('/d/x.attention-profile.json', fsWith('/d/x.attention-profile.json')), '/d/x.attention-profile-2.json');
    assert.equal(await freeProfilePath('/d/x.attention-profile.json',
      fsWith('/d/x.attention-profile.json', '/d/x.attention-profile-2.json', '/d/x.attention-profile-3.json')), '/d/x.attention-profile-4.json');
    await assert.rejects(freeProfilePath('/d/a.json', async () => true, 5), /No free name/);
  });
  test('an existing file is never overwritten without asking: Overwrite, Save as new name, Cancel', async () => {
    const file = '/d/x.attention-profile.json';
    const asked: [string, string][] = [];
    const answer = (choice: SaveChoice) => async (existing: string, free: string) => { asked.push([existing, free]); return choice; };
    assert.equal(await resolveSavePath(file, fsWith(), answer('cancel')), file, 'free: written without a question');
    assert.equal(asked.length, 0);
    assert.equal(await resolveSavePath(file, fsWith(file), answer('overwrite')), file);
    assert.equal(await resolveSavePath(file, fsWith(file), answer('newName')), '/d/x.attention-profile-2.json');
    assert.equal(await resolveSavePath(file, fsWith(file), answer('cancel')), undefined);
    assert.deepEqual(asked[0], [file, '/d/x.attention-profile-2.json'], 'the question offers the free name');
  });
});

describe('progress line', () => {
  test('sequences and tokens done, and the time left; the same text goes to the notification and the view', () => {
    assert.equal(profileProgressText({ done: 24, total: 64, tokensDone: 1010, tokensTotal: 3330, etaSeconds: 75 }),
      '24 / 64 texts · 1,010 / 3,330 tokens · about 1:15 min left');
    assert.equal(profileProgressText({ done: 3, total: 64 }), '3 / 64 texts');
    assert.equal(profileProgressText({ done: 64, total: 64, tokensDone: 10, tokensTotal: 10, etaSeconds: 0 }), '64 / 64 texts · 10 / 10 tokens');
    assert.equal(formatSeconds(42.4), '42 s');
    assert.equal(formatSeconds(7300), '2 h 1 min');
  });
});

describe('profile protocol additions', () => {
  test('openHead from the corpus and showProfile are validated', () => {
    for (const m of [{ type: 'openHead', layer: 1, head: 2, origin: 'corpus', stat: 'entropy' }, { type: 'openHead', layer: 1, head: 2, origin: 'corpus', stat: 'sinkMass', sequence: 3 },
      { type: 'showProfile', origin: 'corpus' }, { type: 'showProfile', origin: 'selection' }]) assert.equal(isFromProfileMessage(m), true, JSON.stringify(m));
    for (const m of [{ type: 'openHead', layer: 1, head: 2, origin: 'x' }, { type: 'openHead', layer: 1, head: 2, stat: 'nope' },
      { type: 'openHead', layer: 1, head: 2, sequence: -1 }, { type: 'openHead', layer: 1, head: 2, sequence: 1.5 }, { type: 'showProfile' }, { type: 'showProfile', origin: 'both' }]) {
      assert.equal(isFromProfileMessage(m), false, JSON.stringify(m));
    }
  });
});
