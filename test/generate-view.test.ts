// The panel's Generation tab in a real browser (Debian chromium via playwright-core), driven by a synthetic
// generation (test/webview/generationDriver.ts): streaming, the step scrubber, step-row requests, controls,
// exports, 320 px width, T = 1024, and the high contrast themes.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { FromPanelMessage } from '../src/protocol';
import type { GenerationSettings } from '../src/engine/generationTypes';
import { buildForHarness, startHarnessServer, type HarnessServer } from './webview/server';
import { launchChromium, type Browser } from './webview/browser';
import { openGeneration, type GenShape } from './webview/generationDriver';

const settings: GenerationSettings = { strategy: 'sample', temperature: 0.8, topK: 8, topP: 0.9, seed: 1, maxNewTokens: 12 };
const shape: GenShape = { P: 14, N: 12, L: 3, H: 4 };
let server: HarnessServer;
let browser: Browser;

before(async () => {
  await buildForHarness(true);
  server = await startHarnessServer();
  browser = await launchChromium({ width: 1000, height: 900 });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const posted = (page: Page) => page.evaluate(() => window.__harness.posted) as Promise<FromPanelMessage[]>;

/** Share of non-background pixels on the tab's canvas. */
async function inkOf(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector('.gen-canvas') as HTMLCanvasElement;
    const g = c.getContext('2d')!;
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const [r0, g0, b0] = [d[0], d[1], d[2]];
    let ink = 0;
    for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) > 40) ink++;
    return ink / (d.length / 16);
  });
}

test('a generation streams into the Generation tab; the scrubber moves and fetches step rows', async () => {
  const { page, errors } = await openGeneration(browser, server.url, shape, settings);
  try {
    await page.waitForSelector('vscode-tab-header[data-tab="generation"][aria-selected="true"]');
    assert.equal(await page.locator('.gen-token').count(), 12, 'every generated token is in the text');
    const tints = await page.$$eval('.gen-token', (els) => els.map((e) => getComputedStyle(e).getPropertyValue('--p')));
    assert.ok(new Set(tints).size > 1, 'tokens are tinted by their probability');
    assert.match(await page.locator('.gen-status').innerText(), /12 tokens, reached the maximum of new tokens/);
    assert.match(await page.locator('.gen-step-label').innerText(), /Step 12 of 12/);
    // ← on the canvas goes back one step and asks for that step's row
    await page.focus('.gen-canvas');
    // Each press moves one step back (waiting for it: on a loaded machine a press right after focus can land
    // before the canvas handles keys).
    const stepShown = async () => Number(/Step (\d+) of 12/.exec(await page.locator('.gen-step-label').innerText())?.[1]);
    for (let presses = 0; (await stepShown()) > 5; presses++) {
      assert.ok(presses < 10, `ArrowLeft does not move the step (at ${await stepShown()})`);
      const before = await stepShown();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((b) => !new RegExp(`Step ${b} of 12`).test(document.querySelector('.gen-step-label')?.textContent ?? ''), before, { timeout: 2000 }).catch(() => undefined);
      const after = await stepShown();
      assert.ok(after === before || after === before - 1, `one press moves one step (${before} → ${after})`);
    }
    assert.match(await page.locator('.gen-step-label').innerText(), /Step 5 of 12/);
    await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestStepRow' && m.step === 4));
    assert.equal(await page.locator('.gen-slider').inputValue(), '4');
    await page.waitForTimeout(200);
    assert.ok(await inkOf(page) > 0.05, 'the step picture is drawn');
    // the head select asks for per-head rows
    assert.match(await page.locator('.live-region').textContent() ?? '', /Step 5 of 12/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('controls post their messages; bad settings are named and not sent', async () => {
  const { page, errors } = await openGeneration(browser, server.url, shape, settings);
  try {
    for (const [label, type] of [['Insert into Editor', 'insertGeneration'], ['Compare cache', 'compareCache'], ['Open as analysis', 'openGenerationAnalysis']] as const) {
      await page.locator('vscode-button', { hasText: label }).click();
      await page.waitForFunction((t) => window.__harness.posted.some((m) => m.type === t), type);
    }
    await page.fill('.gen-input >> nth=0', '1.5'); // temperature
    await page.locator('vscode-button', { hasText: 'Regenerate' }).click();
    await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'generate'));
    const gen = (await posted(page)).find((m) => m.type === 'generate') as Extract<FromPanelMessage, { type: 'generate' }>;
    assert.deepEqual(gen.settings, { ...settings, temperature: 1.5 });
    const before = (await posted(page)).length;
    await page.fill('.gen-input >> nth=2', '2'); // top-p
    await page.locator('vscode-button', { hasText: 'Regenerate' }).click();
    await page.waitForTimeout(100);
    assert.equal((await posted(page)).slice(before).filter((m) => m.type === 'generate').length, 0);
    assert.match(await page.locator('.gen-status').innerText(), /Check top-p/);
    // a cache comparison is shown
    await page.evaluate(() => window.__harness.send({ type: 'cacheComparison', run: 1, status: 'done', result: {
      withCache: { msPerToken: 18, ids: [1, 2] }, withoutCache: { msPerToken: 240, ids: [1, 2] }, speedup: 13.3, identical: true } }));
    await page.waitForFunction(() => /13\.3× faster; the tokens are identical/.test(document.querySelector('.gen-comparison')?.textContent ?? ''));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('Stop is offered while tokens stream in', async () => {
  const { page } = await openGeneration(browser, server.url, { ...shape, N: 3 }, settings);
  try {
    // a new run that has not ended yet
    await page.evaluate(() => window.__harness.send({ type: 'generationStart', run: 2, model: { name: 'test-small', layers: 3, heads: 4, embd: 64, vocab: 50257, ctx: 1024, dtype: 'F32' },
      prompt: [], settings: { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, seed: 0, maxNewTokens: 5 }, canInsert: true }));
    await page.waitForFunction(() => /Generating… 0 of 5/.test(document.querySelector('.gen-status')?.textContent ?? ''));
    assert.equal(await page.locator('vscode-button', { hasText: 'Stop' }).getAttribute('disabled'), null);
    await page.locator('vscode-button', { hasText: 'Stop' }).click();
    await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'stopGeneration'));
    assert.notEqual(await page.locator('vscode-button', { hasText: 'Insert into Editor' }).getAttribute('disabled'), null, 'nothing to insert yet');
  } finally {
    await page.close();
  }
});

test('exports: the whole step picture as PNG and SVG with the title', async () => {
  const { page, errors } = await openGeneration(browser, server.url, shape, settings);
  try {
    await page.waitForTimeout(200);
    const viaDialog = async (format: 'png' | 'svg') => {
      await page.click('vscode-button:has-text("Export…")');
      await page.waitForSelector('dialog.export-dialog[open]');
      await page.check(`dialog.export-dialog input[name="export-format"][value="${format}"]`);
      await page.click('dialog.export-dialog button.export-ok');
    };
    await viaDialog('svg');
    await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'export'));
    const svg = (await posted(page)).find((m) => m.type === 'export') as Extract<FromPanelMessage, { type: 'export' }>;
    assert.equal(svg.view, 'generation');
    assert.match(svg.data, /<svg /);
    assert.match(svg.data, /test-small · Generation · step 12 · layer 0 · mean of heads/);
    assert.match(svg.data, /Candidates at step 12/);
    assert.match(svg.data, /Attention over the steps/);
    await viaDialog('png');
    await page.waitForFunction(() => window.__harness.posted.filter((m) => m.type === 'export').length === 2);
    const png = (await posted(page)).filter((m) => m.type === 'export')[1] as Extract<FromPanelMessage, { type: 'export' }>;
    assert.match(png.data, /^data:image\/png;base64,/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('320 px wide and T = 1024: nothing overflows sideways, the strip holds every token', async () => {
  const narrow = await launchChromium({ width: 320, height: 800 });
  try {
    const { page, errors } = await openGeneration(narrow, server.url, { P: 1004, N: 20, L: 3, H: 4 }, settings);
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `horizontal overflow ${overflow}px`);
    const canvasWidth = await page.evaluate(() => (document.querySelector('.gen-canvas') as HTMLCanvasElement).getBoundingClientRect().right);
    assert.ok(canvasWidth <= 320, `canvas ends at ${canvasWidth}`);
    assert.ok(await inkOf(page) > 0.05);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await narrow.close();
  }
});

for (const theme of ['hc-dark', 'hc-light']) {
  test(`High Contrast (${theme}): the tab draws and generated tokens are outlined`, async () => {
    const { page, errors } = await openGeneration(browser, server.url, shape, settings, { theme });
    try {
      await page.waitForTimeout(200);
      assert.ok(await inkOf(page) > 0.05);
      const border = await page.$eval('.gen-token', (e) => getComputedStyle(e).borderBottomStyle);
      assert.equal(border, 'solid');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}
