// The Layer Profile in the real VS Code workbench (code-server, the packaged VSIX) with the side bar at 320 px:
// Show Attention on a selection, Profile Texts on the demo corpus (progress within the run, the same line in the
// notification and the view; an existing profile JSON is not overwritten unasked), then Show Attention again —
// the view holds both results and switches with one click; a corpus head opens on a corpus text; the head
// heatmap's tooltip closes. The model is a checkpoint the test makes (12 layers × 12 heads, random weights,
// named "test-small-12x12"), set through attentionInspector.modelPath. Screenshots: e2e-layer-profile-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, mediaDir, repoRoot, sleep, waitFor } from './harness';
import { writeCheckpoint } from '../fixtures/checkpoint';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = {
  show: 'Attention Inspector: Show Attention',
  profileTexts: 'Attention Inspector: Profile Texts…',
};
const NOTES = 'The dog on the ship ran after the fox, and the motor hummed below deck.\n';
const SELECTION = 'The dog on the ship ran after the fox';
const CORPUS = readFileSync(join(repoRoot, 'media', 'demo-corpus.jsonl'), 'utf8');
const CORPUS_TEXTS = CORPUS.trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
/** An earlier profile already sits where Profile Texts saves: it must survive. */
const EARLIER = '{"earlier": true}\n';
const SIDEBAR = 320;
const MODEL = 'test-small-12x12';

let modelRoot: string;
let server: CodeServer;
let wb: Workbench;

async function viewText(view: Frame): Promise<string> {
  return (await view.locator('body').innerText({ timeout: 5000 }).catch(() => '(no view)')).replace(/\s+/g, ' ').slice(0, 600);
}

/** The Layer Profile webview view, opened from our activity bar container (unless it is showing). */
async function layerProfileFrame(): Promise<Frame> {
  const item = wb.page.locator('.activitybar .action-item:has(a[aria-label^="Attention Inspector"]), .activitybar .action-item[aria-label^="Attention Inspector"]').first();
  await item.waitFor({ timeout: 15_000 });
  if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
  return wb.getWebviewFrame(/Layer Profile/, 30_000);
}

/** Drag the sash at the side bar's right edge until the side bar is `width` px wide. */
async function setSideBarWidth(width: number): Promise<number> {
  const sidebar = wb.page.locator('.part.sidebar').first();
  for (let attempt = 0; attempt < 3; attempt++) {
    const box = (await sidebar.boundingBox())!;
    if (Math.abs(box.width - width) <= 1) return box.width;
    const edge = box.x + box.width;
    const sashes = await wb.page.locator('.monaco-sash.vertical').evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height };
    }));
    const sash = sashes.filter((s) => s.h > 100).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
    if (!sash) throw new Error('No sash next to the side bar');
    await wb.page.mouse.move(sash.x, sash.y);
    await wb.page.mouse.down();
    await wb.page.mouse.move(sash.x + (width - box.width), sash.y, { steps: 8 });
    await wb.page.mouse.up();
    await sleep(300);
  }
  return (await sidebar.boundingBox())!.width;
}

async function shownOrigin(view: Frame): Promise<string | undefined> {
  return (await view.locator('.summary .showing').getAttribute('data-origin', { timeout: 2000 }).catch(() => null)) ?? undefined;
}

async function tooltipHidden(view: Frame): Promise<boolean> {
  return view.locator('.tooltip').evaluate((el) => (el as HTMLElement).hidden === true);
}

/** Hover the middle of the head heatmap until its tooltip shows. */
async function hoverHeadHeatmap(view: Frame): Promise<void> {
  const canvas = view.locator('canvas[data-chart="headHeatmap"]');
  await canvas.scrollIntoViewIfNeeded();
  await sleep(200); // the scroll event of scrollIntoView closes tooltips: let it pass
  await waitFor(async () => {
    const box = (await canvas.boundingBox())!;
    await wb.page.mouse.move(box.x + box.width * 0.5 - 2, box.y + box.height * 0.4);
    await wb.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
    return !(await tooltipHidden(view));
  }, 10_000, async () => `The head heatmap shows no tooltip: ${await viewText(view)}`, 300);
}

describe('Layer Profile at 320 px in the VS Code workbench', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    modelRoot = mkdtempSync(join(tmpdir(), 'ai-e2e-long-profile-'));
    const modelDir = await writeCheckpoint(join(modelRoot, MODEL), { n_layer: 12, n_head: 12, n_embd: 48, n_positions: 256, seed: 12 });
    server = await CodeServer.start({
      vsix: [VSIX],
      files: {
        'notes.txt': NOTES, 'corpus.jsonl': CORPUS, 'corpus.attention-profile.json': EARLIER,
        // modelPath is machine-overridable: code-server's remote extension host ignores it in user settings.
        '.vscode/settings.json': JSON.stringify({ 'attentionInspector.modelPath': modelDir, 'attentionInspector.profile.batchSize': 64 }),
      },
      settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    });
    wb = await Workbench.open(server, { width: 1280, height: 1100 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (modelRoot) rmSync(modelRoot, { recursive: true, force: true });
  });

  test('Show Attention on a selection shows its profile in a 320 px side bar, every title whole', async () => {
    // Quick Open can be slow to list the workspace on a loaded machine: try again before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        await wb.openFile('notes.txt');
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await wb.closeQuickInput();
        await sleep(2000);
      }
    }
    await wb.selectText(SELECTION);
    await wb.runCommand(CMD.show);
    await wb.getWebviewFrame('Attention', 60_000);
    const view = await layerProfileFrame();
    const width = await setSideBarWidth(SIDEBAR);
    assert.ok(Math.abs(width - SIDEBAR) <= 2, `the side bar is ${width} px wide`);
    await waitFor(async () => (await shownOrigin(view)) === 'selection', 60_000, async () => `No selection profile: ${await viewText(view)}`);
    const layout = await view.locator('body').evaluate(() => ({
      width: innerWidth, overflow: document.documentElement.scrollWidth - innerWidth,
      clipped: [...document.querySelectorAll('.chart-title')].filter((t) => t.scrollWidth > t.clientWidth + 1).map((t) => t.textContent),
    }));
    assert.ok(layout.width <= SIDEBAR && layout.width >= SIDEBAR - 40, `the view is ${layout.width} px wide`);
    assert.equal(layout.overflow, 0, 'no horizontal scrolling');
    assert.deepEqual(layout.clipped, [], 'no chart title is cut');
    assert.match(await viewText(view), new RegExp(`${MODEL} · selection`));
  });

  test('Profile Texts reports progress within the batch, asks before overwriting, and shows the corpus', async (t) => {
    const view = await layerProfileFrame();
    // Record every progress line the view shows (the run may be quick).
    await view.locator('body').evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenProgress: string[] }).seenProgress = seen;
      new MutationObserver(() => {
        const line = document.querySelector('.progress:not([hidden]) .progress-count')?.textContent;
        if (line && seen.at(-1) !== line) seen.push(line);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const notes: string[] = [];
    const watch = setInterval(() => void wb.notifications().then((n) => notes.push(...n.filter((x) => /Profiling/.test(x)))).catch(() => undefined), 100);
    const t0 = Date.now();
    await wb.runCommand(CMD.profileTexts);
    await wb.pickQuickPickItem(/JSON Lines file/);
    await wb.answerFileDialog(join(server.workspace, 'corpus.jsonl'));
    // corpus.attention-profile.json exists: a modal asks; save under the next free name.
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 120_000 }).catch(async () => {
      throw new Error(`No overwrite question; notifications: ${JSON.stringify(await wb.notifications())}; view: ${await viewText(view)}`);
    });
    assert.match(await dialog.innerText(), /corpus\.attention-profile\.json already exists/);
    await dialog.locator('.monaco-button').filter({ hasText: 'Save as corpus.attention-profile-2.json' }).click();
    clearInterval(watch);
    const done = await wb.waitForNotification(/Profiled 64 texts/, 60_000);
    t.diagnostic(`${done} (${Date.now() - t0} ms)`);
    assert.equal(readFileSync(join(server.workspace, 'corpus.attention-profile.json'), 'utf8'), EARLIER, 'the earlier profile is untouched');
    assert.ok(existsSync(join(server.workspace, 'corpus.attention-profile-2.json')), 'saved under the new name');

    const seen = await view.locator('body').evaluate(() => (window as unknown as { seenProgress: string[] }).seenProgress);
    t.diagnostic(`progress lines in the view: ${JSON.stringify(seen)}; notifications: ${JSON.stringify([...new Set(notes)].slice(0, 6))}`);
    const within = seen.filter((l) => /^(\d+) \/ 64 texts · [\d,]+ \/ [\d,]+ tokens/.test(l) && !/^(0|64) \//.test(l));
    assert.ok(within.length >= 1, `progress moved within the one batch of 64: ${JSON.stringify(seen)}`);
    for (const n of new Set(notes)) {
      const line = /(\d+ \/ 64 texts[^]*?)(?:$| Cancel)/.exec(n)?.[1]?.trim();
      if (line && !line.includes('starting')) assert.match(line, /texts · [\d,]+ \/ [\d,]+ tokens/, `the notification carries the same line: ${n}`);
    }

    await waitFor(async () => (await shownOrigin(view)) === 'corpus', 30_000, async () => `The corpus result is not shown: ${await viewText(view)}`);
    assert.match(await viewText(view), /64 sequences/);
    assert.equal(await view.locator('.segment[data-origin="corpus"]').getAttribute('aria-pressed'), 'true', 'the switch says the corpus is shown');
  });

  test('Show Attention again: the view offers both, one click switches back to the corpus', async () => {
    await wb.focusEditor();
    await wb.selectText(SELECTION);
    await wb.runCommand(CMD.show);
    const view = await layerProfileFrame();
    await waitFor(async () => (await shownOrigin(view)) === 'selection', 60_000, async () => `The selection profile is not shown: ${await viewText(view)}`);
    assert.equal(await view.locator('.segmented').isVisible(), true, 'both results are offered');
    assert.equal(await view.locator('.segment[data-origin="selection"]').getAttribute('aria-pressed'), 'true');
    await wb.page.mouse.move(5, 5);
    await wb.screenshot('layer-profile-320-selection');
    await view.locator('.segment[data-origin="corpus"]').click();
    await waitFor(async () => (await shownOrigin(view)) === 'corpus', 15_000, async () => `The switch did not bring the corpus back: ${await viewText(view)}`);
    assert.match(await viewText(view), /64 sequences/);
    assert.equal(await view.locator('details[data-section="corpus"]').isVisible(), true);
  });

  test('the head heatmap tooltip closes on leave, on scroll and when the result changes', async () => {
    const view = await layerProfileFrame();
    await hoverHeadHeatmap(view);
    assert.match(await view.locator('.tooltip').innerText(), /layer \d+, head \d+[^]*nats/);
    await wb.page.mouse.move(5, 5);
    await waitFor(() => tooltipHidden(view), 5000, () => 'The tooltip stayed after the pointer left');
    await hoverHeadHeatmap(view);
    await wb.page.mouse.wheel(0, -200);
    await waitFor(() => tooltipHidden(view), 5000, () => 'The tooltip stayed after a scroll');
    await hoverHeadHeatmap(view);
    await view.locator('.segment[data-origin="selection"]').evaluate((b) => (b as HTMLButtonElement).click());
    await waitFor(async () => (await shownOrigin(view)) === 'selection' && (await tooltipHidden(view)), 10_000, () => 'The tooltip survived the switch');
    await view.locator('.segment[data-origin="corpus"]').click();
    await waitFor(async () => (await shownOrigin(view)) === 'corpus', 15_000, async () => `No corpus: ${await viewText(view)}`);
  });

  test('a head clicked in the corpus opens on the corpus text where it is most typical', async () => {
    const view = await layerProfileFrame();
    const row = view.locator('table.head-table tbody tr[data-layer="3"][data-head="5"]');
    await row.scrollIntoViewIfNeeded();
    await row.click();
    const panel = await wb.getWebviewFrame('Attention', 30_000);
    // The panel now shows a corpus text (in an untitled editor) with the heatmap of layer 3, head 5.
    const hint = await waitFor(async () => {
      const h = panel.locator('.heatmap-view .toolbar-hint').first();
      return (await h.isVisible().catch(() => false)) && (await h.innerText()) === 'layer 3 · head 5' ? 'ok' : undefined;
    }, 60_000, async () => `The heatmap of layer 3 head 5 is not shown; notifications ${JSON.stringify(await wb.notifications())}`);
    assert.equal(hint, 'ok');
    // An untitled editor (not notes.txt) holds the corpus text.
    const untitled = wb.page.locator('.editor-group-container:has(.tab.active[data-resource-name^="Untitled"]) .monaco-editor .view-lines').first();
    await untitled.waitFor({ timeout: 15_000 }).catch(async () => {
      throw new Error(`No untitled editor; tabs: ${JSON.stringify(await wb.page.locator('.tab').evaluateAll((ts) => ts.map((t) => t.getAttribute('data-resource-name'))))}`);
    });
    const editorText = (await untitled.innerText()).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
    const match = CORPUS_TEXTS.find((text) => text.replace(/\s+/g, ' ').startsWith(editorText.slice(0, 40)));
    assert.ok(editorText.length > 20 && match, `the editor holds a corpus text: "${editorText.slice(0, 120)}"`);
    assert.match(await panel.locator('.note').first().innerText(), /Corpus text \d+ \(most typical for entropy of layer 3 head 5\)/);
    assert.equal(await shownOrigin(view), 'corpus', 'the Layer Profile stays on the corpus');
    assert.equal(await view.locator('.segmented').isVisible(), true);
  });

  test('screenshots of the corpus profile at 320 px', async () => {
    const view = await layerProfileFrame();
    await view.locator('body').evaluate(() => window.scrollTo(0, 0));
    await wb.page.mouse.move(5, 5);
    await sleep(300);
    await wb.screenshot('layer-profile-320');
    const box = (await wb.page.locator('.part.sidebar').first().boundingBox())!;
    await wb.page.screenshot({ path: join(mediaDir, 'e2e-layer-profile-sidebar.png'), clip: box });
    // Further down: the head statistics (heatmap and table). No column of the table is cut by the view's edge.
    await view.locator('details[data-section="heads"]').evaluate((el) => el.scrollIntoView());
    await sleep(300);
    const table = await view.locator('.table-wrap').evaluate((wrap) => {
      const w = wrap.getBoundingClientRect();
      const last = [...wrap.querySelectorAll('th')].at(-1)!.getBoundingClientRect();
      return { wrapRight: w.right, lastRight: last.right, viewport: innerWidth, overflowX: wrap.scrollWidth - wrap.clientWidth };
    });
    assert.ok(table.wrapRight <= table.viewport && table.lastRight <= table.wrapRight + 0.5 && table.overflowX <= 1,
      `the head table fits the ${table.viewport} px view: ${JSON.stringify(table)}`);
    await wb.page.screenshot({ path: join(mediaDir, 'e2e-layer-profile-sidebar-heads.png'), clip: box });
  });
});
