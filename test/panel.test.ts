// The attention panel webview in a real browser (Debian chromium via playwright-core), driven by
// the harness in test/webview (mocked acquireVsCodeApi + a fake host with synthetic attention).
// Also unit tests of the pure parts: the webview HTML shell and the head colours.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { FromPanelMessage } from '../src/protocol';
import { contentSecurityPolicy, renderWebviewHtml } from '../src/extension/webviewHtml';
import { headColors, hexToRgb } from '../webview/panel/colors';
import { isFromPanelMessage } from '../src/protocol';
import { pngScaleNote } from '../webview/panel/exportDialog';
import { buildForHarness, startHarnessServer, type HarnessServer } from './webview/server';
import { launchChromium, openHarness, type Browser } from './webview/browser';
import { sidewaysOverflow } from './webview/overflow';
import { AnalysisStore, describeChar, displayToken, tokenLabels } from '../webview/panel/data';
import { computeRow } from '../webview/panel/views/tokensView';
import { buildTokensExport } from '../webview/panel/views/tokensExport';
import { exportTheme, type Theme } from '../webview/panel/colors';
import { encodeLayer, syntheticLayer, syntheticSummary, syntheticThumbnailsAndFlow, syntheticTokens } from './webview/synthetic';
import { GPT2Tokenizer } from '../src/engine/tokenizer';
import { gpt2TokenizerJson } from './fixtures/gpt2Tokenizer';

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

test('layer cache: prefetch asks for the nearest layers that fit the budget, never evicts, keeps the layer on screen', () => {
  const shape = { T: 8, L: 6, H: 2, seed: 1, analysisId: 3 };
  const summary = syntheticSummary(shape, syntheticThumbnailsAndFlow(shape, 8).flow);
  const asked: string[] = [];
  const f32 = shape.H * shape.T * shape.T * 4;
  // Room for three f32 layers.
  const store = new AnalysisStore(summary, (l, e) => asked.push(`${l}:${e}`), () => undefined, 3 * f32);
  const send = (l: number) => store.addLayer(l, 'f32', encodeLayer(syntheticLayer(shape, l), 'f32'));
  store.need(2, 'f32');
  assert.deepEqual(store.prefetch(2), [3, 1], 'nearest first, as far as the budget goes (one on screen + two)');
  assert.deepEqual(store.prefetch(2), [], 'nothing twice while pending');
  assert.deepEqual(asked, ['2:f32', '3:f32', '1:f32']);
  send(2); send(3); send(1);
  assert.deepEqual(store.cachedLayers(), [1, 2, 3]);
  assert.deepEqual(store.prefetch(2), [], 'the cache is full: a prefetch never evicts');
  // Stepping to 3: a needed layer evicts the least recently used one, never the layer on screen.
  store.prefetch(3);
  store.need(4, 'f32');
  send(4);
  assert.ok(store.peek(3), 'the layer on screen stays');
  assert.equal(store.cachedLayers().length, 3);
  // Large layers are prefetched in u8 (a quarter of the bytes).
  const big = { T: 1024, L: 4, H: 4, seed: 1, analysisId: 4 };
  const bigSummary = { ...syntheticSummary({ ...big, T: 8 }, new Float32Array(big.L * big.H * 2)), tokens: syntheticTokens(big.T), model: { ...summary.model, layers: big.L, heads: big.H } };
  const bigAsked: string[] = [];
  const bigStore = new AnalysisStore(bigSummary, (l, e) => bigAsked.push(`${l}:${e}`), () => undefined);
  bigStore.need(0, 'f32');
  bigStore.prefetch(0);
  assert.deepEqual(bigAsked, ['0:f32', '1:u8', '2:u8']);
});

test('token labels with the real GPT-2 tokenizer: split characters show on their first token, no "�" anywhere', () => {
  const tokenizer = GPT2Tokenizer.fromJson(gpt2TokenizerJson());
  const text = 'Hi 😀! 日本語 and 🤖🤖 done';
  const { tokens } = tokenizer.encode(text);
  const labels = tokenLabels(tokens, text);
  assert.ok(tokens.some((t) => t.text.includes('\uFFFD')), 'the test text has split characters');
  for (const [i, l] of labels.entries()) {
    assert.ok(!l.text.includes('\uFFFD'), `token ${i} ${JSON.stringify(tokens[i].text)} is shown as ${JSON.stringify(l.text)}`);
    if (tokens[i].start === tokens[i].end) assert.ok(l.continues && l.text === '', `token ${i} (empty range) is a continuation`);
  }
  // Without the marks, the labels spell the text (whitespace made visible).
  assert.equal(labels.map((l) => l.text).join('').replace(/·/g, ' '), text);
  const emoji = labels.findIndex((l) => l.split?.char === '😀');
  assert.ok(emoji >= 0, 'the emoji is split');
  assert.match(labels[emoji].text, /😀/);
  assert.equal(labels[emoji].split!.part, 1);
  assert.equal(labels[emoji + 1].split!.part, 2);
  assert.equal(describeChar('😀'), 'U+1F600 😀');
  // No source text (an older host): the token texts as before.
  assert.deepEqual(tokenLabels(tokens, undefined).map((l) => l.text), tokens.map((t) => displayToken(t.text)));
});

test('tokens export scene: every row of the range in blocks of at most 256 rows, title, subtitle with the range, legend', () => {
  const shape = { T: 600, L: 1, H: 2, seed: 2, analysisId: 5 };
  const summary = syntheticSummary(shape, new Float32Array(shape.L * shape.H * 2));
  const store = new AnalysisStore(summary, () => undefined, () => undefined);
  const layer = store.addLayer(0, 'f32', encodeLayer(syntheticLayer(shape, 0), 'f32'));
  const rows = Array.from({ length: 300 }, (_, i) => computeRow(store, layer, null, 100 + i));
  const theme = exportTheme({ fontFamily: 'sans-serif', monoFamily: 'monospace', fontSize: 13 } as Theme, 'white');
  const scene = buildTokensExport(rows, { theme, background: 'white', title: 'test-small · Tokens', subtitle: 'layer 0 · mean of heads', total: shape.T, query: 150, fonts: { ui: 'sans-serif', mono: 'monospace' } });
  const texts = scene.items.filter((it) => it.kind === 'text').map((it) => (it as { text: string }).text);
  assert.ok(texts.includes('test-small · Tokens'));
  assert.ok(texts.some((t) => t.includes('tokens 100–399 of 600')), 'the subtitle names the range');
  assert.ok(texts.some((t) => t.includes('attention weight of the key')), 'a legend');
  assert.ok(texts.some((t) => t.includes('selected query (#150)')));
  for (const i of [100, 250, 399]) assert.ok(texts.includes(String(i)), `row ${i} is drawn`);
  assert.ok(!texts.includes('99') && !texts.includes('400'), 'rows outside the range are not');
  assert.equal(texts.filter((t) => t === 'Predicted next').length, 2, 'two blocks of 150 rows');
  assert.equal(scene.background, '#ffffff');
  assert.ok(scene.width > scene.height / 3, `a printable shape: ${scene.width}×${scene.height}`);
});

test('export messages: note and pixel size are validated; the PNG scale drops only past the canvas limit', () => {
  assert.ok(isFromPanelMessage({ type: 'export', format: 'png', view: 'head', data: 'data:', note: 'saved at 1.5×', width: 800, height: 32767 }));
  assert.ok(isFromPanelMessage({ type: 'export', format: 'svg', view: 'model', data: '<svg/>' }));
  assert.equal(isFromPanelMessage({ type: 'export', format: 'png', view: 'head', data: '', note: 3 }), false);
  assert.equal(isFromPanelMessage({ type: 'export', format: 'png', view: 'head', data: '', width: -1 }), false);
  assert.equal(isFromPanelMessage({ type: 'export', format: 'png', view: 'head', data: '', height: 1.5 }), false);
  assert.deepEqual(pngScaleNote({ width: 500, height: 16000 }, 2), { scale: 2, note: null });
  const tall = pngScaleNote({ width: 500, height: 20000 }, 2);
  assert.ok(Math.abs(tall.scale - 32767 / 20000) < 1e-9);
  assert.equal(tall.note, 'saved at 1.63× instead of 2× (the browser\'s canvas limit is 32,767 px per side)');
  assert.equal(pngScaleNote({ width: 500, height: 20000 }, 1).note, null);
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
  // Only that message crosses back (exports are megabytes: never copy all posted messages).
  return page.evaluate(([t, s]) => window.__harness.posted.slice(s as number).find((m) => m.type === t)!, [type, since] as const);
}

async function postedCount(page: Page): Promise<number> {
  return page.evaluate(() => window.__harness.posted.length);
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

/** The heatmap's Show select: one head, or a grid by block (heads of a layer) or by layer. */
async function setHeatmapShow(page: Page, value: 'single' | 'block' | 'layer'): Promise<void> {
  await page.evaluate((v) => {
    const select = document.querySelector('.heatmap-show vscode-single-select') as HTMLElement & { value: string };
    select.value = v;
    select.dispatchEvent(new Event('change'));
  }, value);
}

/** Export through the dialog (toolbar "Export…"): pick the format (and background), press Export. */
async function dialogExport(page: Page, format: 'png' | 'svg', background: 'theme' | 'white' = 'theme'): Promise<FromPanelMessage> {
  const since = await postedCount(page);
  await page.click('vscode-button:has-text("Export…")');
  await page.waitForSelector('dialog.export-dialog[open]');
  await page.check(`dialog.export-dialog input[name="export-format"][value="${format}"]`);
  await page.check(`dialog.export-dialog input[name="export-background"][value="${background}"]`);
  await page.click('dialog.export-dialog button.export-ok');
  const m = await waitForPosted(page, 'export', since);
  assert.equal(await page.isVisible('dialog.export-dialog'), false, 'the dialog closes after exporting');
  return m;
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
  assert.match(await page.textContent('.title-row') ?? '', /synthetic-12x12.*12 tokens/s);

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

  // Exports of the head view (through the export dialog): PNG data URL and an SVG document with lines.
  const png = await dialogExport(page, 'png');
  assert.ok(png.type === 'export' && png.format === 'png' && png.view === 'head');
  assert.match(png.data, /^data:image\/png;base64,[A-Za-z0-9+/]{500,}/);
  const svg = await dialogExport(page, 'svg');
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
  const grid = (await page.$eval('.model-canvas', (c) => (c as HTMLCanvasElement).dataset.grid ?? '')).split(',').map(Number);
  await page.mouse.click(m.x + grid[0] + grid[2] / 2, m.y + grid[1] + grid[2] / 2);
  await page.waitForFunction(() => (window.__harness.state as { tab?: string }).tab === 'heatmap');

  // Heatmaps: one head, then the grid (by block) and by layer; all non-blank.
  await expectInk(page, '.heatmap-canvas', 5000, 'heatmap draws');
  const heatPng = await dialogExport(page, 'png');
  assert.ok(heatPng.type === 'export' && heatPng.view === 'heatmap' && heatPng.data.startsWith('data:image/png;base64,'));
  since = (await posted(page)).length;
  // The palette command opens the dialog with its format chosen.
  await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'svg' }));
  await page.waitForSelector('dialog.export-dialog[open]');
  assert.equal(await page.isChecked('dialog.export-dialog input[name="export-format"][value="svg"]'), true);
  await page.click('dialog.export-dialog button.export-ok');
  const heatSvg = await waitForPosted(page, 'export', since);
  assert.ok(heatSvg.type === 'export' && heatSvg.view === 'heatmap');
  assert.match(heatSvg.data, /<svg[^>]*>/);
  assert.match(heatSvg.data, /<rect x=/);
  assert.match(heatSvg.data, /<polygon/, 'the causal mask is drawn');

  // Switch the layout through the UI select (vscode-single-select keeps its value property).
  await setHeatmapShow(page, 'layer');
  await page.waitForFunction(() => {
    const s = window.__harness.state as { heatmapLayout?: string; browse?: string };
    return s.heatmapLayout === 'grid' && s.browse === 'layer';
  });
  // By layer needs every layer of the head (small layers are prefetched in f32 already; large ones come
  // in u8, see the prefetch test).
  await page.waitForFunction((n) => new Set(window.__harness.posted.filter((x) => x.type === 'requestLayer').map((x) => (x as { layer: number }).layer)).size >= n, L);
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
  const flowSvg = await dialogExport(page, 'svg');
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

/** Ink pixels (differing from the editor background) of a canvas inside a CSS-pixel rectangle. */
async function inkInRect(page: Page, selector: string, x: number, y: number, w: number, h: number): Promise<number> {
  return page.evaluate(([sel, rx, ry, rw, rh]) => {
    const canvas = document.querySelector(sel as string) as HTMLCanvasElement;
    const dpr = canvas.width / canvas.clientWidth;
    const d = canvas.getContext('2d')!.getImageData(Math.round((rx as number) * dpr), Math.round((ry as number) * dpr), Math.max(1, Math.round((rw as number) * dpr)), Math.max(1, Math.round((rh as number) * dpr))).data;
    const n = Number.parseInt(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim().slice(1), 16);
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - ((n >> 16) & 255)) + Math.abs(d[i + 1] - ((n >> 8) & 255)) + Math.abs(d[i + 2] - (n & 255)) > 30) ink++;
    return ink;
  }, [selector, x, y, w, h] as const);
}

async function headData(page: Page): Promise<Record<string, string>> {
  return page.$eval('.head-canvas', (c) => ({ ...(c as HTMLCanvasElement).dataset }) as Record<string, string>);
}

/** Export without the dialog (requestExport with options) and wait for the file. */
async function exportNow(page: Page, format: 'png' | 'svg', options: Record<string, unknown>): Promise<Extract<FromPanelMessage, { type: 'export' }>> {
  const since = await postedCount(page);
  await page.evaluate(([f, o]) => window.__harness.send({ type: 'requestExport', format: f as 'png' | 'svg', options: o as never }), [format, options] as const);
  const m = await waitForPosted(page, 'export', since);
  assert.ok(m.type === 'export');
  return m;
}

/** Natural size and the top-left pixel of a PNG data URL (decoded by the browser). */
async function pngInfo(page: Page, dataUrl: string): Promise<{ width: number; height: number; corner: number[] }> {
  return page.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 4; c.height = 4;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    return { width: img.naturalWidth, height: img.naturalHeight, corner: Array.from(g.getImageData(1, 1, 1, 1).data) };
  }, dataUrl);
}

test('head view at T=400: lines stay between visible rows, off-screen weight markers, per-head colour blocks, 320 px', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T: 400, L: 2, H: 4, theme: 'dark', tab: 'head' });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 15_000 });
  // Scroll to row 300: the keys most queries attend to (the first tokens) are far above.
  await page.$eval('.head-scroll', (e) => { e.scrollTop = 26 + 6 + 300 * 20; });
  await page.waitForFunction(() => Number((document.querySelector('.head-canvas') as HTMLCanvasElement).dataset.rows?.split('-')[0]) >= 299);
  const d = await headData(page);
  assert.ok(Number(d.markers) > 10, `queries get an off-screen weight marker (${d.markers})`);
  const rowsTop = 26 + 20;
  assert.ok(await inkInRect(page, '.head-canvas', Number(d.markX), rowsTop, 30, 400) > 300, 'the markers are drawn next to the queries');
  assert.match(await page.textContent('.head-hint') ?? '', /▲ bar: weight on keys scrolled out above/);

  // The same window as an SVG export of rows 300..339: every line ends on a row of the range.
  const svg = await exportNow(page, 'svg', { range: { start: 300, end: 340 }, title: 'synthetic test-small' });
  const ys: number[] = [];
  for (const m of svg.data.matchAll(/<path d="([^"]+)" stroke="(#[0-9a-f]{6})"/g)) {
    for (const seg of m[1].matchAll(/[ML]([\d.]+) ([\d.]+)/g)) ys.push(Number(seg[2]));
  }
  assert.ok(ys.length > 100, `lines are exported (${ys.length} endpoints)`);
  const tokenYs = [...svg.data.matchAll(/<text x="[\d.]+" y="([\d.]+)"[^>]*font-size="13"[^>]*>/g)].map((m) => Number(m[1]));
  const lo = Math.min(...tokenYs), hi = Math.max(...tokenYs);
  assert.ok(ys.every((y) => y >= lo - 0.5 && y <= hi + 0.5), `line ends lie between the first and last row (${lo}..${hi}); got ${Math.min(...ys)}..${Math.max(...ys)}`);
  assert.ok((svg.data.match(/<polygon/g) ?? []).length >= 20, 'off-range markers (▲) in the export');
  assert.match(svg.data, /weight on keys before #300/, 'the legend explains the markers');

  // A focused query: an edge note says how much weight goes to keys above; each key shows every head's block.
  await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 350 }));
  await page.waitForFunction(() => /▲ 0\.\d\d of the weight on \d+ keys above/.test(document.querySelector('.head-hint')?.textContent ?? ''));
  const focused = await headData(page);
  assert.ok(focused.blockHeads.split(',').length >= 2, `several heads show colour blocks on the keys (${focused.blockHeads})`);
  const keyX = Number(focused.keyX), colW = Number(focused.colW);
  const box = (await (await page.$('.head-canvas'))!.boundingBox())!;
  const withBlocks = await inkInRect(page, '.head-canvas', keyX, rowsTop, colW, box.height - rowsTop);
  // Clearing the query removes the blocks.
  await page.focus('.head-canvas');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => (document.querySelector('.head-canvas') as HTMLCanvasElement).dataset.blockHeads === '');
  const without = await inkInRect(page, '.head-canvas', keyX, rowsTop, colW, box.height - rowsTop);
  assert.ok(withBlocks > without + 200, `colour blocks add ink to the key column (${withBlocks} vs ${without})`);

  // 320 px: both columns fit; labels are cut with an ellipsis rather than clipped at the edge.
  await page.setViewportSize({ width: 320, height: 800 });
  await page.waitForFunction(() => {
    const c = document.querySelector('.head-canvas') as HTMLCanvasElement;
    return c.clientWidth <= 320 && Number(c.dataset.keyX) + Number(c.dataset.colW) <= c.clientWidth;
  });
  const narrow = await headData(page);
  assert.ok(Number(narrow.colW) >= 44, `columns stay usable (${narrow.colW} px)`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('model view at T=200: legend names the scale; shared vs per-thumbnail scale changes the pixels', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T: 200, L: 3, H: 4, theme: 'dark', tab: 'model' });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:model:firstPaint').length > 0, undefined, { timeout: 15_000 });
  await expectInk(page, '.model-canvas', 5000, 'thumbnails drawn');
  const hash = () => page.$eval('.model-canvas', (c) => {
    const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
    let h = 0, sum = 0;
    for (let i = 0; i < d.length; i += 4) { h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0; sum += d[i] + d[i + 1] + d[i + 2]; }
    return { h, sum };
  });
  assert.match(await page.getAttribute('.model-canvas', 'aria-label') ?? '', /Per-thumbnail scale: each thumbnail from 0 to its own maximum/);
  const each = await hash();
  await page.evaluate(() => {
    const sel = document.querySelector('.thumb-scale vscode-single-select') as HTMLElement & { value: string };
    sel.value = 'shared';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => /Shared scale: one maximum \(0\.\d{3}\) for all thumbnails/.test(document.querySelector('.model-canvas')?.getAttribute('aria-label') ?? ''));
  await page.waitForTimeout(100);
  const shared = await hash();
  assert.notEqual(shared.h, each.h, 'the pixels change');
  assert.ok(shared.sum < each.sum, 'one shared maximum makes the thumbnails with smaller maxima darker');
  assert.equal((await page.evaluate(() => window.__harness.state as { thumbScale?: string })).thumbScale, 'shared', 'persisted');
  assert.deepEqual(errors, []);
  await page.close();
});

test('exports: the whole view at the chosen scale, white background, title and legend; the dialog warns when the scale must drop (T=1024)', async () => {
  const Tx = 120;
  const { page, errors } = await openHarness(browser!, server!.url, { T: Tx, L: 2, H: 3, theme: 'dark', tab: 'head' });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 15_000 });
  // A focused query keeps the picture simple (PNG encoding time grows with its detail).
  await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 100 }));
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 100);
  // Head view PNG at 2×: all 120 rows (the viewport shows ~35), size = whole view × 2, white background.
  const png = await exportNow(page, 'png', { scale: 2, background: 'white', title: 'synthetic test-small · head' });
  const info = await pngInfo(page, png.data);
  assert.deepEqual([info.width, info.height], [png.width, png.height], 'the reported size is the file\'s');
  assert.ok(info.height >= Tx * 20 * 2, `all rows at 2× (${info.height} px tall)`);
  assert.equal(info.width % 2, 0);
  assert.deepEqual(info.corner.slice(0, 3), [255, 255, 255], 'white background');
  const pngTheme = await exportNow(page, 'png', { scale: 1 });
  const t1 = await pngInfo(page, pngTheme.data);
  assert.equal(t1.width * 2, info.width, '1× is half as wide');
  assert.deepEqual(t1.corner.slice(0, 3), [0x1f, 0x1f, 0x1f], 'theme background (Dark Modern editor)');
  // SVG: title, legend (one entry per visible head, how to read the lines) and every token of both columns.
  const svg = await exportNow(page, 'svg', { background: 'white', title: 'synthetic test-small · head' });
  assert.match(svg.data, />synthetic test-small · head</);
  for (const h of [0, 1, 2]) assert.match(svg.data, new RegExp(`>H${h}<`), `legend entry for head ${h}`);
  assert.match(svg.data, />Layer 0: lines from query #100 /, "the legend says what the lines show");
  assert.match(svg.data, /opacity ∝/);
  assert.equal((svg.data.match(/font-size="13"/g) ?? []).length, 2 * Tx, 'both columns list every token');
  const part = await exportNow(page, 'svg', { range: { start: 10, end: 20 } });
  assert.equal((part.data.match(/font-size="13"/g) ?? []).length, 2 * 10, 'a range exports just its rows');

  // Model view: all layers × heads with the legend.
  await showTab(page, 'model');
  await expectInk(page, '.model-canvas', 3000, 'model view drawn');
  const mp = await exportNow(page, 'png', { scale: 3, background: 'white' });
  const mi = await pngInfo(page, mp.data);
  assert.deepEqual([mi.width, mi.height], [mp.width, mp.height]);
  assert.equal(mi.width % 3, 0);
  assert.deepEqual(mi.corner.slice(0, 3), [255, 255, 255]);
  const ms = await exportNow(page, 'svg', { title: 'synthetic test-small · model' });
  for (const label of ['L0', 'L1', 'H0', 'H2', 'Per-thumbnail scale', 'synthetic test-small · model']) assert.ok(ms.data.includes(`>${label}`), `model SVG has "${label}"`);
  assert.deepEqual(errors, []);
  await page.close();

  // T=1024: 2× would exceed the canvas limit; the dialog says so, and the file says at which scale it was saved.
  const long = await openHarness(browser!, server!.url, { T: 1024, L: 1, H: 2, theme: 'dark', tab: 'head' });
  await long.page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 30_000 });
  await long.page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 1000 }));
  await long.page.click('vscode-button:has-text("Export…")');
  await long.page.waitForSelector('dialog.export-dialog[open]');
  assert.match(await long.page.textContent('.export-summary') ?? '', /PNG, \d+ × 32767 px \(all 1024 tokens\)/);
  assert.match(await long.page.textContent('.export-warning') ?? '', /Too large for 2×: saved at 1\.\d+× instead of 2×/);
  await long.page.check('input[name="export-scale"][value="1"]');
  assert.equal(await long.page.textContent('.export-warning'), '', 'no warning at 1×');
  await long.page.check('input[name="export-scale"][value="2"]');
  await long.page.check('input[name="export-range"][value="range"]');
  await long.page.fill('.export-number >> nth=0', '2000');
  assert.match(await long.page.textContent('.export-warning') ?? '', /range must be/);
  assert.equal(await long.page.isDisabled('button.export-ok'), true);
  await long.page.fill('.export-number >> nth=0', '0');
  await long.page.fill('.export-number >> nth=0', '900');
  await long.page.fill('.export-number >> nth=1', '1023');
  assert.match(await long.page.textContent('.export-summary') ?? '', /PNG, \d+ × \d+ px \(tokens #900–#1023\)/);
  assert.equal(await long.page.textContent('.export-warning'), '', 'a range small enough needs no lower scale');
  // (The file written at the lowered scale is checked end to end in test/e2e/long-views.e2e.ts.)
  await long.page.click('button.export-cancel');
  assert.equal(await long.page.isVisible('dialog.export-dialog'), false, 'Cancel closes the dialog');
  assert.deepEqual(long.errors, []);
  await long.page.close();
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

// ---- Heatmaps: zoom, pan, minimap, crop, one set of controls; Flow ticks and legend; exports

interface HeatmapDrawn { zoom: number; k: [number, number]; q: [number, number]; labels: string; minimap: string; plot: [number, number, number] }

/** What the single heatmap has on screen (its canvas's data attributes). */
async function heatmapDrawn(page: Page): Promise<HeatmapDrawn> {
  return page.$eval('.heatmap-canvas', (c) => {
    const d = (c as HTMLCanvasElement).dataset;
    const [k, q] = (d.window ?? '0-0,0-0').split(',').map((p) => p.split('-').map(Number) as [number, number]);
    return { zoom: Number(d.zoom), k, q, labels: d.labels ?? '', minimap: d.minimap ?? '', plot: (d.plot ?? '0,0,0').split(',').map(Number) as [number, number, number] };
  });
}

/** Poll until the drawn heatmap satisfies `ok`; fail with what it shows. */
async function untilDrawn(page: Page, ok: (d: HeatmapDrawn) => boolean, what: string): Promise<HeatmapDrawn> {
  let last: HeatmapDrawn | undefined;
  for (let i = 0; i < 100; i++) {
    last = await heatmapDrawn(page);
    if (ok(last)) return last;
    await page.waitForTimeout(50);
  }
  assert.fail(`${what}: the heatmap shows ${JSON.stringify(last)}`);
}

/** Screen point at fractions (fx, fy) of the heatmap's plot. */
async function plotPoint(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  const box = (await (await page.$('.heatmap-canvas'))!.boundingBox())!;
  const [px, py, ps] = (await heatmapDrawn(page)).plot;
  return { x: box.x + px + ps * fx, y: box.y + py + ps * fy };
}

async function pngDimensions(page: Page, dataUrl: string): Promise<{ width: number; height: number }> {
  return page.evaluate((url) => new Promise<{ width: number; height: number }>((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => reject(new Error('not a PNG'));
    img.src = url;
  }), dataUrl);
}

async function exported(page: Page, format: 'png' | 'svg'): Promise<string> {
  const since = (await posted(page)).length;
  await page.evaluate((f) => window.__harness.send({ type: 'requestExport', format: f, options: {} }), format);
  const m = await waitForPosted(page, 'export', since);
  assert.ok(m.type === 'export' && m.view === 'heatmap', `export of the heatmap: ${JSON.stringify(m).slice(0, 200)}`);
  return m.data;
}

test('heatmap zoom and pan: wheel around the cursor, drag, keyboard, minimap, labels, Reset', async () => {
  const N = 200;
  const { page, errors } = await openHarness(browser!, server!.url, { T: N, L: 2, H: 3, theme: 'dark', tab: 'heatmap' });
  await expectInk(page, '.heatmap-canvas', 5000, 'the heatmap is drawn');
  let d = await untilDrawn(page, (x) => x.zoom === 1, 'opens unzoomed');
  assert.deepEqual([d.k, d.q, d.labels, d.minimap], [[0, N - 1], [0, N - 1], 'numbers', 'hidden']);
  assert.equal(await page.$eval('vscode-button.zoom-reset', (b) => (b as HTMLElement & { disabled: boolean }).disabled), true, 'Reset is disabled at 1×');

  // Wheel up over a point: zooms in around it (the token under the cursor stays under the cursor).
  const p = await plotPoint(page, 0.25, 0.75);
  await page.mouse.move(p.x, p.y);
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -100);
  d = await untilDrawn(page, (x) => x.zoom > 2, 'wheel zooms in');
  const n = d.k[1] - d.k[0];
  assert.ok(Math.abs(d.k[0] + 0.25 * (n + 1) - 0.25 * N) < 2.5 && Math.abs(d.q[0] + 0.75 * (n + 1) - 0.75 * N) < 2.5, `window around the cursor: ${JSON.stringify(d)}`);
  assert.equal(d.minimap, 'shown', 'the minimap shows while zoomed');
  assert.match(await page.textContent('.zoom-label') ?? '', /^\d+(\.\d)?×$/);
  assert.equal(await page.isVisible('vscode-button.crop-to-view'), true);

  // Drag pans (by whole cells: 60 px to the left = 60 / cell px tokens to the right).
  const before = d;
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  await page.mouse.move(p.x - 60, p.y - 30, { steps: 5 });
  await page.mouse.up();
  d = await untilDrawn(page, (x) => x.k[0] > before.k[0] && x.q[0] > before.q[0], 'drag pans');
  assert.equal((await harnessState<{ query: number | null }>(page)).query, null, 'a drag is not a click (no query selected)');

  // Keyboard: 0 resets, + zooms in, Shift+→ pans right, − zooms out.
  await page.focus('.heatmap-canvas');
  await page.keyboard.press('0');
  await untilDrawn(page, (x) => x.zoom === 1, '0 resets');
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  d = await untilDrawn(page, (x) => Math.abs(x.zoom - 2.25) < 0.01, '+ zooms in 1.5× a step');
  const k0 = d.k[0];
  await page.keyboard.press('Shift+ArrowRight');
  d = await untilDrawn(page, (x) => x.k[0] > k0, 'Shift+→ pans');
  await page.waitForFunction(() => /^Zoom 2\.[23]×: keys \d+–\d+, queries \d+–\d+/.test(document.querySelector('.live-region')?.textContent ?? ''));
  await page.keyboard.press('-');
  await untilDrawn(page, (x) => Math.abs(x.zoom - 1.5) < 0.01, '− zooms out');

  // Zoomed in far enough, the axes show token text instead of numbers; the minimap moves the view.
  for (let i = 0; i < 10; i++) await page.keyboard.press('+');
  d = await untilDrawn(page, (x) => x.labels === 'tokens', 'labels appear when cells are big');
  const box = (await (await page.$('.heatmap-canvas'))!.boundingBox())!;
  const [px, py, ps] = d.plot;
  await page.mouse.click(box.x + px + ps + 14 + 90, box.y + py + 90); // minimap, bottom-right corner
  d = await untilDrawn(page, (x) => Math.abs((x.k[0] + x.k[1] + 1) / 2 - (90 / 96) * N) < 3 && Math.abs((x.q[0] + x.q[1] + 1) / 2 - (90 / 96) * N) < 3, "a minimap click centres the view there");

  // The Reset button goes back to the whole matrix.
  await page.click('vscode-button.zoom-reset');
  d = await untilDrawn(page, (x) => x.zoom === 1 && x.minimap === 'hidden' && x.labels === 'numbers', 'Reset');
  assert.deepEqual(errors, []);
  await page.close();
});

test('heatmap crop: range input (with errors), axis drag, Crop to view, Clear; exports use the crop', async () => {
  const N = 120;
  const { page, errors } = await openHarness(browser!, server!.url, { T: N, L: 2, H: 3, theme: 'dark', tab: 'heatmap' });
  await expectInk(page, '.heatmap-canvas', 5000, 'the heatmap is drawn');
  type S = { heatmapRange: { start: number; end: number } | null };
  assert.equal(await page.isVisible('vscode-button.clear-crop'), false, 'no Clear crop without a crop');

  await page.fill('.range-input', '20-x');
  await page.press('.range-input', 'Enter');
  await page.waitForSelector('.range-error:has-text("two token numbers")', { state: 'visible' });
  await page.fill('.range-input', '20-500');
  await page.press('.range-input', 'Enter');
  await page.waitForSelector(`.range-error:has-text("from 0 to ${N - 1}")`, { state: 'visible' });
  assert.equal((await harnessState<S>(page)).heatmapRange, null, 'a bad range changes nothing');
  await page.fill('.range-input', '20-59');
  await page.press('.range-input', 'Enter');
  await page.waitForFunction(() => JSON.stringify((window.__harness.state as S).heatmapRange) === '{"start":20,"end":60}');
  assert.equal(await page.isVisible('.range-error'), false);
  let d = await untilDrawn(page, (x) => x.k[0] === 20 && x.k[1] === 59 && x.q[0] === 20 && x.q[1] === 59, 'cropped to 20–59');
  assert.equal(d.zoom, 1);
  assert.equal(d.labels, 'tokens', '40 tokens get token labels');

  // Exports: the crop, a label per token, the title, a colour bar; PNG at 2× with at least a pixel per cell.
  const svg = await exported(page, 'svg');
  assert.match(svg, /tokens 20–59/);
  assert.match(svg, />weight</);
  assert.match(svg, />masked</);
  assert.match(svg, /<polygon/, 'vector cells and the causal mask for a short range');
  // Token 26 (" harbor", the only one in 20–59) labels its row and its column.
  assert.equal((svg.match(/>harbor</g) ?? []).length, 2, 'each token labels a row and a column');
  const png = await exported(page, 'png');
  const dim = await pngDimensions(page, png);
  assert.ok(dim.width >= 2 * 40 * 12 && dim.height >= 2 * 40 * 12, `PNG ${dim.width}×${dim.height}`);

  // Clear with one click.
  await page.click('vscode-button.clear-crop');
  await page.waitForFunction(() => (window.__harness.state as S).heatmapRange === null);
  await untilDrawn(page, (x) => x.k[1] === N - 1, 'Clear crop shows all tokens');

  // Drag along the query axis (the token labels on the left) crops to the rows dragged over.
  const a = await plotPoint(page, 0, 10.5 / N), b = await plotPoint(page, 0, 30.5 / N);
  await page.mouse.move(a.x - 12, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x - 12, b.y, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction(() => JSON.stringify((window.__harness.state as S).heatmapRange) === '{"start":10,"end":31}');
  assert.equal(await page.inputValue('.range-input'), '10–30');

  // Crop to view: zoom in, then crop to what is visible.
  await page.click('vscode-button.clear-crop');
  await page.focus('.heatmap-canvas');
  await page.keyboard.press('+');
  d = await untilDrawn(page, (x) => x.zoom > 1.4, 'zoomed');
  await page.click('vscode-button.crop-to-view');
  const want = { start: Math.min(d.k[0], d.q[0]), end: Math.max(d.k[1], d.q[1]) + 1 };
  await page.waitForFunction((w) => JSON.stringify((window.__harness.state as S).heatmapRange) === JSON.stringify(w), want);
  assert.deepEqual(errors, []);
  await page.close();
});

test('heatmap controls: one ◀ ▶ pair, Layer and Head only where they act, nothing overlaps at 320 px', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T: 60, L: 3, H: 4, theme: 'dark', tab: 'heatmap' });
  await expectInk(page, '.heatmap-canvas', 5000, 'the heatmap is drawn');
  const visible = (sel: string) => page.$$eval(sel, (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null && getComputedStyle(e).display !== 'none').length);
  const navVisible = async () => ({
    layer: await page.$eval('.nav-row', (n) => getComputedStyle(n.children[1]).display !== 'none' && !(n as HTMLElement).hidden),
    head: await page.$eval('.nav-row', (n) => getComputedStyle(n.children[3]).display !== 'none' && !(n as HTMLElement).hidden),
  });
  assert.equal(await visible('vscode-button:has-text("◀")'), 1, 'one ◀ (the layer stepper)');
  assert.equal(await visible('vscode-button:has-text("▶")'), 1, 'one ▶');
  assert.equal(await page.$$eval('.heatmap-view vscode-button', (b) => b.filter((x) => /[◀▶]/.test(x.textContent ?? '')).length), 0);
  assert.deepEqual(await navVisible(), { layer: true, head: true }, 'one head: layer and head both act');
  assert.equal(await visible('.heatmap-zoom'), 1, 'zoom controls with one head');

  await setHeatmapShow(page, 'block');
  await page.waitForFunction(() => document.querySelector('.heatmap-canvas')?.getAttribute('aria-label')?.startsWith('Grid'));
  assert.deepEqual(await navVisible(), { layer: true, head: false }, 'heads of a layer: the Head select does nothing, so it is hidden');
  assert.equal(await visible('.heatmap-zoom'), 0, 'no zoom controls in the grid');
  await setHeatmapShow(page, 'layer');
  await page.waitForFunction(() => (window.__harness.state as { browse?: string }).browse === 'layer');
  await page.waitForFunction(() => getComputedStyle(document.querySelector('.nav-row')!.children[1]).display === 'none');
  assert.deepEqual(await navVisible(), { layer: false, head: true }, 'a head across layers: the Layer select does nothing');

  // 320 px: toolbars wrap, nothing sticks out, the canvas fits (single and grid).
  await page.setViewportSize({ width: 320, height: 800 });
  for (const mode of ['layer', 'single'] as const) {
    await setHeatmapShow(page, mode);
    await page.waitForTimeout(300);
    await expectInk(page, '.heatmap-canvas', 2000, `${mode} at 320 px`);
    const out = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.nav-row *, .heatmap-view *'))
      .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 0.5; })
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`));
    assert.deepEqual(out, [], `${mode}: elements wider than the 320 px panel`);
    assert.ok(await page.$eval('.heatmap-canvas', (c) => c.getBoundingClientRect().right <= window.innerWidth));
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('heatmap exports at T=1024: the whole matrix at 2× (a pixel per cell), embedded in SVG; grids too', async () => {
  const N = 1024;
  const { page, errors } = await openHarness(browser!, server!.url, { T: N, L: 2, H: 2, theme: 'light', tab: 'heatmap' });
  await expectInk(page, '.heatmap-canvas', 5000, 'the heatmap is drawn');
  // Zoomed in on screen: the export is still the whole matrix.
  await page.focus('.heatmap-canvas');
  for (let i = 0; i < 6; i++) await page.keyboard.press('+');
  await untilDrawn(page, (x) => x.zoom > 10, 'zoomed in');
  const png = await exported(page, 'png');
  const dim = await pngDimensions(page, png);
  assert.ok(dim.width >= N + 100 && dim.height >= N + 100, `single heatmap PNG ${dim.width}×${dim.height} holds ${N}×${N} cells`);
  const svg = await exported(page, 'svg');
  assert.match(svg, /<image x="[\d.]+" y="[\d.]+" width="512" height="512"[^>]*href="data:image\/png;base64,/);
  assert.match(svg, /tokens 0–1023/);
  assert.match(svg, />weight</);
  // The embedded matrix is N×N pixels (one per cell).
  const href = /href="(data:image\/png;base64,[^"]+)"/.exec(svg)![1];
  assert.deepEqual(await pngDimensions(page, href), { width: N, height: N });

  await setHeatmapShow(page, 'block');
  await page.waitForFunction(() => document.querySelector('.heatmap-canvas')?.getAttribute('aria-label')?.startsWith('Grid'));
  await expectInk(page, '.heatmap-canvas', 5000, 'the grid is drawn');
  const gridPng = await exported(page, 'png');
  const g = await pngDimensions(page, gridPng);
  // 3 panels (2 heads and the mean) in 2 columns, each 1024 device px.
  assert.ok(g.width >= 2 * N && g.height >= 2 * N, `grid PNG ${g.width}×${g.height}`);
  const gridSvg = await exported(page, 'svg');
  assert.equal((gridSvg.match(/<image /g) ?? []).length, 3);
  assert.match(gridSvg, />H0<\/text>/);
  assert.match(gridSvg, />mean<\/text>/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Flow at 320 px: title, round ticks, a legend that fits; exports carry the title', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T: 40, L: 6, H: 4, theme: 'dark', tab: 'flow' });
  await page.setViewportSize({ width: 320, height: 800 });
  await expectInk(page, '.flow-canvas', 2000, 'flow draws');
  await page.waitForTimeout(300);
  const { ticks, legend, width } = await page.$eval('.flow-canvas', (c) => ({
    ticks: ((c as HTMLCanvasElement).dataset.ticks ?? '').split(',').map(Number),
    legend: ((c as HTMLCanvasElement).dataset.legend ?? '').split(',').map(Number),
    width: c.getBoundingClientRect().width,
  }));
  assert.ok(ticks.length >= 3, `ticks ${ticks}`);
  const step = ticks[1] - ticks[0];
  assert.ok([0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1].some((s) => Math.abs(s - step) < 1e-9), `tick step ${step} is round`);
  ticks.forEach((t, i) => assert.ok(Math.abs(t - i * step) < 1e-9, `tick ${t}`));
  assert.ok(legend[0] <= width - 8, `the legend ends at ${legend[0]} px inside the ${width} px chart`);
  assert.ok(legend[1] < legend[2], 'the legend sits above the plot');
  assert.match(await page.getAttribute('.flow-canvas', 'aria-label') ?? '', /^Self vs previous-token attention per layer/);
  const since = (await posted(page)).length;
  await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'svg', options: {} }));
  const m = await waitForPosted(page, 'export', since);
  assert.ok(m.type === 'export' && m.view === 'flow');
  assert.match(m.data, /width="900"/);
  assert.match(m.data, />Self vs previous-token attention per layer</);
  assert.match(m.data, />previous token</);
  assert.match(m.data, /Flow/, 'the export title (model · view · layer · file)');
  assert.deepEqual(errors, []);
  await page.close();
});

// ---- Accessibility: High Contrast themes and keyboard operation

/** rgb() string of a CSS colour as the browser computes it. */
async function computedColor(page: Page, css: string): Promise<string> {
  return page.evaluate((c) => {
    const probe = document.createElement('div');
    probe.style.color = c;
    document.body.append(probe);
    const rgb = getComputedStyle(probe).color;
    probe.remove();
    return rgb;
  }, css);
}

/** Pixels of a canvas within `tol` of an exact colour (e.g. the contrast border). */
async function colorPixels(page: Page, selector: string, rgb: [number, number, number], tol = 8): Promise<number> {
  return page.evaluate(([sel, c, t]) => {
    const canvas = document.querySelector(sel as string) as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const [r, g, b] = c as number[];
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) <= (t as number) && Math.abs(d[i + 1] - g) <= (t as number) && Math.abs(d[i + 2] - b) <= (t as number)) n++;
    return n;
  }, [selector, rgb, tol] as const);
}

/**
 * What has keyboard focus (through shadow roots) and whether it shows a focus ring: the focused
 * element, or an element inside its shadow tree, has an outline or border in the focusBorder colour.
 */
async function focused(page: Page): Promise<{ what: string; ring: boolean }> {
  return page.evaluate(() => {
    const host = document.activeElement as HTMLElement | null;
    if (!host || host === document.body) return { what: 'body', ring: false };
    const focusBorder = (() => {
      const probe = document.createElement('div');
      probe.style.color = 'var(--vscode-focusBorder)';
      document.body.append(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    })();
    const candidates = [host, ...(host.shadowRoot ? Array.from(host.shadowRoot.querySelectorAll('*')) : [])];
    const ring = candidates.some((e) => {
      const cs = getComputedStyle(e);
      const outline = cs.outlineStyle !== 'none' && Number.parseFloat(cs.outlineWidth) >= 1 && cs.outlineColor === focusBorder;
      const border = cs.borderTopStyle !== 'none' && Number.parseFloat(cs.borderTopWidth) >= 1 && cs.borderTopColor === focusBorder;
      return outline || border;
    });
    const cls = typeof host.className === 'string' && host.className ? '.' + host.className.split(' ')[0] : '';
    const tab = host.dataset.tab ? `[${host.dataset.tab}]` : '';
    return { what: host.tagName.toLowerCase() + cls + tab, ring };
  });
}

const liveText = (page: Page) => page.textContent('.live-region').then((t) => t ?? '');
const harnessState = <T>(page: Page) => page.evaluate(() => window.__harness.state) as Promise<T>;

for (const theme of ['hc-dark', 'hc-light'] as const) {
  test(`panel in ${theme === 'hc-dark' ? 'High Contrast' : 'High Contrast Light'}: every view draws, borders, selection colours, focus rings`, async () => {
    const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme });
    await waitForPosted(page, 'ready');
    await page.waitForSelector('.token-strip .token');
    const vars = await page.evaluate(() => {
      const s = getComputedStyle(document.documentElement);
      return ['--vscode-contrastBorder', '--vscode-contrastActiveBorder', '--vscode-focusBorder', '--vscode-editor-selectionForeground', '--vscode-button-background']
        .map((n) => s.getPropertyValue(n).trim());
    });
    assert.ok(vars[0] && vars[1] && vars[2] && vars[3], `the ${theme} variables are set: ${vars.join(', ')}`);
    if (theme === 'hc-dark') assert.equal(vars[4], '', 'button.background is null in High Contrast: not set, as in VS Code');
    const contrast = await computedColor(page, vars[0]);

    // Every view draws on its canvas (the tokens view is a table).
    await expectInk(page, '.head-canvas', 2000, `${theme}: head view`);
    for (const [tab, canvas] of [['model', '.model-canvas'], ['heatmap', '.heatmap-canvas'], ['flow', '.flow-canvas']] as const) {
      await showTab(page, tab);
      await expectInk(page, canvas, 2000, `${theme}: ${tab}`);
    }
    // Heatmaps and thumbnails get a contrast-border frame (their dark colours meet the background).
    const [r, g, b] = contrast.match(/\d+/g)!.map(Number);
    await showTab(page, 'model');
    await page.waitForFunction(() => performance.getEntriesByName('attention-panel:model:firstPaint').length > 0);
    await expectInk(page, '.model-canvas', 2000, `${theme}: model view before the frame check`);
    assert.ok(await colorPixels(page, '.model-canvas', [r, g, b]) > 4 * L * H * 10, 'every thumbnail is framed in contrastBorder');
    await showTab(page, 'tokens');
    await page.waitForSelector('.tokens-table tbody tr');
    assert.equal(await page.$$eval('.tokens-table tbody tr', (rows) => rows.length), T);

    // Borders where High Contrast needs them: the token strip and chips use contrastBorder.
    assert.equal(await page.$eval('.token-strip', (e) => getComputedStyle(e).borderTopColor), contrast);
    assert.equal(await page.$eval('.chip', (e) => getComputedStyle(e).outlineColor), contrast);
    // The selected tab is outlined in contrastActiveBorder.
    const active = await computedColor(page, vars[1]);
    await page.waitForSelector('vscode-tab-header[data-tab="tokens"][aria-selected="true"]');
    const tabOutline = await page.$eval('vscode-tab-header[aria-selected="true"]', (e) => { const cs = getComputedStyle(e); return [cs.outlineStyle, cs.outlineColor]; });
    assert.deepEqual(tabOutline, ['solid', active], 'the active tab has a solid contrastActiveBorder outline');

    // The selected token: text in editor.selectionForeground on editor.selectionBackground.
    await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 4 }));
    await page.waitForSelector('.token-strip .token[data-index="4"].selected');
    const selFg = await computedColor(page, vars[3]);
    assert.equal(await page.$eval('.token-strip .token.selected', (e) => getComputedStyle(e).color), selFg);
    assert.equal(await page.$eval('.tokens-table tr.selected td.tok', (e) => getComputedStyle(e).color), selFg);
    assert.notEqual(await page.$eval('.tokens-table tr.selected .chip', (e) => getComputedStyle(e).color), selFg, 'chips in the selected row keep their own text colour');

    // Focus rings in the focusBorder colour: the token strip and a canvas.
    await page.focus('.token-strip .token[tabindex="0"]');
    await page.keyboard.press('ArrowRight');
    let f = await focused(page);
    assert.ok(f.what.startsWith('span.token') && f.ring, `focused token has a focus ring (${JSON.stringify(f)})`);
    await showTab(page, 'heatmap');
    await page.focus('.heatmap-canvas');
    await page.keyboard.press('ArrowUp');
    f = await focused(page);
    assert.ok(f.what.startsWith('canvas') && f.ring, `focused canvas has a focus ring (${JSON.stringify(f)})`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('keyboard: Tab reaches every control with a visible focus ring', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme: 'dark' });
  await waitForPosted(page, 'ready');
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 15_000 });
  const reached: string[] = [];
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.what === 'body') break;
    assert.ok(f.ring, `Tab stop ${i} (${f.what}) shows a focus ring`);
    reached.push(f.what);
  }
  for (const want of ['vscode-checkbox', 'vscode-button', 'span.token', 'vscode-single-select', 'vscode-tab-header', 'button.head-toggle', 'canvas.head-canvas']) {
    assert.ok(reached.some((w) => w.startsWith(want)), `${want} is reachable with Tab (reached: ${reached.join(', ')})`);
  }
  assert.equal(reached.filter((w) => w.startsWith('span.token')).length, 1, 'the token strip is one Tab stop');
  assert.equal(reached.filter((w) => w.startsWith('button.head-toggle')).length, 1, 'the head chips are one Tab stop');
  // Every canvas says what it shows.
  for (const tab of ['head', 'model', 'heatmap', 'flow'] as const) {
    await showTab(page, tab);
    await page.waitForSelector(`.${tab}-canvas[aria-label]`);
    const label = await page.getAttribute(`.${tab}-canvas`, 'aria-label');
    assert.ok(label && label.length > 40, `${tab} canvas has a descriptive aria-label: ${label}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: token strip, head chips and every view are operable without a mouse', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme: 'dark' });
  await waitForPosted(page, 'ready');
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 15_000 });
  type S = { query: number | null; visibleHeads: number[] | null; layer: number; head: number | null; tab: string; heatmapLayout: string };

  // Token strip: arrows move the query token, Enter toggles it, End/Home jump, Escape clears.
  await page.focus('.token-strip .token[tabindex="0"]');
  let since = (await posted(page)).length;
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 3);
  assert.deepEqual((await posted(page)).slice(since).filter((m) => m.type === 'queryChanged').map((m) => (m as { query: number }).query), [1, 2, 3]);
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.index), '3', 'focus moves with the query');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window.__harness.state as { query?: number | null }).query === null);
  await page.keyboard.press(' ');
  await page.waitForFunction(() => (window.__harness.state as { query?: number | null }).query === 3);
  await page.keyboard.press('End');
  await page.waitForFunction((t) => (window.__harness.state as { query?: number }).query === t - 1, T);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => (window.__harness.state as { query?: number | null }).query === null);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 0);
  // The Tab stop stays on the query token: Shift+Tab away and Tab back lands on it.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.index), '1');

  // Head chips: ←/→ move between chips, Space toggles (focus stays), Shift+Enter shows only that head.
  await page.focus('.head-toggle[tabindex="0"]');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.head), '1');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => JSON.stringify((window.__harness.state as { visibleHeads?: number[] }).visibleHeads) === '[0,2,3]');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.head), '1', 'focus survives the toggle');
  await page.waitForSelector('.head-toggle[data-head="1"][aria-pressed="false"]');
  assert.match(await liveText(page), /Head 1 hidden/);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+Enter');
  await page.waitForFunction(() => JSON.stringify((window.__harness.state as { visibleHeads?: number[] }).visibleHeads) === '[2]');

  // Head view canvas: ↓ moves the query and reads its most attended keys (of the one visible head).
  await page.focus('.token-strip .token[tabindex="0"]');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => (window.__harness.state as { query?: number | null }).query === null);
  await page.focus('.head-canvas');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 0);
  await page.waitForFunction(() => /Query #0 "The", layer 0, head 2: most attended "The" #0 1\.00/.test(document.querySelector('.live-region')?.textContent ?? ''));

  // Heatmap: ↑/↓ move the query row, ←/→ the key column; each move reads query, key and weight.
  await showTab(page, 'heatmap');
  await expectInk(page, '.heatmap-canvas', 5000, 'the heatmap is drawn before keyboard use');
  await page.focus('.heatmap-canvas');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => (window.__harness.state as { query?: number }).query === 2);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /key #1 " dog"; weight 0\.\d{4}/.test(document.querySelector('.live-region')?.textContent ?? ''));
  assert.match(await liveText(page), /query #2 " on"/);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /key #2 /.test(document.querySelector('.live-region')?.textContent ?? ''), undefined, { timeout: 5000 });
  // The cursor cannot go past the diagonal (keys after the query are masked).
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /key #2 /.test(document.querySelector('.live-region')?.textContent ?? ''));
  const headBefore = (await harnessState<S>(page)).head;
  await page.keyboard.press('PageDown');
  await page.waitForFunction((h) => (window.__harness.state as { head?: number | null }).head !== h, headBefore);

  // Model view: arrows move over layers × heads and read self/previous attention; Enter opens the heatmap.
  await showTab(page, 'model');
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:model:firstPaint').length > 0, undefined, { timeout: 15_000 });
  await page.focus('.model-canvas');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /Layer 1 · head 1; self \d\.\d{3}/.test(document.querySelector('.live-region')?.textContent ?? ''));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window.__harness.state as { tab?: string }).tab === 'heatmap');
  const opened = await harnessState<S>(page);
  assert.equal(opened.layer, 1);
  assert.equal(opened.head, 1);
  assert.equal(opened.heatmapLayout, 'single');

  // Heatmap grid: arrows move between panels, Enter opens one.
  await setHeatmapShow(page, 'block');
  await page.waitForFunction(() => (window.__harness.state as { heatmapLayout?: string }).heatmapLayout === 'grid');
  await page.waitForFunction(() => document.querySelector('.heatmap-canvas')?.getAttribute('aria-label')?.startsWith('Grid of attention heatmaps'));
  await page.focus('.heatmap-canvas');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /head 1\. Enter opens it/.test(document.querySelector('.live-region')?.textContent ?? ''));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window.__harness.state as { heatmapLayout?: string }).heatmapLayout === 'single');
  assert.equal((await harnessState<S>(page)).head, 1);

  // Flow: ←/→ select a layer and read its values.
  await showTab(page, 'flow');
  await page.focus('.flow-canvas');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => (window.__harness.state as { layer?: number }).layer === 1);
  await page.waitForFunction(() => /Layer 1; self: mean \d\.\d{3}/.test(document.querySelector('.live-region')?.textContent ?? ''));

  // Tokens table: one Tab stop, ↑/↓ move between rows, Enter selects the query.
  await showTab(page, 'tokens');
  await page.waitForSelector('.tokens-table tbody tr');
  assert.equal(await page.$$eval('.tokens-table tbody tr[tabindex="0"]', (r) => r.length), 1);
  await page.focus('.tokens-table tbody tr[tabindex="0"]');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => (window.__harness.state as { query?: number | null }).query === null);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.index), '2');
  since = (await posted(page)).length;
  await page.keyboard.press('Enter');
  const q = await waitForPosted(page, 'queryChanged', since);
  assert.ok(q.type === 'queryChanged' && q.query === 2);
  assert.equal(await focused(page).then((x) => x.ring), true, 'the focused row has a focus ring');

  assert.deepEqual(errors, []);
  await page.close();
});

// ---- Tokens tab at T = 1024, layer prefetch, narrow panels, characters split across tokens, tokens export

/** The tokens table's rows in the DOM (gap rows excluded) and the box's scroll extent. */
async function tableRows(page: Page): Promise<{ indices: number[]; scrollHeight: number; clientHeight: number }> {
  return page.evaluate(() => {
    const box = document.querySelector('.table-box') as HTMLElement;
    const indices = Array.from(document.querySelectorAll<HTMLElement>('.tokens-table tbody tr[data-index]')).map((r) => Number(r.dataset.index));
    return { indices, scrollHeight: box.scrollHeight, clientHeight: box.clientHeight };
  });
}

const activeIndex = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.index ?? null);

test('tokens tab at T=1024: only the rows in view are built, scrolling builds others, header sticky, keyboard and readouts work', async () => {
  const BIG = 1024;
  const { page, errors } = await openHarness(browser!, server!.url, { T: BIG, L: 3, H: 4, theme: 'dark', tab: 'tokens' });
  await page.waitForSelector('.tokens-table tbody tr[data-index="0"]', { timeout: 30_000 });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:tokens:firstPaint').length > 0, undefined, { timeout: 30_000 });
  let rows = await tableRows(page);
  assert.ok(rows.indices.length >= 10 && rows.indices.length <= 80, `a window of rows is built, not all ${BIG}: ${rows.indices.length}`);
  assert.ok(rows.scrollHeight > BIG * 20, `the table is as tall as ${BIG} rows (${rows.scrollHeight} px)`);
  assert.equal(await page.getAttribute('.tokens-table', 'aria-rowcount'), String(BIG + 1));
  assert.equal(await page.textContent('.tokens-table tbody tr[data-index="5"] td.tok'), 'ran');

  // Scrolled to the end: the last rows are built, still a bounded number, and the header stays on top.
  await page.$eval('.table-box', (b) => { b.scrollTop = b.scrollHeight; });
  await page.waitForSelector(`.tokens-table tbody tr[data-index="${BIG - 1}"]`);
  rows = await tableRows(page);
  assert.ok(rows.indices.length <= 80, `still a window after scrolling: ${rows.indices.length}`);
  const [boxTop, headTop] = await page.evaluate(() => [
    document.querySelector('.table-box')!.getBoundingClientRect().top, document.querySelector('.tokens-table th')!.getBoundingClientRect().top]);
  assert.ok(Math.abs(boxTop - headTop) < 1, `the header is sticky (box top ${boxTop}, header top ${headTop})`);
  // The row at the bottom is really at the bottom: spacers stand for exactly the rows not built.
  const last = await page.$eval(`.tokens-table tbody tr[data-index="${BIG - 1}"]`, (r) => {
    const box = document.querySelector('.table-box')!.getBoundingClientRect();
    return { bottom: r.getBoundingClientRect().bottom, boxBottom: box.bottom };
  });
  assert.ok(Math.abs(last.bottom - last.boxBottom) < 20, `the last row ends at the bottom of the box: ${JSON.stringify(last)}`);

  // Keyboard: the Tab stop is on a built row; Home, ↓, End, PageUp move it (and are read out); Enter selects.
  await page.$eval('.table-box', (b) => { b.scrollTop = 0; });
  await page.waitForSelector('.tokens-table tbody tr[data-index="0"]');
  assert.equal(await page.$$eval('.tokens-table tbody tr[tabindex="0"]', (r) => r.length), 1);
  await page.focus('.tokens-table tbody tr[tabindex="0"]');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await activeIndex(page), '2');
  await page.waitForFunction(() => /^Row #2 "on", layer 0, head 0: most attended "\S+" #\d+ \d\.\d\d/.test(document.querySelector('.live-region')?.textContent ?? ''));
  await page.keyboard.press('End');
  assert.equal(await activeIndex(page), String(BIG - 1), 'End focuses the last row (built on the way)');
  await page.waitForFunction((n) => (document.querySelector('.live-region')?.textContent ?? '').startsWith(`Row #${n} `), BIG - 1);
  await page.keyboard.press('PageUp');
  const afterPage = Number(await activeIndex(page));
  assert.ok(afterPage < BIG - 5 && afterPage > BIG - 100, `PageUp moves up by a page: ${afterPage}`);
  let since = (await posted(page)).length;
  await page.keyboard.press('Enter');
  const q = await waitForPosted(page, 'queryChanged', since);
  assert.ok(q.type === 'queryChanged' && q.query === afterPage);
  // Scrolling away with the mouse keeps the focused row (it stays built) and the focus.
  await page.$eval('.table-box', (b) => { b.scrollTop = 0; });
  await page.waitForSelector('.tokens-table tbody tr[data-index="0"]');
  assert.equal(await activeIndex(page), String(afterPage), 'focus survives scrolling its row out of view');

  // A query chosen elsewhere (focus outside the table) is scrolled into view and marked.
  await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 700 }));
  await page.waitForSelector('.tokens-table tbody tr[data-index="700"].selected');
  const inView = await page.$eval('.tokens-table tbody tr[data-index="700"]', (r) => {
    const box = document.querySelector('.table-box')!.getBoundingClientRect();
    const b = r.getBoundingClientRect();
    return b.top >= box.top && b.bottom <= box.bottom + 1;
  });
  assert.ok(inView, 'the selected row is in view');
  // Another tab and back: the table is where it was.
  const scrolled = await page.$eval('.table-box', (b) => b.scrollTop);
  await showTab(page, 'flow');
  await showTab(page, 'tokens');
  await page.waitForFunction((top) => Math.abs(document.querySelector('.table-box')!.scrollTop - top) < 2, scrolled);
  await page.waitForSelector('.tokens-table tbody tr[data-index="700"].selected');
  since = (await posted(page)).length;
  await page.click('.tokens-table tbody tr[data-index="701"]');
  const q2 = await waitForPosted(page, 'queryChanged', since);
  assert.ok(q2.type === 'queryChanged' && q2.query === 701);
  assert.deepEqual(errors, []);
  await page.close();
});

test('prefetch: the layers around the current one are requested after an analysis and after each layer change', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L: 8, H, theme: 'dark' });
  await waitForPosted(page, 'ready');
  await page.waitForFunction(() => window.__harness.posted.filter((m) => m.type === 'requestLayer').length >= 3);
  const layerRequests = async () => (await posted(page)).filter((m) => m.type === 'requestLayer').map((m) => m as { layer: number; encoding: string });
  let reqs = await layerRequests();
  assert.deepEqual(reqs[0], { type: 'requestLayer', analysisId: 1, layer: 0, encoding: 'f32' }, 'the layer on screen comes first');
  assert.deepEqual(reqs.slice(1).map((r) => r.layer).sort(), [1, 2], 'then its neighbours (small layers: f32)');
  assert.ok(reqs.every((r) => r.encoding === 'f32'));
  await page.waitForSelector('.layer-status[data-cached="0,1,2"]', { state: 'attached' });

  // Record whether "Loading layer…" ever shows while stepping through cached layers.
  await page.evaluate(() => {
    const status = document.querySelector('.layer-status') as HTMLElement;
    (window as unknown as { sawLoading: string[] }).sawLoading = [];
    new MutationObserver(() => { if (!status.hidden) (window as unknown as { sawLoading: string[] }).sawLoading.push(status.textContent ?? ''); })
      .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  for (let l = 1; l <= 4; l++) {
    await page.click('vscode-button[aria-label="Next layer"]');
    await page.waitForFunction((want) => (window.__harness.state as { layer?: number }).layer === want, l);
    // Each step asks for the next layers before the user gets there.
    await page.waitForFunction((want) => new Set(window.__harness.posted.filter((m) => m.type === 'requestLayer').map((m) => (m as { layer: number }).layer)).has(want), Math.min(7, l + 2));
    await page.waitForSelector(`.layer-status[data-cached*="${l + 1}"]`, { state: 'attached' });
  }
  assert.deepEqual(await page.evaluate(() => (window as unknown as { sawLoading: string[] }).sawLoading), [], 'no "Loading layer" while stepping');
  reqs = await layerRequests();
  assert.equal(new Set(reqs.map((r) => `${r.layer}:${r.encoding}`)).size, reqs.length, 'no layer is requested twice');
  // Jumping far (the select) shows the loading note until that layer arrives.
  await page.evaluate(() => {
    const select = document.querySelector('.nav-row vscode-single-select') as HTMLElement & { value: string };
    select.value = '7';
    select.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => (window.__harness.state as { layer?: number }).layer === 7);
  await page.waitForSelector('.layer-status[data-cached*="7"]', { state: 'attached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('prefetch at T=1024: large layers come in u8 and draw at once when stepped to', async () => {
  const BIG = 1024;
  const { page, errors } = await openHarness(browser!, server!.url, { T: BIG, L: 4, H: 4, theme: 'dark', tab: 'tokens' });
  await page.waitForSelector('.layer-status[data-cached="0,1,2"]', { state: 'attached', timeout: 60_000 });
  const reqs = (await posted(page)).filter((m) => m.type === 'requestLayer').map((m) => m as { layer: number; encoding: string });
  assert.deepEqual(reqs.map((r) => `${r.layer}:${r.encoding}`), ['0:f32', '1:u8', '2:u8']);
  await page.click('vscode-button[aria-label="Next layer"]');
  // Drawn from the prefetched u8 layer in the next frame, then refined when f32 arrives.
  await page.waitForFunction(() => /^Top-3 attended tokens for layer 1/.test(document.querySelector('.tokens-view .toolbar-hint')?.textContent ?? ''), undefined, { timeout: 2000 });
  assert.equal(await page.isVisible('.layer-status'), false);
  await waitForPosted(page, 'requestLayer', reqs.length);
  assert.deepEqual(errors, []);
  await page.close();
});


for (const width of [300, 320]) {
  test(`narrow panel (${width} px, T=1024): every tab fits the width, the tab strip wraps, tables scroll inside themselves`, async () => {
    const { page, errors } = await openHarness(browser!, server!.url, { T: 1024, L: 3, H: 4, theme: 'dark' });
    await page.setViewportSize({ width, height: 800 });
    await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 30_000 });
    for (const tab of ['head', 'model', 'heatmap', 'tokens', 'flow'] as const) {
      await showTab(page, tab);
      if (tab === 'tokens') await page.waitForSelector('.tokens-table tbody tr[data-index]');
      else await expectInk(page, `.${tab}-canvas`, 500, `${tab} draws at ${width} px`);
      const o = await sidewaysOverflow(page);
      assert.ok(o.scrollWidth <= o.clientWidth, `${tab}: the document scrolls sideways (${o.scrollWidth} > ${o.clientWidth})`);
      assert.deepEqual(o.offenders, [], `${tab}: elements past the panel's edge at ${width} px`);
      // Every tab header is fully on screen.
      const headers = await page.$$eval('vscode-tab-header', (hs) => hs.map((h) => { const r = h.getBoundingClientRect(); return [r.left, r.right]; }));
      for (const [l, r] of headers) assert.ok(l >= 0 && r <= width, `tab header at [${l}, ${r}] is cut at ${width} px`);
    }
    // The tokens table is wider than the panel: it scrolls inside its box.
    await showTab(page, 'tokens');
    const box = await page.$eval('.table-box', (b) => ({ scroll: b.scrollWidth, client: b.clientWidth }));
    assert.ok(box.scroll > box.client, `the table scrolls inside its box (${box.scroll} > ${box.client})`);
    // Long token text is cut with an ellipsis and carries the full text on hover.
    const cell = await page.$eval('.tokens-table tbody tr[data-index="6"] td.tok', (td) => ({ title: td.getAttribute('title'), overflow: getComputedStyle(td).textOverflow }));
    assert.equal(cell.overflow, 'ellipsis');
    assert.match(cell.title ?? '', /^#6 " because" \(id \d+\)/);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('token strip: a character split over two tokens shows on the first; the second shows a continuation mark', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T, L, H, theme: 'dark', split: 4, tab: 'tokens' });
  await page.waitForSelector('.token-strip .token');
  const strip = await page.$$eval('.token-strip .token', (els) => els.map((e) => ({ text: e.textContent, title: e.getAttribute('title'), mark: !!e.querySelector('.cont-mark') })));
  assert.equal(strip[4].text, ' 😀', 'the first token shows the character');
  assert.equal(strip[4].mark, false);
  assert.match(strip[4].title ?? '', /part 1 of 2 of U\+1F600 😀/);
  assert.equal(strip[5].text, '◌', 'the second token shows only the continuation mark');
  assert.equal(strip[5].mark, true);
  assert.match(strip[5].title ?? '', /part 2 of 2 of U\+1F600 😀/);
  assert.ok(strip.every((s) => !s.text?.includes('\uFFFD')), 'no replacement characters are shown');
  // The mark is muted (descriptionForeground), the character is not.
  const [markColor, muted] = await page.evaluate(() => [getComputedStyle(document.querySelector('.token-strip .cont-mark')!).color,
    (() => { const p = document.createElement('div'); p.style.color = 'var(--vscode-descriptionForeground)'; document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; })()]);
  assert.equal(markColor, muted);
  // The tokens table labels them the same way.
  await page.waitForSelector('.tokens-table tbody tr[data-index="5"]');
  assert.equal(await page.textContent('.tokens-table tbody tr[data-index="4"] td.tok'), '😀');
  assert.equal(await page.textContent('.tokens-table tbody tr[data-index="5"] td.tok'), '◌');
  assert.deepEqual(errors, []);
  await page.close();
});

test('tokens export: the whole table (all rows, not the viewport) at 2×, with title and legend', async () => {
  const N = 300;
  const { page, errors } = await openHarness(browser!, server!.url, { T: N, L, H, theme: 'dark', tab: 'tokens' });
  await page.waitForSelector('.tokens-table tbody tr[data-index="0"]');
  assert.ok((await tableRows(page)).indices.length < N, 'the table on screen is virtualised');
  let since = (await posted(page)).length;
  await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'svg', options: {} }));
  const svg = await waitForPosted(page, 'export', since);
  assert.ok(svg.type === 'export' && svg.view === 'tokens');
  for (const i of [0, 150, N - 1]) assert.match(svg.data, new RegExp(`>${i}</text>`), `row ${i} is in the export`);
  assert.match(svg.data, /synthetic-12x12 · Tokens · layer 0 · story\.txt/, 'the title');
  assert.match(svg.data, /attention weight of the key/, 'the legend');
  assert.match(svg.data, new RegExp(`all ${N} tokens`));
  const svgW = Number(/<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svg.data)![1]);
  since = (await posted(page)).length;
  await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'png', options: {} }));
  const png = await waitForPosted(page, 'export', since);
  assert.ok(png.type === 'export');
  const b = Buffer.from(png.data.replace(/^data:image\/png;base64,/, ''), 'base64');
  assert.equal(b.readUInt32BE(16), Math.round(svgW * 2), 'the PNG is drawn at 2×');
  assert.deepEqual(errors, []);
  await page.close();
});
