// attention-inspector: the engine headless.
//   attention-inspector analyze --model DIR (--text S | --file F) [--top-k N] [--max-tokens N] [--repeat N] [--json]
//   attention-inspector profile --model DIR --input FILE|DIR [--field F] [--column C] [--batch-size 64] [--positions 30] [--json]
//   attention-inspector generate --model DIR (--text S | --file F) [--max-new-tokens 20] [--strategy greedy|sample] [--temperature 1]
//                                [--top-k 0] [--top-p 1] [--seed 0] [--stop S] [--no-cache] [--attentions] [--json]
// Bad input exits with code 2 and one line naming the file and the problem.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Engine } from './engine/engine';
import { writeAnalysisJson } from './engine/jsonExport';
import { profileTexts } from './engine/profile';
import { CorpusError, readCorpus } from './engine/corpus';
import { ModelError } from './engine/errors';
import { generate as runGeneration, generateProblem, DEFAULT_GENERATE, type GenerateOptions } from './engine/generate';
import { generationJson, textStream } from './engine/generateJson';
import type { Analysis, ProfileResult } from './engine/types';

const USAGE = `Usage:
  attention-inspector analyze --model DIR (--text S | --file F) [--top-k N] [--max-tokens N] [--repeat N] [--json]
  attention-inspector profile --model DIR --input FILE|DIR [--field F] [--column C] [--batch-size N] [--positions N] [--json]
  attention-inspector generate --model DIR (--text S | --file F) [--max-new-tokens 20] [--strategy greedy|sample] [--temperature 1]
                               [--top-k 0] [--top-p 1] [--seed 0] [--stop S] [--no-cache] [--attentions] [--json]`;

class UsageError extends Error {}

type Flags = Record<string, string | true>;

function parseArgs(argv: string[]): { command: string; flags: Flags } {
  const [command, ...rest] = argv;
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const key = a.slice(2);
    const next = rest[i + 1];
    if (key === 'json' || key === 'help' || key === 'no-cache' || key === 'attentions') flags[key] = true;
    else if (next === undefined || next.startsWith('--')) throw new UsageError(`--${key} needs a value`);
    else flags[key] = rest[++i];
  }
  return { command: command ?? '', flags };
}

function str(flags: Flags, key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}

function int(flags: Flags, key: string, fallback: number, min = 1): number {
  const v = str(flags, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

function readInputText(flags: Flags): string {
  const text = str(flags, 'text');
  const file = str(flags, 'file');
  if ((text === undefined) === (file === undefined)) throw new UsageError('give exactly one of --text or --file');
  if (text !== undefined) {
    if (text.length === 0) throw new ModelError('--text', 'the text is empty');
    return text;
  }
  if (!existsSync(file!) || !statSync(file!).isFile()) throw new ModelError(file!, 'file not found');
  const content = readFileSync(file!, 'utf8');
  if (content.length === 0) throw new ModelError(file!, 'the file is empty');
  return content;
}

async function loadEngine(flags: Flags): Promise<Engine> {
  const dir = str(flags, 'model');
  if (!dir) throw new UsageError('--model DIR is required');
  const engine = new Engine();
  await engine.load(dir);
  return engine;
}

async function analyze(flags: Flags): Promise<void> {
  const text = readInputText(flags);
  const topK = int(flags, 'top-k', 10);
  const repeat = int(flags, 'repeat', 1);
  const engine = await loadEngine(flags);
  const maxTokens = str(flags, 'max-tokens') ? int(flags, 'max-tokens', 0) : undefined;
  const runMs: number[] = [];
  let a: Analysis | undefined;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    a = await engine.analyze(text, { topK, maxTokens });
    runMs.push(performance.now() - t0);
  }
  const loadMs = engine.loaded!.loadMs;
  if (flags.json) {
    await writeAnalysisJson(process.stdout, a!, engine.loaded!.tokenizer, { loadMs, runMs });
  } else {
    printSummary(a!, engine, loadMs, runMs);
  }
  await engine.dispose();
}

function printSummary(a: Analysis, engine: Engine, loadMs: number, runMs: number[]): void {
  const { name, layers, heads, embd, ctx } = a.model;
  const tok = engine.loaded!.tokenizer;
  const out: string[] = [];
  out.push(`${name}: ${layers} layers × ${heads} heads, d=${embd}, context ${ctx}`);
  out.push(`${a.length} tokens${a.truncated ? ` (input cut at ${a.length} tokens)` : ''}; load ${loadMs.toFixed(0)} ms, run ${runMs.map((r) => r.toFixed(0)).join(', ')} ms`);
  out.push('');
  out.push('pos  token            next-token top-3                                  surprisal  mean |attn out|');
  const T = a.length;
  for (let t = 0; t < T; t++) {
    const k = a.topK;
    const top = Array.from({ length: Math.min(3, k) }, (_, j) => `${JSON.stringify(tok.tokenText(a.topkIds[t * k + j]))} ${(a.topkProbs[t * k + j] * 100).toFixed(1)}%`).join('  ');
    const lp = a.nextTokenLogProb[t];
    const surprisal = Number.isNaN(lp) ? '' : `${(-lp / Math.LN2).toFixed(2)} bits`;
    let norm = 0;
    for (let l = 0; l < layers; l++) norm += a.attnOutNorms[l * T + t] / layers;
    out.push(`${String(t).padStart(3)}  ${JSON.stringify(a.tokens[t].text).padEnd(16)} ${top.padEnd(50)} ${surprisal.padStart(10)}  ${norm.toFixed(3)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function profile(flags: Flags): Promise<void> {
  const input = str(flags, 'input');
  if (!input) throw new UsageError('--input FILE|DIR is required');
  const corpus = await readCorpus(input, { field: str(flags, 'field'), column: str(flags, 'column') });
  const batchSize = int(flags, 'batch-size', 64);
  const positions = int(flags, 'positions', 30, 2);
  const engine = await loadEngine(flags);
  const t0 = performance.now();
  const result = await profileTexts(engine, corpus.texts, { batchSize, positions, source: corpus.source }, (p) => {
    if (!flags.json) process.stderr.write(`\r${p.done}/${p.total} texts`);
  });
  const ms = performance.now() - t0;
  if (flags.json) process.stdout.write(JSON.stringify({ ...result, timings: { loadMs: Math.round(engine.loaded!.loadMs), runMs: Math.round(ms) } }) + '\n');
  else printProfile(result, ms);
  await engine.dispose();
}

function printProfile(r: ProfileResult, ms: number): void {
  const s = r.excludeFirst;
  const lines = [`\n${r.source}: ${r.lengths.length} texts, ${r.lengths.reduce((a, b) => a + b, 0)} tokens in ${(ms / 1000).toFixed(1)} s (first token excluded)`];
  lines.push('layer  mean log-norm ± sd    β1(position)   β1(t-1)   β2(t-2)');
  s.meanLogNorm.forEach((m, l) => {
    const f = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '   n/a' : v.toFixed(3).padStart(7));
    lines.push(`${String(l).padStart(5)}  ${f(m)} ± ${f(s.sdLogNorm[l])}    ${f(s.positionRegression.beta1[l])}     ${f(s.autoregression.beta1[l])}   ${f(s.autoregression.beta2[l])}`);
  });
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
    const { command, flags } = parseArgs(argv);
    if (flags.help || command === '' || command === 'help' || command === '--help') {
      process.stdout.write(USAGE + '\n');
      return command === '' ? 2 : 0;
    }
    if (command === 'analyze') await analyze(flags);
    else if (command === 'profile') await profile(flags);
    else if (command === 'generate') await generate(flags);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`attention-inspector: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ModelError || e instanceof CorpusError) {
      process.stderr.write(`attention-inspector: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`attention-inspector: ${err.message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
