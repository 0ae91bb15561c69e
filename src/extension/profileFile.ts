// Pure: reading a saved Layer Profile JSON back, with clear messages for files that are not one.
import type { ProfileResult, ProfileStats } from '../engine/types';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function checkStats(name: string, v: unknown, layers: number): void {
  if (!isObject(v)) throw new Error(`"${name}" is missing.`);
  const s = v as Partial<Record<keyof ProfileStats, unknown>>;
  for (const key of ['histograms', 'meanLogNorm', 'sdLogNorm', 'positionHeatmap'] as const) {
    const arr = s[key];
    if (!Array.isArray(arr) || arr.length !== layers) throw new Error(`"${name}.${key}" should have one entry per layer (${layers}).`);
  }
  if (!isObject(s.positionRegression) || !isObject(s.autoregression)) throw new Error(`"${name}" lacks its regressions.`);
}

/** Parse and check a `*.attention-profile.json`; throws an Error naming what is wrong. */
export function parseProfileResult(text: string, name = 'The file'): ProfileResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  try {
    if (!isObject(data)) throw new Error('expected a JSON object.');
    if (data.version !== 1) throw new Error(`unsupported version ${JSON.stringify(data.version)} (expected 1).`);
    const model = data.model;
    if (!isObject(model) || !isCount(model.layers) || !isCount(model.heads) || typeof model.name !== 'string') {
      throw new Error('"model" is missing or incomplete.');
    }
    if (!Array.isArray(data.lengths) || !data.lengths.every((n) => typeof n === 'number')) throw new Error('"lengths" is missing.');
    checkStats('excludeFirst', data.excludeFirst, model.layers);
    checkStats('includeFirst', data.includeFirst, model.layers);
    if (!Array.isArray(data.headStats) || data.headStats.length !== model.layers) throw new Error('"headStats" should have one entry per layer.');
    if (data.typicalSequence !== undefined && (!Array.isArray(data.typicalSequence) || data.typicalSequence.length !== model.layers)) {
      throw new Error('"typicalSequence" should have one entry per layer.');
    }
    if (data.sequenceTexts !== undefined && (!Array.isArray(data.sequenceTexts) || data.sequenceTexts.length !== data.lengths.length
      || !data.sequenceTexts.every((n) => Number.isInteger(n) && (n as number) >= 0))) {
      throw new Error('"sequenceTexts" should give a text index for every sequence.');
    }
    return data as unknown as ProfileResult;
  } catch (err) {
    throw new Error(`${name} is not an Attention Inspector profile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- Saving next to the input without clobbering an earlier result ----------------------------------------

/**
 * The first free name in the series `x.attention-profile.json`, `x.attention-profile-2.json`, `-3`, …
 * (`exists` answers for a full path). Works for any `*.json` path: the counter goes before `.json`.
 */
export async function freeProfilePath(file: string, exists: (p: string) => Promise<boolean>, limit = 999): Promise<string> {
  if (!(await exists(file))) return file;
  const stem = file.replace(/(-\d+)?\.json$/i, '');
  for (let n = 2; n <= limit; n++) {
    const candidate = `${stem}-${n}.json`;
    if (!(await exists(candidate))) return candidate;
  }
  throw new Error(`No free name for ${file}: ${limit} earlier profiles are in the way.`);
}

export type SaveChoice = 'overwrite' | 'newName' | 'cancel';

/**
 * Where to write a profile whose default path is `file`: the path itself when it is free; otherwise what
 * `ask` chooses (Overwrite, Save as the next free name, or Cancel = undefined). `ask` gets the free name to offer.
 */
export async function resolveSavePath(file: string, exists: (p: string) => Promise<boolean>,
  ask: (existing: string, freeName: string) => Promise<SaveChoice>): Promise<string | undefined> {
  if (!(await exists(file))) return file;
  const free = await freeProfilePath(file, exists);
  const choice = await ask(file, free);
  return choice === 'overwrite' ? file : choice === 'newName' ? free : undefined;
}

/** "24 / 64 texts · 3,100 / 9,800 tokens · about 1:15 min left" (notification and view say the same). */
export function profileProgressText(p: { done: number; total: number; tokensDone?: number; tokensTotal?: number; etaSeconds?: number }): string {
  const parts = [`${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} texts`];
  if (p.tokensDone !== undefined && p.tokensTotal !== undefined && p.tokensTotal > 0) {
    parts.push(`${p.tokensDone.toLocaleString('en-US')} / ${p.tokensTotal.toLocaleString('en-US')} tokens`);
  }
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds) && p.done < p.total) parts.push(`about ${formatSeconds(p.etaSeconds)} left`);
  return parts.join(' · ');
}

/** 42 s, 1:15 min, 2 h 5 min. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
