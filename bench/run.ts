// `npm run bench`: every benchmark in its own process (so peak RSS is its own), one JSON document out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const targets = {
  engine: 'T=128 ≤ 250 ms, T=1024 ≤ 2500 ms, peak RSS ≤ 1536 MB (gpt2-small shape, 2 cores)',
  profile: '64 texts × ~60 tokens ≤ 10000 ms',
  webview: 'head view first paint ≤ 300 ms at T=512, model view ≤ 1000 ms at T=1024, tokens tab open ≤ 100 ms at T=1024, heatmap open ≤ 200 ms at T=1024',
  hover: 'hover answer ≤ 100 ms after analysis (T=1024, k=10)',
  generate: 'with the cache ≤ 30 ms per token at context 128; 200 new tokens ≥ 5× faster with the cache; +16 tokens on 512 incrementally ≤ 15 % of a full run',
  export: 'whole-view PNG/SVG exports at T=1024 (time, longest main-thread block, pixel size): no target, reported',
  jsonExport: 'JSON export forms at T=1000 (size estimate vs bytes written, write time): no target, reported',
  workbench: 'command-to-first-paint in code-server (model not loaded) ≤ 1.2× the CLI\'s cold load + run at T=1024, same run',
};

const results: Record<string, unknown> = { machine: { cpus: require('node:os').cpus().length, node: process.version }, targets };
for (const name of Object.keys(targets)) {
  const file = join(__dirname, `${name}.ts`);
  if (!existsSync(file)) {
    results[name] = { error: 'missing' };
    continue;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  try {
    results[name] = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  } catch {
    results[name] = { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  }
}
console.log(JSON.stringify(results, null, 2));
