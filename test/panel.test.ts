// The attention panel webview in a real browser (Debian chromium via playwright-core), driven by
// the harness in test/webview (mocked acquireVsCodeApi + a fake host with synthetic attention).
// Also unit tests of the pure parts: the webview HTML shell and the head colours.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { FromPanelMessage } from '../src/protocol';
import { contentSecurityPolicy, renderWebviewHtml } from '../src/extension/webviewHtml';
import { headColors, hexToRgb } from '../webview/panel/colors';
import { buildForHarness, startHarnessServer, type HarnessServer } from './webview/server';
import { launchChromium, openHarness, type Browser } from './webview/browser';

const T = 12, L = 3, H = 4;

test('renderWebviewHtml: strict CSP with the nonce, escaped inputs, one nonce\'d script', () => {
  const html = renderWebviewHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'abcDEF0123456789xyz', scriptUri: 'https://x/panel.js?a=1&b="2"',
    styleUris: ['https://x/panel.css'], title: 'Attention <test>', bodyClass: 'attention-panel',
  });
  assert.match(html, /default-src 'none'; script-src 'nonce-abcDEF0123456789xyz'; style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net;/);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  assert.match(html, /<script nonce="abcDEF0123456789xyz" src="https:\/\/x\/panel\.js\?a=1&amp;b=&quot;2&quot;"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/x\/panel\.css">/);
  assert.match(html, /<title>Attention &lt;test&gt;<\/title>/);
  assert.match(html, /<body class="attention-panel">/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.throws(() => renderWebviewHtml({ cspSource: 'x', nonce: 'short"><script>', scriptUri: 'a', styleUris: [], title: 't' }), /nonce/);
  assert.match(contentSecurityPolicy('vscode-src', 'N0nceN0nceN0nce1'), /img-src vscode-src data: blob:; font-src vscode-src$/);
});

test('head colours: 25 heads (gpt2-xl) get 25 clearly different colours in both themes', () => {
  for (const dark of [true, false]) {
    const colors = headColors(25, dark);
    assert.equal(new Set(colors).size, 25);
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) {
        const a = hexToRgb(colors[i]), b = hexToRgb(colors[j]);
        const dist = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        assert.ok(dist > 25, `heads ${i} and ${j} too similar: ${colors[i]} vs ${colors[j]} (${dist.toFixed(1)})`);
      }
    }
  }
});

let server: HarnessServer | undefined;
let browser: Browser | undefined;

before(async () => {
  await buildForHarness(false);
  server = await startHarnessServer();
  // Fails (does not skip) with a clear message when chromium is missing.
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function posted(page: Page): Promise<FromPanelMessage[]> {
  return page.evaluate(() => window.__harness.posted);
}

async function waitForPosted(page: Page, type: FromPanelMessage['type'], since = 0): Promise<FromPanelMessage> {
  await page.waitForFunction(([t, s]) => window.__harness.posted.slice(s as number).some((m) => m.type === t), [type, since] as const, { timeout: 15_000 });
  return (await posted(page)).slice(since).find((m) => m.type === type)!;
}

/** Pixels of a canvas (selector) in a region (fractions of its size) that differ from the editor background. */
async function inkPixels(page: Page, selector: string, region = { x0: 0, x1: 1, y0: 0, y1: 1 }): Promise<number> {
  return page.evaluate(([sel, r]) => {
    const canvas = document.querySelector(sel as string) as HTMLCanvasElement | null;
    if (!canvas || canvas.width === 0) return -1;
    const g = canvas.getContext('2d')!;
    const { x0, x1, y0, y1 } = r as { x0: number; x1: number; y0: number; y1: number };
    const x = Math.floor(x0 * canvas.width), y = Math.floor(y0 * canvas.height);
    const w = Math.max(1, Math.floor((x1 - x0) * canvas.width)), h = Math.max(1, Math.floor((y1 - y0) * canvas.height));
    const d = g.getImageData(x, y, w, h).data;
    const bg = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim();
    const n = Number.parseInt(bg.slice(1), 16);
    const [br, bgc, bb] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - br) + Math.abs(d[i + 1] - bgc) + Math.abs(d[i + 2] - bb) > 30) ink++;
    return ink;
  }, [selector, region] as const);
}

/** Poll until the canvas has more than `min` ink pixels (rendering happens on animation frames). */
async function expectInk(page: Page, selector: string, min: number, message: string, region?: { x0: number; x1: number; y0: number; y1: number }): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    last = await inkPixels(page, selector, region);
    if (last > min) return;
    await page.waitForTimeout(50);
  }
  assert.fail(`${message}: only ${last} non-background pixels in ${selector} (want > ${min})`);
}

async function showTab(page: Page, id: string): Promise<void> {
  await page.click(`vscode-tab-header[data-tab="${id}"]`);
  await page.waitForFunction((t) => (window.__harness.state as { tab?: string } | undefined)?.tab === t, id);
}

test('panel in chromium: tokens, head view, model view, heatmaps, query selection, exports, banners', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme: 'dark' });
  await waitForPosted(page, 'ready');
  const req = await waitForPosted(page, 'requestLayer');
  assert.deepEqual(req, { type: 'requestLayer', analysisId: 1, layer: 0, encoding: 'f32' });

  // Tokens are listed (shared token picker) with the synthetic text.
  await page.waitForSelector('.token-strip .token');
  const tokens = await page.$$eval('.token-strip .token', (els) => els.map((e) => e.textContent));
  assert.equal(tokens.length, T);
  assert.deepEqual(tokens.slice(0, 5), ['The', ' dog', ' on', ' the', ' ship']);
  assert.match(await page.textContent('.title-row') ?? '', /gpt2.*12 tokens/s);

  // Head view: lines between the two columns (the middle of the canvas, below its header).
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 15_000 });
  await expectInk(page, '.head-canvas', 200, 'head view draws attention lines', { x0: 0.45, x1: 0.55, y0: 0.15, y1: 1 });
  await expectInk(page, '.head-canvas', 2000, 'head view draws tokens');
  assert.equal(await page.$$eval('.head-toggle', (b) => b.length), H);

  // Clicking a query token in the head view posts queryChanged.
  const box = (await page.$('.head-canvas'))!;
  const rect = (await box.boundingBox())!;
  const rowY = (i: number) => 26 + 6 + i * 20 + 10;
  let since = (await posted(page)).length;
  await page.mouse.click(rect.x + rect.width / 2 - 210 - 12, rect.y + rowY(3));
  assert.deepEqual(await waitForPosted(page, 'queryChanged', since), { type: 'queryChanged', analysisId: 1, query: 3, layer: 0, head: null });

  // Head toggles: double-click solos a head; the last queryChanged then reports that head.
  await page.dblclick('.head-toggle >> nth=2');
  await page.waitForFunction(() => JSON.stringify((window.__harness.state as { visibleHeads?: number[] }).visibleHeads) === '[2]');
  assert.deepEqual((await posted(page)).filter((x) => x.type === 'queryChanged').at(-1), { type: 'queryChanged', analysisId: 1, query: 3, layer: 0, head: 2 });
  assert.deepEqual(await page.$$eval('.head-toggle', (b) => b.map((x) => x.getAttribute('aria-pressed'))), ['false', 'false', 'true', 'false']);

  // The token strip is the shared picker.
  since = (await posted(page)).length;
  await page.click('.token-strip .token >> nth=7');
  assert.deepEqual(await waitForPosted(page, 'queryChanged', since), { type: 'queryChanged', analysisId: 1, query: 7, layer: 0, head: 2 });

  // Exports of the head view: PNG data URL and an SVG document with lines.
  since = (await posted(page)).length;
  await page.click('vscode-button:has-text("PNG")');
  const png = await waitForPosted(page, 'export', since);
  assert.ok(png.type === 'export' && png.format === 'png' && png.view === 'head');
  assert.match(png.data, /^data:image\/png;base64,[A-Za-z0-9+/]{500,}/);
  since = (await posted(page)).length;
  await page.click('vscode-button:has-text("SVG")');
  const svg = await waitForPosted(page, 'export', since);
  assert.ok(svg.type === 'export' && svg.format === 'svg');
  assert.match(svg.data, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg.data, /<path d="M/);
  assert.match(svg.data, />ship</);

  // Model view: thumbnails requested and drawn.
  await showTab(page, 'model');
  const thumbReq = await waitForPosted(page, 'requestThumbnails');
  assert.ok(thumbReq.type === 'requestThumbnails' && thumbReq.size > 0);
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:model:firstPaint').length > 0, undefined, { timeout: 15_000 });
  await expectInk(page, '.model-canvas', 5000, 'model view draws thumbnails');

  // Clicking a thumbnail opens the heatmap of that layer and head.
  const m = (await (await page.$('.model-canvas'))!.boundingBox())!;
  await page.mouse.click(m.x + m.width / 2, m.y + 60);
  await page.waitForFunction(() => (window.__harness.state as { tab?: string }).tab === 'heatmap');

  // Heatmaps: one head, then the grid (by block) and by layer; all non-blank.
  await expectInk(page, '.heatmap-canvas', 5000, 'heatmap draws');
  since = (await posted(page)).length;
  await page.click('vscode-button:has-text("PNG")');
  const heatPng = await waitForPosted(page, 'export', since);
  assert.ok(heatPng.type === 'export' && heatPng.view === 'heatmap' && heatPng.data.startsWith('data:image/png;base64,'));
  since = (await posted(page)).length;
  await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'svg' }));
  const heatSvg = await waitForPosted(page, 'export', since);
  assert.ok(heatSvg.type === 'export' && heatSvg.view === 'heatmap');
  assert.match(heatSvg.data, /<svg[^>]*>/);
  assert.match(heatSvg.data, /<rect x=/);
  assert.match(heatSvg.data, /<polygon/, 'the causal mask is drawn');

  // Switch the layout through the UI select (vscode-single-select keeps its value property).
  await page.evaluate(() => {
    const selects = Array.from(document.querySelectorAll('.heatmap-view vscode-single-select')) as (HTMLElement & { value: string })[];
    selects[0].value = 'grid';
    selects[0].dispatchEvent(new Event('change'));
    selects[1].value = 'layer';
    selects[1].dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => {
    const s = window.__harness.state as { heatmapLayout?: string; browse?: string };
    return s.heatmapLayout === 'grid' && s.browse === 'layer';
  });
  // By layer needs every layer of the head: bulk requests in u8.
  await page.waitForFunction((n) => window.__harness.posted.filter((x) => x.type === 'requestLayer').length >= n, L);
  const encodings = (await posted(page)).filter((x) => x.type === 'requestLayer').map((x) => (x as { encoding: string }).encoding);
  assert.ok(encodings.includes('u8'), 'bulk layers are requested as u8');
  await expectInk(page, '.heatmap-canvas', 5000, 'grid draws');

  // Tokens view: a table row per token; clicking one posts queryChanged.
  await showTab(page, 'tokens');
  await page.waitForSelector('.tokens-table tbody tr');
  assert.equal(await page.$$eval('.tokens-table tbody tr', (r) => r.length), T);
  since = (await posted(page)).length;
  await page.click('.tokens-table tbody tr >> nth=5');
  const q5 = await waitForPosted(page, 'queryChanged', since);
  assert.ok(q5.type === 'queryChanged' && q5.query === 5);

  // Flow view renders, and exports as SVG polylines.
  await showTab(page, 'flow');
  await expectInk(page, '.flow-canvas', 2000, 'flow chart draws');
  since = (await posted(page)).length;
  await page.click('vscode-button:has-text("SVG")');
  const flowSvg = await waitForPosted(page, 'export', since);
  assert.ok(flowSvg.type === 'export' && /<polyline/.test(flowSvg.data));

  // Host messages: selectQuery, stale, error, progress, truncation; follow cursor and JSON export.
  await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 9 }));
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 9);
  await page.waitForSelector('.token-strip .token[data-index="9"][aria-selected="true"]');
  await page.evaluate(() => window.__harness.send({ type: 'stale', analysisId: 1 }));
  await page.waitForSelector('.stale-banner', { state: 'visible' });
  await page.evaluate(() => window.__harness.send({ type: 'error', message: 'The model failed to load' }));
  await page.waitForSelector('.error-banner:has-text("The model failed to load")', { state: 'visible' });
  await page.evaluate(() => window.__harness.send({ type: 'progress', message: 'Running gpt2…' }));
  await page.waitForSelector('.progress:has-text("Running gpt2")', { state: 'visible' });
  await page.evaluate(() => { window.__harness.shape.truncated = true; window.__harness.shape.note = 'No selection: analyzed the current paragraph'; window.__harness.sendAnalysis(); });
  await page.waitForSelector('.warn-badge:has-text("input cut at 12 tokens")', { state: 'visible' });
  await page.waitForSelector('.note:has-text("No selection")', { state: 'visible' });
  assert.equal(await page.isVisible('.stale-banner'), false, 'a new analysis clears the stale banner');
  since = (await posted(page)).length;
  await page.click('vscode-checkbox:has-text("Follow cursor")');
  assert.deepEqual(await waitForPosted(page, 'followCursor', since), { type: 'followCursor', enabled: true });
  since = (await posted(page)).length;
  await page.click('vscode-button:has-text("JSON")');
  assert.deepEqual(await waitForPosted(page, 'exportJson', since), { type: 'exportJson' });

  // Persisted UI state.
  const state = await page.evaluate(() => window.__harness.state as Record<string, unknown>);
  assert.equal(state.tab, 'flow');
  assert.deepEqual(state.visibleHeads, [2]);
  assert.equal(state.followCursor, true);

  assert.deepEqual(errors, [], 'no page errors or CSP violations');
  await page.close();
});

test('panel restores persisted state and survives a light theme switch', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme: 'light', tab: 'heatmap' });
  await waitForPosted(page, 'ready');
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:heatmap:firstPaint').length > 0, undefined, { timeout: 15_000 });
  assert.equal(await page.getAttribute('vscode-tab-header[data-tab="heatmap"]', 'aria-selected'), 'true');
  await expectInk(page, '.heatmap-canvas', 5000, 'heatmap draws in the light theme');
  const lightBg = await page.evaluate(() => (document.querySelector('.heatmap-canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(2, 2, 1, 1).data.join());
  await page.evaluate(() => window.__harness.setTheme('dark'));
  await page.waitForFunction((before) => (document.querySelector('.heatmap-canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(2, 2, 1, 1).data.join() !== before, lightBg);
  await expectInk(page, '.heatmap-canvas', 5000, 'redrawn after the theme change');
  assert.deepEqual(errors, []);
  await page.close();
});
