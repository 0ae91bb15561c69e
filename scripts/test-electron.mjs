#!/usr/bin/env node
// Integration tests in a real VS Code desktop, via @vscode/test-electron (downloads VS Code, so it needs
// internet access to update.code.visualstudio.com). Not part of `npm test`. Usage:
//   npm install --no-save @vscode/test-electron && npm run test:electron
//   ATTENTION_INSPECTOR_MODEL=/path/to/gpt2-folder npm run test:electron   (also runs Show Attention)
import * as esbuild from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('test:electron needs @vscode/test-electron, which is not installed.\n' +
    'Install it with `npm install --no-save @vscode/test-electron` on a machine that can download VS Code,\n' +
    'or use the code-server end-to-end tests (npm run test:e2e) instead.');
  process.exit(2);
}

const outfile = join(root, 'dist', 'test', 'electron', 'index.js');
await esbuild.build({
  entryPoints: [join(root, 'test', 'electron', 'index.ts')], outfile, bundle: true, platform: 'node',
  target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'warning',
});
const userDir = mkdtempSync(join(tmpdir(), 'attention-inspector-user-'));
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: outfile,
    launchArgs: ['--disable-extensions', `--user-data-dir=${userDir}`],
  });
} catch (err) {
  console.error(`Integration tests failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
