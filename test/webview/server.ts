// A tiny local server (127.0.0.1, random port) for the panel harness. The page is the real webview
// shell from renderWebviewHtml (same CSP), with the harness script injected before the panel.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { createNonce, renderWebviewHtml } from '../../src/extension/webviewHtml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PANEL_JS = path.join(REPO_ROOT, 'dist', 'webview', 'panel.js');
const HARNESS_JS = path.join(REPO_ROOT, 'dist', 'webview', 'harness.js');

/** Build the panel bundle (node esbuild.mjs) if missing, and always (re)build the harness bundle. */
export async function buildForHarness(forcePanel = false): Promise<void> {
  if (forcePanel || !fs.existsSync(PANEL_JS)) {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  if (!fs.existsSync(PANEL_JS)) throw new Error(`${PANEL_JS} is missing after running node esbuild.mjs`);
  await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'test', 'webview', 'harness.ts')], outfile: HARNESS_JS,
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', logLevel: 'warning',
  });
}

export interface HarnessServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png' };

function page(origin: string): string {
  const nonce = createNonce();
  const html = renderWebviewHtml({
    cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/panel.js`,
    styleUris: [`${origin}/media/panel.css`], title: 'Attention (harness)', bodyClass: 'attention-panel',
  });
  const harness = `<script nonce="${nonce}" src="${origin}/dist/webview/harness.js"></script>\n    <script nonce="${nonce}" src="${origin}/dist/webview/panel.js">`;
  return html.replace(`<script nonce="${nonce}" src="${origin}/dist/webview/panel.js">`, harness);
}

export async function startHarnessServer(): Promise<HarnessServer> {
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/' || url.pathname === '/harness.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(origin));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const allowed = ['/dist/webview/', '/media/'];
    const file = path.normalize(path.join(REPO_ROOT, decodeURIComponent(url.pathname)));
    if (!allowed.some((p) => url.pathname.startsWith(p)) || !file.startsWith(REPO_ROOT) || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/harness.html`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
