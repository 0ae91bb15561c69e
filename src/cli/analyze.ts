// attention-inspector analyze: one text, every layer's and head's attention, next-token predictions, surprisal.
import { performance } from 'node:perf_hooks';
import { JSON_ATTENTION_ENCODINGS, writeAnalysisJson, type JsonAttention } from '../engine/jsonExport';
import type { Analysis } from '../engine/types';
import { int, loadEngine, percent, plural, PROG, readInputText, str, UsageError, type CliCommand, type Flags } from './args';

export const analyzeCommand: CliCommand = {
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
  run,
};

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

async function run(flags: Flags): Promise<void> {
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

