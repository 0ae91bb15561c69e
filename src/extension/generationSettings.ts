// The Generation defaults from the `attentionInspector.generate.*` settings, parsed purely (no runtime
// `vscode` import) so it can be unit-tested. Out-of-range values fall back to the defaults.
import type { GenerationSettings } from '../engine/generationTypes';

export const GENERATION_DEFAULTS: GenerationSettings = { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0, maxNewTokens: 20 };

type Getter = (key: string) => unknown;

function pick(get: Getter, key: string, ok: (v: number) => boolean, fallback: number): number {
  const v = get(key);
  return typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fallback;
}

/** Parse `generate.*` keys from a getter over the `attentionInspector` section. */
export function parseGenerationSettings(get: Getter): GenerationSettings {
  const d = GENERATION_DEFAULTS;
  const strategy = get('generate.strategy');
  return {
    strategy: strategy === 'sample' || strategy === 'greedy' ? strategy : d.strategy,
    temperature: pick(get, 'generate.temperature', (v) => v >= 0 && v <= 100, d.temperature),
    topK: pick(get, 'generate.topK', (v) => Number.isInteger(v) && v >= 0, d.topK),
    topP: pick(get, 'generate.topP', (v) => v > 0 && v <= 1, d.topP),
    seed: pick(get, 'generate.seed', (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, d.seed),
    maxNewTokens: pick(get, 'generate.maxNewTokens', (v) => Number.isInteger(v) && v >= 1 && v <= 4096, d.maxNewTokens),
  };
}
