import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf, groupByBucket, bucketColors, sampleColormap, BUCKETS } from '../src/extension/colors';
import {
  hoverMarkdown, escapeMarkdown, visibleToken, probabilityBar, formatProbability, surprisalBits,
} from '../src/extension/hoverMarkdown';
import {
  formatBytes, formatDuration, formatPercent, estimateRemainingMs, profileProgressMessage, statusText,
  shortModelName, errorMessage, isAbort, downloadProgressMessage, UserError, isUserError, ActionableError, formatSize,
  exportProgressMessage,
} from '../src/extension/format';

test('bucketOf maps weights relative to the maximum', () => {
  assert.equal(bucketOf(1, 1), BUCKETS - 1);
  assert.equal(bucketOf(0.5, 1), 4);
  assert.equal(bucketOf(0.01, 1), -1);
  assert.equal(bucketOf(0, 1), -1);
  assert.equal(bucketOf(0.3, 0), -1);
  assert.equal(bucketOf(0.2, 0.4), 4);
});

test('groupByBucket puts each painted key in exactly one bucket', () => {
  const groups = groupByBucket(new Float32Array([0.6, 0.3, 0.1, 0, 0.001]));
  assert.deepEqual(groups[9], [0]);
  assert.deepEqual(groups[4], [1]);
  assert.deepEqual(groups[1], [2]);
  assert.equal(groups.flat().length, 3);
});

test('bucketColors: theme alpha grows with the level and respects opacity', () => {
  const colors = bucketColors('theme', 0.5, 2);
  assert.equal(colors.length, BUCKETS);
  const alpha = (c: string) => Number(/, ([\d.]+)\)$/.exec(c)![1]);
  assert.equal(alpha(colors[BUCKETS - 1]), 0.5);
  assert.ok(alpha(colors[0]) < alpha(colors[5]));
  assert.notEqual(bucketColors('theme', 0.5, 1)[9], colors[9]);
  assert.equal(alpha(bucketColors('viridis', 0, 2)[9]), 0);
});

test('sampleColormap interpolates between anchors', () => {
  const map: [number, number, number][] = [[0, 0, 0], [100, 200, 50]];
  assert.deepEqual(sampleColormap(map, 0), [0, 0, 0]);
  assert.deepEqual(sampleColormap(map, 0.5), [50, 100, 25]);
  assert.deepEqual(sampleColormap(map, 2), [100, 200, 50]);
});

test('hover helpers escape and visualize tokens', () => {
  assert.equal(visibleToken(' the\n'), '␣the↵');
  assert.equal(visibleToken(''), '∅');
  assert.equal(escapeMarkdown('a*b|<c>'), 'a\\*b\\|&lt;c&gt;');
  assert.equal(probabilityBar(0.45), '████▌');
  assert.equal(probabilityBar(1), '██████████');
  assert.equal(probabilityBar(0), '');
  assert.equal(formatProbability(0.4213), '42.1%');
  assert.equal(formatProbability(0.00001), '<0.1%');
  assert.equal(surprisalBits(Math.log(0.25)), 2);
});

test('hoverMarkdown shows token, id, predictions and the actual next token', () => {
  const md = hoverMarkdown({
    token: { id: 3290, text: ' dog', start: 3, end: 7 }, index: 1, count: 5,
    predictions: [{ text: ' was', prob: 0.5 }, { text: '|', prob: 0.25 }],
    next: { text: ' on', logProb: Math.log(0.125) },
  });
  assert.match(md, /\*\*␣dog\*\* · token 2 of 5 · id 3290/);
  assert.match(md, /\| ␣was \| 50\.0% \| █████ \|/);
  assert.match(md, /\| \\\| \| 25\.0% \| ██▌ \|/);
  assert.match(md, /Actual next: \*\*␣on\*\* · p 12\.5% · surprisal 3\.00 bits/);
  const last = hoverMarkdown({ token: { id: 1, text: 'x', start: 0, end: 1 }, index: 0, count: 1, predictions: [] });
  assert.match(last, /nothing follows/);
});

test('hoverMarkdown puts the actual next token first, above a top-10 list', () => {
  const predictions = Array.from({ length: 10 }, (_, i) => ({ text: ` w${i}`, prob: 0.3 / (i + 1) }));
  const lines = hoverMarkdown({
    token: { id: 7, text: ' a', start: 0, end: 2 }, index: 3, count: 9, predictions, next: { text: ' b', logProb: Math.log(0.5) },
  }).split('\n');
  assert.match(lines[0], /token 4 of 9/);
  assert.equal(lines.findIndex((l) => l.startsWith('Actual next:')), 2, 'the surprisal line comes right after the header');
  const table = lines.findIndex((l) => l.startsWith('| top 10 next tokens'));
  assert.ok(table > 2, 'the top-k table follows');
  assert.equal(lines.filter((l) => /^\| ␣w\d/.test(l)).length, 10);
  const last = hoverMarkdown({ token: { id: 7, text: ' a', start: 0, end: 2 }, index: 8, count: 9, predictions }).split('\n');
  assert.match(last[2], /nothing follows/);
});

test('user mistakes, actionable errors and export sizes are formatted', () => {
  assert.ok(isUserError(new UserError('Nothing to analyze')));
  assert.ok(!isUserError(new Error('boom')));
  const e = new ActionableError('no model', [{ title: 'Select Local Folder…', command: 'x', args: ['folder'] }]);
  assert.equal(e.actions[0].args?.[0], 'folder');
  assert.equal(formatSize(1024 ** 3, false), '≈ 1.0 GB');
  assert.equal(formatSize(2048, true), '2.0 KB');
  assert.equal(exportProgressMessage(512 * 1024 ** 2, 1024 ** 3), '50% · 512.0 MB of 1.0 GB');
});

test('format helpers', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(523 * 1024 * 1024), '523.0 MB');
  assert.equal(formatDuration(45_000), '45s');
  assert.equal(formatDuration(185_000), '3m 05s');
  assert.equal(formatDuration(3_720_000), '1h 02m');
  assert.equal(formatPercent(42.9, 100), '42%');
  assert.equal(formatPercent(1, 0), '');
  assert.equal(estimateRemainingMs(0, 10, 100), undefined);
  assert.equal(estimateRemainingMs(5, 10, 1000), 1000);
  assert.equal(profileProgressMessage(1200, 5000, 1200), '1,200 / 5,000 texts · ETA 4s');
  assert.equal(profileProgressMessage(0, 5000, 0), '0 / 5,000 texts');
  assert.equal(downloadProgressMessage('model.safetensors', 1024, 2048), 'model.safetensors: 1.0 KB / 2.0 KB (50%)');
  assert.equal(downloadProgressMessage(undefined, 1024, undefined), '1.0 KB');
  assert.equal(statusText('gpt2', { kind: 'downloading', percent: 42.7 }), '$(pulse) gpt2: downloading 42%');
  assert.equal(statusText('gpt2', { kind: 'ready' }), '$(pulse) gpt2: ready');
  assert.equal(shortModelName('gpt2', '/models/tiny/'), 'tiny');
  assert.equal(shortModelName('openai-community/gpt2', ''), 'openai-community/gpt2');
  assert.equal(errorMessage(new Error('bad folder\n  at x')), 'bad folder');
  const abort = new Error('x'); abort.name = 'AbortError';
  assert.ok(isAbort(abort));
  const cancelled = new Error('cancelled'); cancelled.name = 'CancelledError';
  assert.ok(isAbort(cancelled));
  assert.ok(!isAbort(new Error('aborted?')));
});
