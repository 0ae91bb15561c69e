// Builds what the harness page loads: dist/webview/profile.js and dist/test/profile-harness.js (the mocked host),
// and returns the page's file URL. The view bundle is built here with the same options esbuild.mjs uses for
// webview entries, but alone: the test then always checks the current source, and a broken bundle elsewhere
// in the project (extension, panel) cannot stop it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const REPO = resolve(__dirname, '..', '..');
export const HARNESS_HTML = join(REPO, 'test', 'webview', 'profile-harness.html');

const WEBVIEW_OPTIONS = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', logLevel: 'warning' } as const;

/** Build the view (when missing, or always with `rebuild`) and the harness host script. */
export async function buildHarness(opts: { rebuild?: boolean } = {}): Promise<string> {
  const view = join(REPO, 'dist', 'webview', 'profile.js');
  if (opts.rebuild || !existsSync(view)) {
    await esbuild.build({ ...WEBVIEW_OPTIONS, sourcemap: true, entryPoints: [join(REPO, 'webview', 'profile', 'main.ts')], outfile: view });
  }
  await esbuild.build({
    ...WEBVIEW_OPTIONS,
    entryPoints: [join(REPO, 'test', 'webview', 'profile-harness.ts')],
    outfile: join(REPO, 'dist', 'test', 'profile-harness.js'),
  });
  return pathToFileURL(HARNESS_HTML).href;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh headless Chromium (own user-data-dir). Throws a clear error when Chromium is not installed. */
export async function launchChromium(viewport: { width: number; height: number }, deviceScaleFactor = 1) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  const { chromium } = await import('playwright-core');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const userDataDir = mkdtempSync(join(tmpdir(), 'profile-harness-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, deviceScaleFactor,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
