// JSON export benchmark at T=1024 on the random-weight gpt2-small-shaped checkpoint: time to size every
// form (what the export quick pick waits for), then the write time and size of each form, and how close
// the float32 size estimate came. Prints JSON. Run: node --import tsx bench/jsonExport.ts
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine/engine';
import { estimateJsonSize, jsonSizeTable, writeAnalysisJson, type JsonExportOptions } from '../src/engine/jsonExport';
import { GPT2_SMALL_SHAPE, writeCheckpoint } from '../test/fixtures/checkpoint';

const modelDir = join(__dirname, '..', '.cache', 'bench', 'gpt2-small-random');
const T = 1024;
const words = 'the dog on the ship ran while a motor hummed and the sea was calm'.split(' ');
const text = Array.from({ length: T }, (_, i) => words[i % words.length]).join(' ');

async function main() {
  await writeCheckpoint(modelDir, GPT2_SMALL_SHAPE);
  const engine = new Engine();
  await engine.load(modelDir);
  const a = await engine.analyze(text, { topK: 10, maxTokens: T });
  const tok = engine.loaded!.tokenizer;
  const timings = { loadMs: engine.loaded!.loadMs, runMs: [a.timings.runMs] };
  const t0 = performance.now();
  const table = jsonSizeTable(a, tok, timings);
  const sizeTableMs = performance.now() - t0;
  const dir = mkdtempSync(join(tmpdir(), 'ai-bench-json-'));
  const forms: Record<string, unknown> = {};
  const cases: [string, JsonExportOptions][] = [['u8', { attention: 'u8' }], ['f16', { attention: 'f16' }], ['none', { attention: 'none' }],
    ['layer0', { attention: 'f32', layer: 0 }], ['full', { attention: 'f32' }]];
  try {
    for (const [name, o] of cases) {
      const est = estimateJsonSize(a, tok, timings, o);
      const file = join(dir, `${name}.json`);
      const out = createWriteStream(file);
      const closed = new Promise<void>((r) => out.on('close', () => r()));
      const t1 = performance.now();
      await writeAnalysisJson(out, a, tok, timings, o);
      out.end();
      await closed;
      const ms = performance.now() - t1;
      const bytes = statSync(file).size;
      rmSync(file);
      forms[name] = { bytes, MB: +(bytes / 2 ** 20).toFixed(1), writeMs: Math.round(ms), MBps: Math.round(bytes / 2 ** 20 / (ms / 1000)),
        estimated: est.bytes, exact: est.exact, errorPct: +((100 * (est.bytes - bytes)) / bytes).toFixed(3) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await engine.dispose();
  }
  console.log(JSON.stringify({ model: 'gpt2-small shape, random weights', tokens: a.length, sizeTableMs: Math.round(sizeTableMs), forms,
    table: { full: table.full.bytes, f16: table.f16.bytes, u8: table.u8.bytes, none: table.none.bytes } }, null, 2));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
