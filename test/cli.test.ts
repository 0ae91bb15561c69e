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

describe('analyze --json lighter forms', () => {
  test('--attention u8 / f16 write base64 lower triangles; --layer one layer; none no attention', () => {
    const base = ['analyze', '--model', model, '--text', 'The dog on the ship ran', '--json'];
    const u8 = JSON.parse(run([...base, '--attention', 'u8']).stdout);
    assert.deepEqual(u8.attentionFormat, { encoding: 'u8', layers: [0, 1], layout: 'lower-triangle-base64', scale: 255 });
    assert.equal(u8.attentions.length, 2);
    assert.equal(Buffer.from(u8.attentions[0][0], 'base64').length, (6 * 7) / 2);
    const f16 = JSON.parse(run([...base, '--attention', 'f16', '--layer', '1']).stdout);
    assert.deepEqual(f16.attentionFormat, { encoding: 'f16', layers: [1], layout: 'lower-triangle-base64' });
    assert.equal(Buffer.from(f16.attentions[0][3], 'base64').length, 6 * 7);
    const one = JSON.parse(run([...base, '--layer=0']).stdout);
    assert.deepEqual(one.attentionFormat, { encoding: 'f32', layers: [0] });
    assert.equal(one.attentions[0].length, 4);
    const none = JSON.parse(run([...base, '--attention', 'none']).stdout);
    assert.equal(none.attentions, undefined);
    assert.equal(none.topk.length, 6);
  });
  test('a bad encoding, a layer out of range or --attention without --json: exit 2, one line', () => {
    for (const [args, pattern] of [
      [['--json', '--attention', 'f8'], /--attention must be one of f32, f16, u8, none, got "f8"/],
      [['--json', '--layer', '2'], /--layer 2 does not exist: the model has layers 0–1/],
      [['--attention', 'u8'], /--attention applies to the JSON output: add --json/],
    ] as const) {
      const r = run(['analyze', '--model', model, '--text', 'hi', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }
  });
});

describe('the human table', () => {
  test('"1 token" and "N tokens"; the surprisal column is the next token\'s', () => {
    const one = run(['analyze', '--model', model, '--text', 'hi']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^1 token;/m);
    const two = run(['analyze', '--model', model, '--text', 'hi there']);
    assert.match(two.stdout, /^2 tokens;/m);
    const header = two.stdout.split('\n').find((l) => l.startsWith('pos'))!;
    assert.match(header, /actual next\s+its surprisal \(bits\)/);
    const row0 = two.stdout.split('\n').find((l) => /^\s*0\s/.test(l))!;
    assert.match(row0, /"hi"\s+.*" there"\s+\d+\.\d\d/, `row 0 names the next token and its surprisal: ${row0}`);
  });
  test('the truncation note says where the cut fell (token index and character offset)', () => {
    const file = join(tmp, 'cut.txt');
    writeFileSync(file, 'word '.repeat(300));
    const r = run(['analyze', '--model', model, '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /64 tokens \(input cut at the model's 64-token context: the last analyzed token is #63, ending at character 319 of 1,500; the remaining 1,181 characters were not analyzed\)/);
    const m = run(['analyze', '--model', model, '--file', file, '--max-tokens', '10']);
    assert.match(m.stdout, /10 tokens \(input cut at --max-tokens 10: the last analyzed token is #9, ending at character 49 of 1,500/);
  });
  test('columns stay aligned past position 1000', async () => {
    const wide = await writeCheckpoint(join(tmp, 'wide'), { n_layer: 1, n_head: 2, n_embd: 16, n_positions: 1100, seed: 5 });
    const r = run(['analyze', '--model', wide, '--text', 'word '.repeat(1050).trim(), '--top-k', '1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith(' pos') || l.startsWith('pos'));
    const rows = lines.slice(header + 1).filter((l) => l.trim() !== '');
    assert.equal(rows.length, 1050);
    assert.match(rows[1000], /^1000  "/);
    assert.match(rows[5], /^   5  "/);
    // The token column starts where its header starts in every row, before and after position 1000.
    const tokenColumn = lines[header].indexOf('token');
    for (const row of [rows[0], rows[999], rows[1000], rows[1049]]) assert.equal(row.indexOf('"'), tokenColumn, row);
    const widths = new Set(rows.slice(0, -1).map((l) => l.length));
    assert.equal(widths.size, 1, 'every full row has the same width (right-aligned last column)');
    assert.equal(lines[header].length, rows[0].length);
  });
});

describe('usage: --help, unknown and misplaced options', () => {
  test('--help of each command lists its options', () => {
    for (const [command, options] of [
      ['analyze', ['--model DIR', '--text S', '--file F', '--top-k N', '--max-tokens N', '--repeat N', '--json', '--attention ENC', '--layer N']],
      ['profile', ['--model DIR', '--input FILE|DIR', '--field F', '--column C', '--batch-size N', '--positions N', '--json']],
    ] as const) {
      const r = run([command, '--help']);
      assert.equal(r.code, 0);
      for (const o of options) assert.ok(r.stdout.includes(o), `${command} --help lists ${o}:\n${r.stdout}`);
    }
    const top = run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /analyze --help|<command> --help/);
  });
  test('an unknown option is exit 2 with one line naming it, before any work', () => {
    const input = join(tmp, 'corpus2.jsonl');
    writeFileSync(input, JSON.stringify({ text: 'hello there' }));
    const r = run(['profile', '--model', model, '--input', input, '--bogus', '3']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown option --bogus for "profile"/);
  });
  test('a misspelt option suggests the closest one; an option of the other command says whose it is', () => {
    const typo = run(['analyze', '--model', model, '--text', 'hi', '--max-token', '5']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown option --max-token for "analyze"; did you mean --max-tokens\?/);
    const typo2 = run(['profile', '--model', model, '--input', 'x', '--batchsize', '5']);
    assert.match(typo2.stderr, /did you mean --batch-size\?/);
    const wrong = run(['profile', '--model', model, '--input', 'x', '--top-k', '3']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--top-k is an option of "analyze", not of "profile"/);
    const flagValue = run(['analyze', '--model', model, '--text', 'hi', '--json=yes']);
    assert.equal(flagValue.code, 2);
    assert.match(flagValue.stderr, /--json takes no value/);
    const cmd = run(['analyse', '--model', model]);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command "analyse"; did you mean "analyze"\?/);
  });
  test('a directory as --file and a file as --model say what they are', () => {
    expectBadInput(['analyze', '--model', model, '--file', tmp], tmp, /is a directory, not a file/);
    expectBadInput(['analyze', '--model', join(model, 'config.json'), '--text', 'hi'], 'config.json', /is a file, not a model folder/);
  });
});
