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
    return data as unknown as ProfileResult;
  } catch (err) {
    throw new Error(`${name} is not an Attention Inspector profile: ${err instanceof Error ? err.message : String(err)}`);
  }
}
