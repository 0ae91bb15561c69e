// One esbuild script, several entries: Node bundle (extension, engine worker, CLI) and browser
// bundles (panel, layer profile view). onnxruntime-node stays external (native addon).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const node = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true,
  external: ['vscode', 'onnxruntime-node'], logLevel: 'warning',
};
const nodeEntries = [
  ['src/extension/main.ts', 'dist/extension.js'],
  ['src/engine/worker.ts', 'dist/worker.js'],
  ['src/cli.ts', 'dist/cli.js'],
].filter(([src]) => existsSync(src));
const webEntries = [
  ['webview/panel/main.ts', 'dist/webview/panel.js'],
  ['webview/profile/main.ts', 'dist/webview/profile.js'],
].filter(([src]) => existsSync(src));

const builds = [
  ...nodeEntries.map(([src, out]) => ({ ...node, entryPoints: [src], outfile: out,
    banner: out.endsWith('cli.js') ? { js: '#!/usr/bin/env node' } : undefined })),
  ...webEntries.map(([src, out]) => ({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife',
    sourcemap: true, entryPoints: [src], outfile: out, logLevel: 'warning' })),
];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
