// attention-inspector: the engine headless.
//   attention-inspector analyze --model DIR (--text S | --file F) [--top-k N] [--max-tokens N] [--repeat N]
//                               [--json [--attention f32|f16|u8|none] [--layer N]]
//   attention-inspector profile --model DIR --input FILE|DIR [--field F] [--column C] [--batch-size 64] [--positions 30] [--json]
//   attention-inspector generate --model DIR (--text S | --file F) [--max-new-tokens 20] [--strategy greedy|sample] [--temperature 1]
//                                [--top-k 0] [--top-p 1] [--seed 0] [--stop S] [--no-cache] [--attentions] [--json]
// Bad input and bad usage (an unknown or misspelt option, an option of the other command) exit with
// code 2 and one line naming the file, the option and the problem.
import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Engine } from './engine/engine';
import { JSON_ATTENTION_ENCODINGS, writeAnalysisJson, type JsonAttention } from './engine/jsonExport';
import { profileTexts } from './engine/profile';
import { CorpusError, readCorpus } from './engine/corpus';
import { ModelError } from './engine/errors';
import { generate as runGeneration, generateProblem, DEFAULT_GENERATE, type GenerateOptions } from './engine/generate';
import { generationJson, textStream } from './engine/generateJson';
import type { Analysis, ProfileResult } from './engine/types';

const PROG = 'attention-inspector';

interface OptionSpec {
  /** Placeholder of the value; undefined for a flag. */
  value?: string;
  help: string;
}

const COMMANDS = {
  analyze: {
    summary: 'Analyze one text: attention of every layer and head, next-token predictions, surprisal.',
    usage: `${PROG} analyze --model DIR (--text S | --file F) [options]`,
    options: {
      model: { value: 'DIR', help: 'model folder with config.json, model.safetensors and tokenizer.json (required)' },
      text: { value: 'S', help: 'the text to analyze' },
      file: { value: 'F', help: 'a UTF-8 text file to analyze (instead of --text)' },
      'top-k': { value: 'N', help: 'next-token predictions kept per position (default 10)' },
      'max-tokens': { value: 'N', help: 'analyze at most N tokens (default and maximum: the model context)' },
      repeat: { value: 'N', help: 'run the analysis N times and report each run time (default 1)' },
      json: { help: 'print one JSON object instead of the table (streamed; see README for the shape)' },
      attention: { value: 'ENC', help: 'with --json: attention as f32 (default, decimal), f16 or u8 (base64 lower triangles), or none' },
      layer: { value: 'N', help: 'with --json: only the attention of layer N (0-based)' },
      help: { help: 'show this help' },
    },
  },
  profile: {
    summary: 'Layer Profile of a corpus: attention output norms per layer, position and head statistics.',
    usage: `${PROG} profile --model DIR --input FILE|DIR [options]`,
    options: {
      model: { value: 'DIR', help: 'model folder with config.json, model.safetensors and tokenizer.json (required)' },
      input: { value: 'FILE|DIR', help: 'a .jsonl, .csv or .txt file (one text per line), or a folder of .txt/.md files (required)' },
      field: { value: 'F', help: 'the JSONL field holding the text (default text)' },
      column: { value: 'C', help: 'the CSV column holding the text (default text)' },
      'batch-size': { value: 'N', help: 'texts per batch (default 64)' },
      positions: { value: 'N', help: 'token positions used by the position regression (default 30, at least 2)' },
      json: { help: 'print the profile result as JSON instead of the table' },
      help: { help: 'show this help' },
    },
  },
  generate: {
    summary: 'Generate text from a prompt, step by step with a key/value cache; each step\'s candidates and attention.',
    usage: `${PROG} generate --model DIR (--text S | --file F) [options]`,
    options: {
      model: { value: 'DIR', help: 'model folder with config.json, model.safetensors and tokenizer.json (required)' },
      text: { value: 'S', help: 'the prompt' },
      file: { value: 'F', help: 'a UTF-8 text file holding the prompt (instead of --text)' },
      'max-new-tokens': { value: 'N', help: 'stop after N new tokens (default 20, at least 1)' },
      strategy: { value: 'greedy|sample', help: 'pick the most likely token, or sample (default greedy)' },
      temperature: { value: 'T', help: 'sampling temperature, > 0 (default 1)' },
      'top-k': { value: 'N', help: 'sample from the N most likely tokens only; 0 = off (default 0)' },
      'top-p': { value: 'P', help: 'nucleus sampling: the smallest set whose mass reaches P, in (0, 1]; 1 = off (default 1)' },
      seed: { value: 'N', help: 'seed of the sampler\'s PRNG (mulberry32; default 0)' },
      stop: { value: 'S', help: 'stop when the generated text contains S' },
      'no-cache': { help: 're-run the whole sequence at every step (for comparison)' },
      attentions: { help: 'with --json: each step\'s attention row [layer][head][key]' },
      json: { help: 'print one JSON object (steps, text, stopReason, cache, timings) instead of streaming the text' },
      help: { help: 'show this help' },
    },
  },
} satisfies Record<string, { summary: string; usage: string; options: Record<string, OptionSpec> }>;

type Command = keyof typeof COMMANDS;
const isCommand = (c: string): c is Command => Object.hasOwn(COMMANDS, c);

const USAGE = `Usage:
  ${COMMANDS.analyze.usage}
  ${COMMANDS.profile.usage}
  ${COMMANDS.generate.usage}
Commands:
  analyze   ${COMMANDS.analyze.summary}
  profile   ${COMMANDS.profile.summary}
  generate  ${COMMANDS.generate.summary}
Run \`${PROG} <command> --help\` for the options of a command.`;

function commandHelp(c: Command): string {
  const opts = Object.entries(COMMANDS[c].options as Record<string, OptionSpec>);
  const names = opts.map(([name, o]) => `--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...names.map((n) => n.length));
  return `${COMMANDS[c].summary}\n\nUsage: ${COMMANDS[c].usage}\n\nOptions:\n` +
    opts.map(([, o], i) => `  ${names[i].padEnd(width)}  ${o.help}`).join('\n');
}

/** Bad usage: exit 2 with this one line. */
class UsageError extends Error {}

type Flags = Record<string, string | true>;

/** Levenshtein distance (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The closest known name, if it is close enough to be a typo. */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = k.startsWith(name) || name.startsWith(k) ? Math.min(1, Math.abs(k.length - name.length)) : distance(name, k);
    if (dist < bestD) { best = k; bestD = dist; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function unknownOption(command: Command, key: string): UsageError {
  const own = Object.keys(COMMANDS[command].options);
  const other = (Object.keys(COMMANDS) as Command[]).find((c) => c !== command && Object.hasOwn(COMMANDS[c].options, key));
  if (other) return new UsageError(`--${key} is an option of "${other}", not of "${command}" (see ${PROG} ${command} --help)`);
  const near = closest(key, own);
  return new UsageError(`unknown option --${key} for "${command}"${near ? `; did you mean --${near}?` : ''} (see ${PROG} ${command} --help)`);
}

function parseArgs(command: Command, rest: string[]): Flags {
  const specs = COMMANDS[command].options as Record<string, OptionSpec>;
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--') || a === '--') throw new UsageError(`unexpected argument "${a}" (options start with --; see ${PROG} ${command} --help)`);
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[key];
    if (!spec) throw unknownOption(command, key);
    if (Object.hasOwn(flags, key)) throw new UsageError(`--${key} is given twice`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${key} takes no value`);
      flags[key] = true;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : rest[i + 1];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${key} needs a value (${spec.value})`);
    if (eq < 0) i++;
    flags[key] = value;
  }
  return flags;
}

function str(flags: Flags, key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}

function int(flags: Flags, key: string, fallback: number, min = 1): number {
  const v = str(flags, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

const percent = (p: number) => (p > 0 && p < 0.001 ? '<0.1%' : `${(p * 100).toFixed(1)}%`);
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function readInputText(flags: Flags): string {
  const text = str(flags, 'text');
  const file = str(flags, 'file');
  if ((text === undefined) === (file === undefined)) throw new UsageError('give exactly one of --text or --file');
  if (text !== undefined) {
    if (text.length === 0) throw new ModelError('--text', 'the text is empty');
    return text;
  }
  const stat = statSync(file!, { throwIfNoEntry: false });
  if (!stat) throw new ModelError(file!, 'file not found');
  if (stat.isDirectory()) throw new ModelError(file!, 'is a directory, not a file (--file takes a text file)');
  const content = readFileSync(file!, 'utf8');
  if (content.length === 0) throw new ModelError(file!, 'the file is empty');
  return content;
}

async function loadEngine(flags: Flags): Promise<Engine> {
  const dir = str(flags, 'model');
  if (!dir) throw new UsageError('--model DIR is required');
  if (statSync(dir, { throwIfNoEntry: false })?.isFile()) {
    throw new ModelError(dir, 'is a file, not a model folder (--model takes the folder holding config.json, model.safetensors and tokenizer.json)');
  }
  const engine = new Engine();
  await engine.load(dir);
  return engine;
}

function jsonOptions(flags: Flags): { attention: JsonAttention; layer?: number } {
  const attention = str(flags, 'attention');
  const layer = str(flags, 'layer');
  if (!flags.json && (attention !== undefined || layer !== undefined)) {
    throw new UsageError(`--${attention !== undefined ? 'attention' : 'layer'} applies to the JSON output: add --json`);
  }
  if (attention !== undefined && !JSON_ATTENTION_ENCODINGS.includes(attention as JsonAttention)) {
    throw new UsageError(`--attention must be one of ${JSON_ATTENTION_ENCODINGS.join(', ')}, got "${attention}"`);
  }
  if (attention === 'none' && layer !== undefined) throw new UsageError('--layer has no attention to select with --attention none');
  return { attention: (attention ?? 'f32') as JsonAttention, layer: layer === undefined ? undefined : int(flags, 'layer', 0, 0) };
}

async function analyze(flags: Flags): Promise<void> {
  const text = readInputText(flags);
  const topK = int(flags, 'top-k', 10);
  const repeat = int(flags, 'repeat', 1);
  const maxTokens = str(flags, 'max-tokens') !== undefined ? int(flags, 'max-tokens', 0) : undefined;
  const json = jsonOptions(flags);
  const engine = await loadEngine(flags);
  try {
    const { layers } = engine.loaded!.info;
    if (json.layer !== undefined && json.layer >= layers) {
      throw new UsageError(`--layer ${json.layer} does not exist: the model has layers 0–${layers - 1}`);
    }
    const runMs: number[] = [];
    let a: Analysis | undefined;
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      a = await engine.analyze(text, { topK, maxTokens });
      runMs.push(performance.now() - t0);
    }
    const loadMs = engine.loaded!.loadMs;
    if (flags.json) {
      await writeAnalysisJson(process.stdout, a!, engine.loaded!.tokenizer, { loadMs, runMs }, json);
    } else {
      process.stdout.write(analysisTable(a!, engine.loaded!.tokenizer, text.length, maxTokens, loadMs, runMs) + '\n');
    }
  } finally {
    await engine.dispose();
  }
}

/** Where an analysis stopped, for the summary line. */
export function truncationNote(a: Pick<Analysis, 'tokens' | 'truncated' | 'model'>, textLength: number, maxTokens?: number): string {
  if (!a.truncated) return '';
  const T = a.tokens.length;
  const limit = maxTokens !== undefined && maxTokens < a.model.ctx ? `--max-tokens ${maxTokens}` : `the model's ${a.model.ctx}-token context`;
  const at = a.tokens.at(-1)?.end ?? 0;
  return ` (input cut at ${limit}: the last analyzed token is #${T - 1}, ending at character ${at.toLocaleString('en-US')} ` +
    `of ${textLength.toLocaleString('en-US')}; the remaining ${(textLength - at).toLocaleString('en-US')} characters were not analyzed)`;
}

/** The human summary: a header line, then one aligned row per token (any T, any token width). */
export function analysisTable(a: Analysis, tok: { tokenText(id: number): string }, textLength: number, maxTokens: number | undefined,
  loadMs: number, runMs: number[]): string {
  const { name, layers, heads, embd, ctx } = a.model;
  const T = a.length;
  const k = a.topK;
  const shown = Math.min(3, k);
  const rows: string[][] = [];
  for (let t = 0; t < T; t++) {
    const top = Array.from({ length: shown }, (_, j) =>
      `${JSON.stringify(tok.tokenText(a.topkIds[t * k + j]))} ${percent(a.topkProbs[t * k + j])}`).join('  ');
    const lp = a.nextTokenLogProb[t];
    const next = t + 1 < T ? JSON.stringify(a.tokens[t + 1].text) : '';
    const surprisal = Number.isNaN(lp) ? '' : (-lp / Math.LN2).toFixed(2);
    let norm = 0;
    for (let l = 0; l < layers; l++) norm += a.attnOutNorms[l * T + t] / layers;
    rows.push([String(t), JSON.stringify(a.tokens[t].text), top, next, surprisal, norm.toFixed(3)]);
  }
  const header = ['pos', 'token', `top-${shown} next-token predictions`, 'actual next', 'its surprisal (bits)', 'mean |attn out|'];
  const right = [true, false, false, false, true, true];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => (right[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  const out = [
    `${name}: ${layers} layers × ${heads} heads, d=${embd}, context ${ctx}`,
    `${plural(T, 'token')}${truncationNote(a, textLength, maxTokens)}; load ${loadMs.toFixed(0)} ms, run ${runMs.map((r) => r.toFixed(0)).join(', ')} ms`,
    '',
    line(header),
    ...rows.map(line),
  ];
  return out.join('\n');
}

async function profile(flags: Flags): Promise<void> {
  const input = str(flags, 'input');
  if (!input) throw new UsageError('--input FILE|DIR is required');
  const batchSize = int(flags, 'batch-size', 64);
  const positions = int(flags, 'positions', 30, 2);
  const corpus = await readCorpus(input, { field: str(flags, 'field'), column: str(flags, 'column') });
  const engine = await loadEngine(flags);
  try {
    const t0 = performance.now();
    const result = await profileTexts(engine, corpus.texts, { batchSize, positions, source: corpus.source }, (p) => {
      if (!flags.json && process.stderr.isTTY) process.stderr.write(`\r${p.done}/${p.total} texts`);
    });
    const ms = performance.now() - t0;
    if (flags.json) process.stdout.write(JSON.stringify({ ...result, timings: { loadMs: Math.round(engine.loaded!.loadMs), runMs: Math.round(ms) } }) + '\n');
    else printProfile(result, ms);
  } finally {
    await engine.dispose();
  }
}

function printProfile(r: ProfileResult, ms: number): void {
  const s = r.excludeFirst;
  const tokens = r.lengths.reduce((a, b) => a + b, 0);
  const lines = [`\n${r.source}: ${plural(r.lengths.length, 'text')}, ${plural(tokens, 'token')} in ${(ms / 1000).toFixed(1)} s (first token excluded)`];
  const f = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(3));
  const rows = s.meanLogNorm.map((m, l) => [String(l), f(m), f(s.sdLogNorm[l]), f(s.positionRegression.beta1[l]), f(s.autoregression.beta1[l]), f(s.autoregression.beta2[l])]);
  const header = ['layer', 'mean log-norm', 'sd', 'β1(position)', 'β1(t-1)', 'β2(t-2)'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => v.padStart(widths[c])).join('  ');
  lines.push(line(header), ...rows.map(line));
  process.stdout.write(lines.join('\n') + '\n');
}

/** A number flag; a bad value is bad input (one line naming the flag), checked before the model loads. */
function num(flags: Flags, key: string, fallback: number): number {
  const v = str(flags, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ModelError(`--${key}`, `must be a number, got "${v}"`);
  return n;
}

async function generate(flags: Flags): Promise<void> {
  const text = readInputText(flags);
  const options: Partial<GenerateOptions> = {
    maxNewTokens: num(flags, 'max-new-tokens', 20),
    strategy: (str(flags, 'strategy') ?? 'greedy') as GenerateOptions['strategy'],
    temperature: num(flags, 'temperature', 1),
    topK: num(flags, 'top-k', 0),
    topP: num(flags, 'top-p', 1),
    seed: num(flags, 'seed', 0),
    stop: str(flags, 'stop'),
    cache: !flags['no-cache'],
    attentions: !!flags.attentions,
  };
  const problem = generateProblem({ ...DEFAULT_GENERATE, ...options });
  if (problem) throw new ModelError(`--${problem.option}`, problem.problem);
  const engine = await loadEngine(flags);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const tok = engine.loaded!.tokenizer;
  const stream = textStream(options.stop);
  const ids: number[] = [];
  try {
    const r = await runGeneration(engine, text, options, (step) => {
      if (flags.json) return;
      if (ids.length === 0) process.stdout.write(text);
      ids.push(step.id);
      process.stdout.write(stream.push(tok.decode(ids)));
    }, controller.signal);
    if (flags.json) {
      process.stdout.write(JSON.stringify(generationJson(engine.loaded!.info, r, !!flags.attentions)) + '\n');
    } else {
      if (ids.length === 0) process.stdout.write(text);
      process.stdout.write(stream.end(r.text) + '\n');
      const per = r.timings.stepMs.length ? r.timings.stepMs.reduce((a, b) => a + b, 0) / r.timings.stepMs.length : 0;
      process.stderr.write(`${r.steps.length} tokens, stopped: ${r.stopReason}; prefill ${r.timings.prefillMs.toFixed(0)} ms, ${per.toFixed(1)} ms per token (${r.cache ? 'with' : 'without'} the cache)\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    await engine.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [command = '', ...rest] = argv;
    if (command === '' || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      process.stdout.write((topic && isCommand(topic) ? commandHelp(topic) : USAGE) + '\n');
      return command === '' ? 2 : 0;
    }
    if (!isCommand(command)) {
      const near = closest(command, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${command}"${near ? `; did you mean "${near}"?` : ''} (commands: ${Object.keys(COMMANDS).join(', ')})`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    const flags = parseArgs(command, rest);
    if (command === 'analyze') await analyze(flags);
    else if (command === 'profile') await profile(flags);
    else await generate(flags);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ModelError || e instanceof CorpusError) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`${PROG}: ${err.message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
