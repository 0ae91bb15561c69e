// The CLI end to end (dist/cli.js as users run it): JSON shape, repeat timings, profile, and every bad input.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, cpSync, writeFileSync, readFileSync, truncateSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeCheckpoint, TINY } from './fixtures/checkpoint';

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'ai-cli-'));
let model: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the tiny model with one file changed. */
function broken(name: string, change: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(model, dir, { recursive: true });
  change(dir);
  return dir;
}

function expectBadInput(args: string[], file: string, problem: RegExp) {
  const r = run(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '', 'no partial output');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.ok(lines[0].includes(file), `names ${file}: ${lines[0]}`);
  assert.match(lines[0], problem);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

before(async () => {
  if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  model = await writeCheckpoint(join(tmp, 'tiny'), TINY);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('analyze --json', () => {
  test('prints one JSON object with every field', () => {
    const r = run(['analyze', '--model', model, '--text', 'The dog on the ship ran', '--top-k', '3', '--repeat', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.model, { name: 'tiny', layers: 2, heads: 4, embd: 32, vocab: 50257, ctx: 64 });
    assert.deepEqual(j.tokens.map((t: { id: number }) => t.id), [464, 3290, 319, 262, 4074, 4966]);
    assert.deepEqual(j.tokens[1], { id: 3290, text: ' dog', start: 3, end: 7 });
    const T = 6;
    assert.equal(j.attentions.length, 2);
    assert.equal(j.attentions[0].length, 4);
    assert.equal(j.attentions[0][0].length, T);
    for (const layer of j.attentions) for (const head of layer) head.forEach((row: number[], i: number) => {
      assert.equal(row.length, T);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      row.forEach((v, k) => k > i && assert.equal(v, 0));
    });
    assert.equal(j.attnOutNorms.length, 2);
    assert.equal(j.attnOutNorms[0].length, T);
    assert.equal(j.topk.length, T);
    assert.equal(j.topk[0].length, 3);
    assert.deepEqual(Object.keys(j.topk[0][0]).sort(), ['id', 'prob', 'token']);
    assert.ok(j.topk[0][0].prob >= j.topk[0][1].prob);
    assert.equal(j.nextTokenLogProb.length, T);
    assert.equal(j.nextTokenLogProb[T - 1], null);
    assert.ok(j.nextTokenLogProb[0] < 0);
    assert.equal(j.truncated, false);
    assert.equal(j.timings.runMs.length, 3);
    assert.ok(j.timings.loadMs > 0);
  });

  test('--file and truncation beyond the context', () => {
    const file = join(tmp, 'long.txt');
    writeFileSync(file, 'word '.repeat(200));
    const j = JSON.parse(run(['analyze', '--model', model, '--file', file, '--json']).stdout);
    assert.equal(j.tokens.length, 64);
    assert.equal(j.truncated, true);
  });

  test('human summary without --json', () => {
    const r = run(['analyze', '--model', model, '--text', 'The dog on the ship ran']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /tiny: 2 layers × 4 heads/);
    assert.match(r.stdout, /" ship"/);
  });
});

describe('profile', () => {
  test('prints the layer profile statistics as JSON', () => {
    const input = join(tmp, 'corpus.jsonl');
    writeFileSync(input, ['The dog on the ship ran.', 'A motor hummed below deck while we slept.', 'Short.'].map((text) => JSON.stringify({ text })).join('\n'));
    const r = run(['profile', '--model', model, '--input', input, '--batch-size', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.lengths.length, 3);
    assert.equal(j.complete, true);
    assert.equal(j.excludeFirst.meanLogNorm.length, 2);
    assert.equal(j.headStats.length, 2);
    assert.equal(j.headStats[0].length, 4);
  });
});

describe('bad input: exit 2, one line naming the file and the problem', () => {
  test('missing model folder', () => expectBadInput(['analyze', '--model', join(tmp, 'nope'), '--text', 'hi'], 'nope', /not found/));
  test('missing input file', () => expectBadInput(['analyze', '--model', model, '--file', join(tmp, 'missing.txt')], 'missing.txt', /not found/));
  test('missing config.json', () => {
    const dir = broken('noconfig', (d) => rmSync(join(d, 'config.json')));
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'config.json', /not found/);
  });
  test('missing model.safetensors', () => {
    const dir = broken('noweights', (d) => rmSync(join(d, 'model.safetensors')));
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'model.safetensors', /not found/);
  });
  test('bad JSON in config.json', () => {
    const dir = broken('badjson', (d) => writeFileSync(join(d, 'config.json'), '{"n_layer": 2,'));
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'config.json', /invalid JSON/);
  });
  test('bad tokenizer.json', () => {
    const dir = broken('badtok', (d) => writeFileSync(join(d, 'tokenizer.json'), '{"model": 3}'));
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'tokenizer.json', /./);
  });
  test('truncated safetensors', () => {
    const dir = broken('truncated', (d) => {
      const f = join(d, 'model.safetensors');
      truncateSync(f, statSync(f).size - 1000);
    });
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'model.safetensors', /truncated/);
  });
  test('header larger than the file', () => {
    const dir = broken('bigheader', (d) => {
      const f = join(d, 'model.safetensors');
      const buf = readFileSync(f);
      buf.writeBigUInt64LE(BigInt(buf.length * 2), 0);
      writeFileSync(f, buf);
    });
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'model.safetensors', /header length .* larger than the file/);
  });
  test('unknown dtype', () => {
    const dir = broken('dtype', (d) => {
      const f = join(d, 'model.safetensors');
      const buf = readFileSync(f);
      const n = Number(buf.readBigUInt64LE(0));
      // Same length so the header stays valid JSON: "F32" → "Q4 ".
      buf.write(buf.subarray(8, 8 + n).toString('latin1').replace('"F32"', '"Q4" '), 8, 'latin1');
      writeFileSync(f, buf);
    });
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'model.safetensors', /unknown dtype Q4/);
  });
  test('shape mismatch with config', () => {
    const dir = broken('shape', (d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      c.n_embd = 64;
      writeFileSync(join(d, 'config.json'), JSON.stringify(c));
    });
    expectBadInput(['analyze', '--model', dir, '--text', 'hi'], 'model.safetensors', /shape .* config.json implies/);
  });
  test('empty text', () => expectBadInput(['analyze', '--model', model, '--text', ''], '--text', /empty/));
  test('empty file', () => {
    const f = join(tmp, 'empty.txt');
    writeFileSync(f, '');
    expectBadInput(['analyze', '--model', model, '--file', f], 'empty.txt', /empty/);
  });
  test('missing profile input', () => expectBadInput(['profile', '--model', model, '--input', join(tmp, 'none.jsonl')], 'none.jsonl', /./));
  test('usage errors exit 2', () => {
    const r = run(['analyze', '--text', 'hi']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--model DIR is required/);
    assert.equal(run(['frobnicate']).code, 2);
  });
});
