// attention-inspector profile: the Layer Profile of a corpus (attention output norms per layer and position, head statistics).
import { performance } from 'node:perf_hooks';
import { profileTexts } from '../engine/profile';
import { readCorpus } from '../engine/corpus';
import type { ProfileResult } from '../engine/types';
import { int, loadEngine, plural, PROG, str, UsageError, type CliCommand, type Flags } from './args';

export const profileCommand: CliCommand = {
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
  run,
};

async function run(flags: Flags): Promise<void> {
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

