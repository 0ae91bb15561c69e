// What every CLI command shares: the command shape, option parsing, typed flag readers, the input text and the
// engine. Each command lives in its own file next to this one and is listed once in src/cli.ts.
import { readFileSync, statSync } from 'node:fs';
import { Engine } from '../engine/engine';
import { ModelError } from '../engine/errors';

export const PROG = 'attention-inspector';

export interface OptionSpec {
  /** Placeholder of the value; undefined for a flag. */
  value?: string;
  help: string;
}

export type Flags = Record<string, string | true>;

/** One subcommand: its help text, its options and what it does with the parsed flags. */
export interface CliCommand {
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  run(flags: Flags): Promise<void>;
}

/** Bad usage: exit 2 with this one line. */
export class UsageError extends Error {}

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

export function parseArgs(command: string, specs: Record<string, OptionSpec>, rest: string[], unknownOption: (key: string) => UsageError): Flags {
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--') || a === '--') throw new UsageError(`unexpected argument "${a}" (options start with --; see ${PROG} ${command} --help)`);
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[key];
    if (!spec) throw unknownOption(key);
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

export function str(flags: Flags, key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}

export function int(flags: Flags, key: string, fallback: number, min = 1): number {
  const v = str(flags, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

export const percent = (p: number) => (p > 0 && p < 0.001 ? '<0.1%' : `${(p * 100).toFixed(1)}%`);
export const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export function readInputText(flags: Flags): string {
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

export async function loadEngine(flags: Flags): Promise<Engine> {
  const dir = str(flags, 'model');
  if (!dir) throw new UsageError('--model DIR is required');
  if (statSync(dir, { throwIfNoEntry: false })?.isFile()) {
    throw new ModelError(dir, 'is a file, not a model folder (--model takes the folder holding config.json, model.safetensors and tokenizer.json)');
  }
  const engine = new Engine();
  await engine.load(dir);
  return engine;
}


/** A number flag; a bad value is bad input (one line naming the flag), checked before the model loads. */
export function num(flags: Flags, key: string, fallback: number): number {
  const v = str(flags, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ModelError(`--${key}`, `must be a number, got "${v}"`);
  return n;
}

