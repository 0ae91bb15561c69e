// The panel at T = 1000 in a 320 px wide editor group, in the real VS Code workbench (code-server, the
// packaged VSIX, a gpt2-small-shaped checkpoint with random weights made by the test, maxTokens 1000):
// every tab draws and nothing in the panel runs past its right edge; the tab strip is whole; the tokens
// table is virtualised and scrolls inside itself; an emoji split over two tokens shows on the first;
// stepping to the next layer draws from the prefetched layer, never through "Loading layer…".
// Screenshots go to test-results/e2e/e2e-long-tabs-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, waitFor } from './harness';
import { GPT2_SMALL_SHAPE, writeCheckpoint } from '../fixtures/checkpoint';
import { sidewaysOverflow } from '../webview/overflow';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
/** Random weights in the gpt2-small shape (12 layers × 12 heads, 768 wide); the folder name is what the panel shows. */
const MODEL_DIR = join(repoRoot, '.cache', 'long-tabs', 'test-small-12x12');
const MAX_TOKENS = 1000;
const WIDTH = 320;
const TABS = ['head', 'model', 'heatmap', 'tokens', 'flow'] as const;
const CANVAS: Record<string, string> = { head: 'canvas.head-canvas', model: 'canvas.model-canvas', heatmap: 'canvas.heatmap-canvas', flow: 'canvas.flow-canvas' };

// One paragraph (no blank line) of well over 1000 tokens, with an emoji GPT-2 splits in two near the start.
const SENTENCES = [
  'The harbor was quiet before the storm, and the gulls sat in long rows on the wet stones.',
  'A captain with a grey coat walked along the pier and counted the boats that had come back.',
  'Nobody spoke while the wind turned, because everyone knew what the sky meant that evening.',
  'Later the lights of the town came on one by one, and the sea kept rising against the wall.',
];
const LINES = ['Hello 😀 and welcome to the harbor.', ...Array.from({ length: 60 }, (_, i) => `${SENTENCES[i % 4]} (${i + 1})`)];
const TEXT = LINES.join('\n') + '\n';

let server: CodeServer;
let wb: Workbench;
let panel: Frame;

async function tokenCount(frame: Frame): Promise<number> {
  return frame.locator('.token-strip .token').count();
}

async function panelWidth(frame: Frame): Promise<number> {
  return frame.evaluate(() => document.documentElement.clientWidth);
}


async function showTab(frame: Frame, tab: string): Promise<void> {
  await frame.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
  await waitFor(async () => (await frame.locator(`vscode-tab-header[data-tab="${tab}"]`).getAttribute('aria-selected')) === 'true', 10_000,
    () => `the ${tab} tab was not selected`);
}

async function cachedLayers(frame: Frame): Promise<number[]> {
  const v = await frame.locator('.layer-status').getAttribute('data-cached');
  return v ? v.split(',').map(Number) : [];
}

describe('the panel at T=1000 in a 320 px editor group', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    await writeCheckpoint(MODEL_DIR, GPT2_SMALL_SHAPE);
    server = await CodeServer.start({
      vsix: [VSIX],
      // modelPath is machine-overridable: a remote (code-server) window reads it from the workspace settings.
      files: { 'harbor.txt': TEXT, '.vscode/settings.json': JSON.stringify({ 'attentionInspector.modelPath': MODEL_DIR }) },
      settings: { 'attentionInspector.modelPath': MODEL_DIR, 'attentionInspector.maxTokens': MAX_TOKENS, 'attentionInspector.topK': 5 },
    });
    wb = await Workbench.open(server, { width: 900, height: 950 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  test('Show Attention on 1000 tokens, then the panel narrowed to 320 px', async (t) => {
    // Quick Open lists nothing until the workspace's file search is up (slow on a busy machine): retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await wb.openFile('harbor.txt');
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await wb.closeQuickInput().catch(() => undefined);
      }
    }
    await wb.goTo(1, 1);
    const t0 = Date.now();
    await wb.runCommand('Attention Inspector: Show Attention');
    panel = await wb.getWebviewFrame('Attention', 120_000);
    const outcome = await waitFor(async () => {
      if ((await tokenCount(panel)) === MAX_TOKENS) return 'shown';
      return (await wb.notifications()).find((n) => /failed/i.test(n));
    }, 300_000, async () => `The panel does not show ${MAX_TOKENS} tokens (${await tokenCount(panel).catch(() => -1)}). Notifications: ${JSON.stringify(await wb.notifications())}\n${server.extensionHostLog().slice(-3000)}`);
    assert.equal(outcome, 'shown', `Show Attention failed: ${outcome}`);
    t.diagnostic(`analysis of ${MAX_TOKENS} tokens shown after ${Date.now() - t0} ms`);
    assert.match(await panel.locator('.panel-header').innerText(), new RegExp(`${MAX_TOKENS} tokens`));

    // Close the side bar, then size the window so the panel's group is 320 px (the groups share the width).
    await wb.runCommand('View: Close Primary Side Bar').catch(() => undefined);
    for (let i = 0; i < 4; i++) {
      const w = await panelWidth(panel);
      if (Math.abs(w - WIDTH) <= 1) break;
      const vp = wb.page.viewportSize()!;
      await wb.page.setViewportSize({ width: Math.round(vp.width + 2 * (WIDTH - w)), height: vp.height });
      await waitFor(async () => (await panelWidth(panel)) !== w, 5000, () => 'the panel did not resize').catch(() => undefined);
    }
    const w = await panelWidth(panel);
    assert.ok(Math.abs(w - WIDTH) <= 2, `the panel is ${w} px wide, wanted ${WIDTH}`);
  });

  test('an emoji split over two tokens shows on the first token of the strip', async () => {
    const tokens = await panel.locator('.token-strip .token').evaluateAll((els) => els.slice(0, 6).map((e) => ({ text: e.textContent ?? '', title: e.getAttribute('title') ?? '' })));
    const first = tokens.findIndex((x) => x.text.includes('😀'));
    assert.ok(first >= 0, `the strip shows the emoji: ${JSON.stringify(tokens)}`);
    assert.match(tokens[first].title, /part 1 of \d of U\+1F600/);
    assert.equal(tokens[first + 1].text, '◌');
    assert.ok(tokens.every((x) => !x.text.includes('\uFFFD')), `no "�" in the strip: ${JSON.stringify(tokens)}`);
  });

  test('every tab draws at 320 px and nothing overflows sideways', async (t) => {
    for (const tab of TABS) {
      await showTab(panel, tab);
      if (tab === 'tokens') {
        await waitFor(async () => (await panel.locator('.tokens-table tbody tr[data-index]').count()) > 5, 30_000, () => 'the tokens table has no rows');
        const built = await panel.locator('.tokens-table tbody tr[data-index]').count();
        assert.ok(built < 100, `the tokens table builds only the rows in view (${built} of ${MAX_TOKENS})`);
        const box = await panel.locator('.table-box').evaluate((b) => ({ scroll: b.scrollWidth, client: b.clientWidth }));
        assert.ok(box.scroll > box.client, 'the table scrolls inside its box');
        const open = await panel.evaluate(() => performance.getEntriesByName('attention-panel:tokens:open').at(-1)?.duration ?? -1);
        t.diagnostic(`tokens tab open: ${open.toFixed(1)} ms (T=${MAX_TOKENS})`);
      } else {
        await waitFor(() => Workbench.canvasIsNonBlank(panel, CANVAS[tab]), 60_000,
          async () => `${tab}: nothing drawn in ${CANVAS[tab]}: ${JSON.stringify(await Workbench.canvasStats(panel, CANVAS[tab]))}`);
      }
      const o = await sidewaysOverflow(panel);
      assert.ok(o.scrollWidth <= o.clientWidth, `${tab}: the panel scrolls sideways (${o.scrollWidth} > ${o.clientWidth})`);
      assert.deepEqual(o.offenders, [], `${tab}: elements past the panel's edge`);
      const headers = await panel.locator('vscode-tab-header').evaluateAll((hs) => hs.map((h) => { const r = h.getBoundingClientRect(); return [r.left, r.right]; }));
      const W = await panelWidth(panel);
      for (const [l, r] of headers) assert.ok(l >= 0 && r <= W + 0.5, `${tab}: a tab header at [${l}, ${r}] is cut (panel ${W} px)`);
      await wb.screenshot(`long-tabs-${tab}`);
    }
  });

  test('stepping to the next layer draws from the prefetched layer, without "Loading layer…"', async (t) => {
    for (const tab of ['head', 'tokens'] as const) {
      await showTab(panel, tab);
      await panel.evaluate(() => {
        const status = document.querySelector('.layer-status') as HTMLElement;
        const w = window as unknown as { sawLoading: string[] };
        w.sawLoading = [];
        new MutationObserver(() => { if (!status.hidden) w.sawLoading.push(status.textContent ?? ''); })
          .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
      });
      for (let step = 0; step < 2; step++) {
        const layer = await panel.evaluate(() => Number((document.querySelector('.nav-row vscode-single-select') as HTMLElement & { value: string }).value));
        // The layers around the current one arrive on their own (a user reading the view meanwhile).
        const t0 = Date.now();
        await waitFor(async () => (await cachedLayers(panel)).includes(layer + 1), 60_000,
          async () => `layer ${layer + 1} was not prefetched (cached: ${await cachedLayers(panel)})`);
        t.diagnostic(`${tab}: layer ${layer + 1} prefetched ${Date.now() - t0} ms after the wait began`);
        await panel.locator('vscode-button[aria-label="Next layer"]').click();
        await waitFor(async () => Number(await panel.evaluate(() => (document.querySelector('.nav-row vscode-single-select') as HTMLElement & { value: string }).value)) === layer + 1,
          10_000, () => `the layer select did not move to ${layer + 1}`);
        if (tab === 'tokens') {
          await waitFor(async () => new RegExp(`^Top-3 attended tokens for layer ${layer + 1}`).test(await panel.locator('.tokens-view .toolbar-hint').innerText()), 5000,
            async () => `the tokens table did not show layer ${layer + 1}: "${await panel.locator('.tokens-view .toolbar-hint').innerText()}"`);
        } else {
          await waitFor(() => Workbench.canvasIsNonBlank(panel, CANVAS.head), 10_000, () => 'the head view is blank after the step');
        }
      }
      const saw = await panel.evaluate(() => (window as unknown as { sawLoading: string[] }).sawLoading);
      assert.deepEqual(saw, [], `${tab}: "Loading layer" showed while stepping`);
    }
    await wb.screenshot('long-tabs-stepped');
    assert.deepEqual(wb.errors().filter((e) => /attention|panel/i.test(e)), [], 'no errors from the panel');
  });
});
