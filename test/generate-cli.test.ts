// `attention-inspector generate` end to end (dist/cli.js): the JSON shape, streaming, --no-cache, and bad arguments.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'ai-gen-cli-'));
let model: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  model = await writeCheckpoint(join(tmp, 'tiny'), TINY);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('generate --json', () => {
  test('prints one JSON object with every field', () => {
    const r = run(['generate', '--model', model, '--text', 'The dog on the ship ran', '--max-new-tokens', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).sort(), ['cache', 'model', 'prompt', 'steps', 'stopReason', 'text', 'timings']);
    assert.deepEqual(j.model, { name: 'tiny', layers: 2, heads: 4, embd: 32, vocab: 50257, ctx: 64 });
    assert.deepEqual(j.prompt.tokens.map((t: { id: number }) => t.id), [464, 3290, 319, 262, 4074, 4966]);
    assert.deepEqual(j.prompt.tokens[1], { id: 3290, text: ' dog', start: 3, end: 7 });
    assert.equal(j.steps.length, 5);
    for (const s of j.steps) {
      assert.deepEqual(Object.keys(s).sort(), ['id', 'prob', 'rank', 'token', 'topk']);
      assert.equal(s.rank, 1, 'greedy');
      assert.equal(s.topk.length, 10);
      assert.equal(s.topk[0].id, s.id);
      assert.ok(s.prob > 0 && s.prob <= 1);
    }
    assert.equal(j.text, j.steps.map((s: { token: string }) => s.token).join(''));
    assert.equal(j.stopReason, 'max-new-tokens');
    assert.equal(j.cache, true);
    assert.ok(j.timings.loadMs >= 0 && j.timings.prefillMs >= 0);
    assert.equal(j.timings.stepMs.length, 5);
  });

  test('--attentions adds each new token\'s row over all earlier tokens and itself', () => {
    const r = run(['generate', '--model', model, '--text', 'The dog on the ship ran', '--max-new-tokens', '3', '--attentions', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    j.steps.forEach((s: { attention: number[][][] }, i: number) => {
      assert.equal(s.attention.length, 2);
      assert.equal(s.attention[0].length, 4);
      for (const layer of s.attention) {
        for (const row of layer) {
          assert.equal(row.length, 6 + i + 1);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        }
      }
    });
  });

  test('--no-cache gives the same tokens; seeded sampling repeats', () => {
    const base = ['generate', '--model', model, '--text', 'The dog on the ship ran', '--max-new-tokens', '6', '--json'];
    const a = JSON.parse(run(base).stdout);
    const b = JSON.parse(run([...base, '--no-cache']).stdout);
    assert.equal(b.cache, false);
    assert.deepEqual(b.steps.map((s: { id: number }) => s.id), a.steps.map((s: { id: number }) => s.id));
    const sampled = [...base, '--strategy', 'sample', '--temperature', '1.2', '--top-p', '0.9', '--top-k', '50', '--seed', '7'];
    const s1 = JSON.parse(run(sampled).stdout);
    const s2 = JSON.parse(run([...sampled, '--no-cache']).stdout);
    assert.deepEqual(s2.steps.map((s: { id: number }) => s.id), s1.steps.map((s: { id: number }) => s.id));
  });

  test('--file reads the prompt; --stop ends at the stop string', () => {
    const file = join(tmp, 'prompt.txt');
    writeFileSync(file, 'The dog on the ship ran');
    const free = JSON.parse(run(['generate', '--model', model, '--file', file, '--max-new-tokens', '6', '--json']).stdout);
    const stop = free.steps[2].token;
    const r = JSON.parse(run(['generate', '--model', model, '--file', file, '--max-new-tokens', '6', '--stop', stop, '--json']).stdout);
    assert.equal(r.stopReason, 'stop-string');
    assert.equal(r.text, free.text.slice(0, free.text.indexOf(stop)));
  });
});

describe('generate (plain)', () => {
  test('streams the prompt and the generated text, and a summary on stderr', () => {
    const j = JSON.parse(run(['generate', '--model', model, '--text', 'The dog', '--max-new-tokens', '4', '--json']).stdout);
    const r = run(['generate', '--model', model, '--text', 'The dog', '--max-new-tokens', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'The dog' + j.text + '\n');
    assert.match(r.stderr, /4 tokens, stopped: max-new-tokens; prefill \d+ ms, [\d.]+ ms per token \(with the cache\)/);
  });
});

describe('generate: bad arguments', () => {
  const cases: [string, string[], RegExp][] = [
    ['negative temperature', ['--temperature', '-1'], /--temperature: must be a number ≥ 0/],
    ['temperature not a number', ['--temperature', 'warm'], /--temperature: must be a number/],
    ['top-p 0', ['--top-p', '0'], /--top-p: must be in \(0, 1\]/],
    ['top-p above 1', ['--top-p', '1.5'], /--top-p: must be in \(0, 1\]/],
    ['negative top-k', ['--top-k', '-2'], /--top-k: must be an integer ≥ 0/],
    ['max-new-tokens 0', ['--max-new-tokens', '0'], /--max-new-tokens: must be an integer ≥ 1/],
    ['unknown strategy', ['--strategy', 'beam'], /--strategy: must be greedy or sample, got "beam"/],
  ];
  for (const [label, args, message] of cases) {
    test(label, () => {
      const r = run(['generate', '--model', model, '--text', 'The dog', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], message);
    });
  }

  test('a prompt that already fills the context', () => {
    const r = run(['generate', '--model', model, '--text', ' the'.repeat(64)]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.trim(), /^attention-inspector: prompt: already fills the model context \(64 of 64 tokens\); shorten it$/);
  });

  test('bad options fail before the model loads', () => {
    const r = run(['generate', '--model', join(tmp, 'missing'), '--text', 'hi', '--top-p', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--top-p/);
  });
});
