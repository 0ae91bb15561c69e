// Interactions in the real VS Code workbench (code-server, the packaged VSIX, the Dark Modern theme,
// attentionInspector.maxTokens = 16), beyond the acceptance story of showAttention.e2e.ts:
// cancelling the first model download, Show Attention on the paragraph around the cursor, the panel in
// the dark theme, Follow cursor, SVG and JSON exports from the command palette, opening a head from the
// Layer Profile's head table, Clear Attention Highlights, a selection longer than maxTokens (truncation
// notice and cut marker), and an edit inside the analyzed text (stale banner, decorations cleared).
// The tests run in order and share one workbench; each wait is bounded and says what was on screen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { CodeServer, Workbench, mediaDir, repoRoot, waitFor } from './harness';
import { startHubServer, type HubServer, type HubServerOptions } from '../fixtures/hubServer';
import { TINY, writeCheckpoint } from '../fixtures/checkpoint';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = {
  show: 'Attention Inspector: Show Attention',
  clear: 'Attention Inspector: Clear Attention Highlights',
  exportSvg: 'Attention Inspector: Export Attention View as SVG…',
  exportJson: 'Attention Inspector: Export Analysis as JSON…',
};
const MAX_TOKENS = 16;
const MODEL_FILE_NAMES = ['config.json', 'tokenizer.json', 'model.safetensors'];

// Line 1: a one-line paragraph; lines 3–4: the two-line paragraph analyzed from the cursor (9 tokens);
// line 6: one long sentence, longer than MAX_TOKENS.
const PARAGRAPH = 'A bird sang.\nIt flew away.';
const PARAGRAPH_TOKENS = ['A', ' bird', ' sang', '.', '\n', 'It', ' flew', ' away', '.'];
/** How the panel's token strip shows them (a line break is drawn as ⏎). */
const PARAGRAPH_STRIP = PARAGRAPH_TOKENS.map((t) => t.replace('\n', '⏎'));
const LONG_LINE = 'Once upon a time there was a little robot who wanted to learn how people talk, so it read every book in the library.';
const NOTES = `The cat sat on the mat.\n\n${PARAGRAPH}\n\n${LONG_LINE}\n`;

let modelDir: string;
let hub: HubServer;
/** Read by the fake hub on every request: the first download trickles (to be cancelled), later ones are quick. */
const hubOptions: HubServerOptions = { slow: { chunkSize: 32 * 1024, delayMs: 150, keys: ['gpt2/model.safetensors'] } };
let server: CodeServer;
let wb: Workbench;
let panel: Frame;

// ---- helpers -------------------------------------------------------------------------------------------

async function tokenTexts(frame: Frame): Promise<string[]> {
  return frame.locator('.token-strip .token').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
}

async function selectedToken(frame: Frame): Promise<number | undefined> {
  const sel = frame.locator('.token-strip .token.selected');
  if ((await sel.count()) !== 1) return undefined;
  return Number(await sel.getAttribute('data-index'));
}

/** The panel header's text (model, count, badges, note, banners), for assertions and failure messages. */
async function headerText(frame: Frame): Promise<string> {
  return (await frame.locator('.panel-header').innerText({ timeout: 2000 }).catch(() => '(no panel header)')).replace(/\s+/g, ' ').trim();
}

async function visibleText(frame: Frame, selector: string): Promise<string | undefined> {
  const loc = frame.locator(selector).first();
  if (!(await loc.count()) || !(await loc.isVisible())) return undefined;
  return (await loc.innerText()).trim();
}

async function expectCanvasDrawn(frame: Frame, selector: string, what: string): Promise<void> {
  await waitFor(() => Workbench.canvasIsNonBlank(frame, selector), 30_000,
    async () => `${what}: no drawn pixels in ${selector}; canvases: ${JSON.stringify(await Workbench.canvasStats(frame, selector))}`);
}

/** What the workbench shows, for failure messages. */
async function onScreen(): Promise<string> {
  const header = panel ? await headerText(panel) : '(panel not open)';
  return `panel header: "${header}"; notifications: ${JSON.stringify(await wb.notifications())}; ` +
    `cursor: "${await wb.page.locator('#status\\.editor\\.selection').innerText({ timeout: 1000 }).catch(() => '(no text editor active)')}"`;
}

interface Box { x: number; y: number; width: number; height: number }

/** Rendered decorations of the active editor drawn with a solid border (the query token mark). */
async function borderedDecorations(): Promise<Box[]> {
  return wb.activeEditor.evaluate((editor) => {
    const out: { x: number; y: number; width: number; height: number }[] = [];
    for (const el of editor.querySelectorAll<HTMLElement>('.view-overlays .cdr, .view-lines span[class*="ced-"]')) {
      const s = getComputedStyle(el);
      if (s.borderTopStyle !== 'solid' || parseFloat(s.borderTopWidth) <= 0) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0) out.push({ x: r.x, y: r.y, width: r.width, height: r.height });
    }
    return out;
  });
}

/** Attention paint (background decorations) in the active editor. */
async function attentionPaint(): Promise<number> {
  return (await wb.decorations()).filter((d) => /\bced-/.test(d.className)).length;
}

function sameSpan(a: Box, b: Box, tolerance = 3): boolean {
  return Math.abs(a.x - b.x) <= tolerance && Math.abs(a.x + a.width - (b.x + b.width)) <= tolerance
    && Math.abs(a.y + a.height / 2 - (b.y + b.height / 2)) <= b.height / 2;
}

interface CutMarker { lineText: string; label: string; at: number }

/**
 * The truncation mark in the editor: text injected after a token (VS Code renders `after` decorations as
 * injected text, or as a ::after pseudo-element). `at` = characters of the line's own text before it.
 */
async function cutMarker(): Promise<CutMarker | undefined> {
  return wb.activeEditor.locator('.view-lines').evaluate((root) => {
    const needle = 'analysis stops here';
    const nbsp = /\u00a0/g;
    for (const line of root.querySelectorAll<HTMLElement>('.view-line')) {
      let text = '';
      for (const span of line.querySelectorAll<HTMLElement>('span')) {
        if (span.children.length > 0) continue; // leaves only
        const own = (span.textContent ?? '').replace(nbsp, ' ');
        const after = getComputedStyle(span, '::after').content;
        const before = getComputedStyle(span, '::before').content;
        const pseudo = [before, after].find((c) => c && c !== 'none' && c.includes(needle));
        if (own.includes(needle)) return { lineText: (line.textContent ?? '').replace(nbsp, ' '), label: own, at: text.length };
        if (pseudo && pseudo === before) return { lineText: (line.textContent ?? '').replace(nbsp, ' '), label: pseudo, at: text.length };
        text += own;
        if (pseudo) return { lineText: (line.textContent ?? '').replace(nbsp, ' '), label: pseudo, at: text.length };
      }
    }
    return undefined;
  });
}

/** The text the editor renders dimmed (opacity < 1): the part of a selection after the cut. */
async function dimmedText(): Promise<string> {
  return wb.activeEditor.locator('.view-lines').evaluate((root) => {
    let text = '';
    for (const span of root.querySelectorAll<HTMLElement>('.view-line span span')) {
      if (Number(getComputedStyle(span).opacity) < 1) text += (span.textContent ?? '').replace(/\u00a0/g, ' ');
    }
    return text;
  });
}

/** Click a button (e.g. "Cancel") of the notification toast whose text matches `pattern`. */
async function clickNotificationButton(pattern: RegExp, label: string): Promise<void> {
  const toast = wb.page.locator('.notifications-toasts .notification-list-item').filter({ hasText: pattern }).first();
  await toast.waitFor({ state: 'visible', timeout: 30_000 }).catch(async () => {
    throw new Error(`No notification matching ${pattern}: ${await onScreen()}`);
  });
  await toast.hover(); // the toolbar of a toast shows on hover
  await toast.locator('.monaco-button, a.monaco-button, .action-label').filter({ hasText: label }).first().click({ timeout: 10_000 });
}

/** The text of our status bar item ("gpt2", "gpt2: downloading 42%", "gpt2: ready"). */
async function modelStatus(): Promise<string> {
  const texts = await wb.page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  return texts.map((x) => x.trim()).find((x) => /^gpt2\b/.test(x)) ?? `(no model item in ${JSON.stringify(texts)})`;
}

/** Files under the extension's global storage (paths relative to it). */
function storageFiles(): string[] {
  const root = join(server.userDataDir, 'User', 'globalStorage');
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.filter((p) => p.includes(`${pkg.name}`) || p.includes('/models/'));
}

/** The Layer Profile webview view, opened from our activity bar container (unless it is showing). */
async function layerProfileFrame(): Promise<Frame> {
  const item = wb.page.locator('.activitybar .action-item:has(a[aria-label^="Attention Inspector"]), .activitybar .action-item[aria-label^="Attention Inspector"]').first();
  await item.waitFor({ timeout: 15_000 });
  if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
  return wb.getWebviewFrame(/Layer Profile/, 30_000);
}

/** The query mark (a bordered decoration) is on `text`, the keys are painted and the panel selects token `index`. */
async function expectQueryMark(text: string, index: number, after: string): Promise<void> {
  const word = await wb.textBox(text);
  await waitFor(async () => (await borderedDecorations()).some((b) => sameSpan(b, word)), 15_000,
    async () => `No query mark on "${text}" (${JSON.stringify(word)}) after ${after}; ` +
      `marks: ${JSON.stringify(await borderedDecorations())}; ${await onScreen()}`);
  assert.equal((await borderedDecorations()).length, 1, 'exactly one query mark');
  assert.ok(await attentionPaint() > 0, 'the attended keys are painted');
  await waitFor(async () => (await selectedToken(panel)) === index, 10_000,
    async () => `The panel did not select token ${index} ("${text}") after ${after}; selected: ${await selectedToken(panel)}`);
}

/** The panel header's Follow cursor checkbox (a vscode-checkbox; its label is a property). */
async function followCheckbox(): Promise<Locator> {
  const boxes = panel.locator('vscode-checkbox');
  const i = await boxes.evaluateAll((els) => els.findIndex((e) => (e as HTMLElement & { label?: string }).label === 'Follow cursor'));
  if (i < 0) throw new Error(`No Follow cursor checkbox in the panel header: "${await headerText(panel)}"`);
  return boxes.nth(i);
}

async function selectedTab(frame: Frame): Promise<string> {
  return frame.locator('vscode-tabs').evaluate((tabs) => {
    const i = (tabs as HTMLElement & { selectedIndex: number }).selectedIndex;
    return tabs.querySelectorAll('vscode-tab-header')[i]?.getAttribute('data-tab') ?? `#${i}`;
  });
}

async function selectValue(frame: Frame, ariaLabel: string): Promise<string> {
  return frame.locator(`vscode-single-select[aria-label="${ariaLabel}"]`).first().evaluate((s) => (s as HTMLElement & { value: string }).value);
}

/** Run Show Attention and wait for the panel to show an analysis whose tokens satisfy `accept`. */
async function showAttention(accept: (tokens: string[]) => boolean, what: string, timeoutMs = 60_000): Promise<string[]> {
  await wb.runCommand(CMD.show);
  panel = await wb.getWebviewFrame('Attention', timeoutMs);
  return waitFor(async () => {
    const tokens = await tokenTexts(panel);
    return tokens.length > 0 && accept(tokens) ? tokens : undefined;
  }, timeoutMs, async () => `${what}: the panel shows tokens ${JSON.stringify(await tokenTexts(panel))}; ${await onScreen()}\n` +
    server.extensionHostLog().slice(-2000));
}

// ---- the scenario ------------------------------------------------------------------------------------------

describe('Attention Inspector interactions in the VS Code workbench', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    modelDir = mkdtempSync(join(tmpdir(), 'ai-e2e-model-'));
    await writeCheckpoint(modelDir, TINY);
    hub = await startHubServer({
      'gpt2/config.json': join(modelDir, 'config.json'),
      'gpt2/tokenizer.json': join(modelDir, 'tokenizer.json'),
      'gpt2/model.safetensors': join(modelDir, 'model.safetensors'),
    }, hubOptions);
    server = await CodeServer.start({
      vsix: [VSIX],
      files: { 'notes.txt': NOTES },
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'attentionInspector.model': 'gpt2',
        'attentionInspector.hubEndpoint': hub.url,
        'attentionInspector.maxTokens': MAX_TOKENS,
        'attentionInspector.topK': 3,
      },
      env: { HF_HOME: join(modelDir, 'empty-hf-home'), HF_ENDPOINT: hub.url },
    });
    wb = await Workbench.open(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await hub?.close();
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  });

  test('cancelling the model download leaves no partial model and says so in the panel', async (t) => {
    t.diagnostic(`vsix install ${server.timings.installVsixMs} ms, code-server ready ${server.timings.httpReadyMs} ms, workbench ${wb.timings.workbenchReadyMs} ms`);
    await wb.openFile('notes.txt');
    await wb.goTo(4, 5);
    await wb.runCommand(CMD.show);
    await waitFor(() => hub.requests.some((r) => r.startsWith('GET /lfs/')), 30_000,
      async () => `The weights download did not start: hub requests ${JSON.stringify(hub.requests)}; ${await onScreen()}`);
    await clickNotificationButton(/Downloading gpt2/, 'Cancel');
    panel = await wb.getWebviewFrame('Attention', 30_000);
    const message = await waitFor(() => visibleText(panel, '.error-banner'), 30_000,
      async () => `The panel shows no message after the cancelled download; ${await onScreen()}`);
    assert.match(message, /download was cancelled/i);
    assert.match(message, /Show Attention again/);
    await waitFor(async () => !(await wb.notifications()).some((n) => /Downloading gpt2/.test(n)), 15_000,
      async () => `The download notification is still open after Cancel: ${JSON.stringify(await wb.notifications())}`);
    assert.ok(!(await wb.notifications()).some((n) => /failed|error/i.test(n)), `a cancel is not an error: ${JSON.stringify(await wb.notifications())}`);
    await waitFor(async () => (await modelStatus()) === 'gpt2', 10_000,
      async () => `The status bar says "${await modelStatus()}" after the cancel, not the idle "gpt2"`);
    // Nothing incomplete under a final name: no weights, no .partial, no completion record; what is kept is complete.
    const files = await waitFor(() => {
      const f = storageFiles();
      return f.some((p) => p.endsWith('.partial') || p.endsWith('.lock')) ? undefined : f;
    }, 15_000, () => `Partial files stay in the storage folder after the cancel: ${JSON.stringify(storageFiles())}`);
    t.diagnostic(`storage after cancel: ${JSON.stringify(files)}`);
    assert.ok(!files.some((p) => p.endsWith('model.safetensors')), `weights left after the cancel: ${JSON.stringify(files)}`);
    assert.ok(!files.some((p) => p.endsWith('.download.json')), `the model is recorded as complete: ${JSON.stringify(files)}`);
    for (const p of files.filter((f) => MODEL_FILE_NAMES.some((n) => f.endsWith(`/${n}`)))) {
      const name = MODEL_FILE_NAMES.find((n) => p.endsWith(`/${n}`))!;
      const kept = readFileSync(join(server.userDataDir, 'User', 'globalStorage', p));
      assert.ok(kept.equals(readFileSync(join(modelDir, name))), `${p} is kept but differs from the hub's file`);
    }
  });

  test('Show Attention with no selection analyzes the paragraph around the cursor (and the download succeeds now)', async (t) => {
    hubOptions.slow = undefined;
    const t0 = Date.now();
    await wb.focusEditor();
    assert.equal(await wb.selectionStatus(), 'Ln 4, Col 5', 'the cursor is still inside the second paragraph, with no selection');
    const tokens = await showAttention((tk) => tk.length === PARAGRAPH_TOKENS.length, 'paragraph analysis', 120_000);
    t.diagnostic(`download + load + analysis in ${Date.now() - t0} ms`);
    assert.deepEqual(tokens, PARAGRAPH_STRIP);
    const note = await waitFor(() => visibleText(panel, '.note'), 10_000, async () => `No note in the panel; ${await onScreen()}`);
    assert.equal(note, 'No selection: analyzed the current paragraph (lines 3–4).');
    assert.equal(await visibleText(panel, '.error-banner'), undefined, 'the cancel message is gone after a successful analysis');
    assert.match(await headerText(panel), /9 tokens/);
    await waitFor(async () => (await modelStatus()) === 'gpt2: ready', 10_000, async () => `The status bar says "${await modelStatus()}"`);
    assert.ok(storageFiles().some((p) => p.endsWith('model.safetensors')), 'the weights are in the storage folder now');
  });

  test('the panel in the Dark Modern theme draws a readable head view', async () => {
    await expectCanvasDrawn(panel, 'canvas.head-canvas', 'Head view (dark)');
    const colours = await panel.locator('body').evaluate((b) => {
      const s = getComputedStyle(b);
      return { background: s.backgroundColor, color: s.color, kind: b.className };
    });
    assert.match(colours.kind, /vscode-dark/, `the webview body is not in the dark theme: ${JSON.stringify(colours)}`);
    const lum = (c: string) => {
      const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    assert.ok(lum(colours.color) - lum(colours.background) > 100, `text is not light on dark: ${JSON.stringify(colours)}`);
    await wb.page.mouse.move(5, 5);
    await wb.screenshot('dark');
    // A close-up of the panel alone (the webview's editor group), to check the text and lines are readable.
    const group = wb.page.locator('.editor-group-container:has(.tab.active[aria-label^="Attention"])').first();
    const box = await group.boundingBox();
    assert.ok(box, 'the panel is not on screen');
    await wb.page.screenshot({ path: join(mediaDir, 'e2e-dark-panel.png'), clip: box });
  });

  test('Follow cursor: the token under the cursor is the query; moving the cursor moves the mark', async () => {
    assert.equal(await wb.selectionStatus(), 'Ln 4, Col 5', 'the cursor is on "flew"');
    assert.equal(await selectedToken(panel), undefined, 'no query is pinned yet');
    // Focus the panel first, as a user clicking around in it would: then no text editor is active.
    await panel.locator('.panel-header .model-name').click();
    await waitFor(async () => !(await wb.page.locator('#status\\.editor\\.selection').isVisible()), 10_000,
      () => 'The editor still looks active after clicking into the panel');
    const follow = await followCheckbox();
    await follow.click();
    await waitFor(() => follow.evaluate((c) => (c as HTMLElement & { checked: boolean }).checked), 5000,
      () => 'The Follow cursor checkbox did not turn on');
    await expectQueryMark(' flew', 6, 'turning Follow cursor on with the cursor on "flew"');
    for (const [line, column, text, index] of [[3, 4, ' bird', 1], [4, 10, ' away', 7]] as const) {
      await wb.goTo(line, column);
      await expectQueryMark(text, index, `moving the cursor to ${line}:${column}`);
    }
    await wb.screenshot('follow-cursor');
  });

  test('Export Attention View as SVG writes an SVG document', async () => {
    const target = join(server.workspace, 'head-view.svg');
    await wb.runCommand(CMD.exportSvg);
    // The command opens the panel's export dialog with SVG chosen; Export then asks where to save.
    await panel.locator('dialog.export-dialog[open] button.export-ok').click({ timeout: 15_000 });
    await wb.answerFileDialog(target);
    await waitFor(() => existsSync(target) && /<\/svg>\s*$/.test(readFileSync(target, 'utf8')), 20_000,
      async () => `${target} was not written; workspace: ${JSON.stringify(readdirSync(server.workspace))}; ${await onScreen()}\n${server.extensionHostLog().slice(-1500)}`);
    const svg = readFileSync(target, 'utf8');
    assert.match(svg.slice(0, 200), /^(<\?xml[^>]*>\s*)?<svg\b/, `not an SVG document: ${svg.slice(0, 200)}`);
    assert.match(svg, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const token of ['bird', 'flew']) assert.ok(svg.includes(token), `the SVG does not show the token "${token}"`);
    await wb.waitForNotification(/Exported .*head-view\.svg/, 10_000);
  });

  test('Export Analysis as JSON from the command palette writes the whole analysis', async () => {
    const target = join(server.workspace, 'analysis.json');
    await wb.runCommand(CMD.exportJson);
    await wb.pickQuickPickItem(/^Full precision/); // the form (each with its size), then the save dialog
    await wb.answerFileDialog(target);
    await wb.waitForNotification(/Exported .*analysis\.json/, 30_000);
    const json = JSON.parse(readFileSync(target, 'utf8')) as {
      model: { layers: number; heads: number }; tokens: { text: string }[]; attentions: number[][][][];
    };
    const T = PARAGRAPH_TOKENS.length;
    assert.deepEqual(json.tokens.map((tk) => tk.text), PARAGRAPH_TOKENS);
    assert.equal(json.attentions.length, TINY.n_layer);
    for (const layer of json.attentions) {
      assert.equal(layer.length, TINY.n_head);
      for (const head of layer) {
        assert.equal(head.length, T);
        head.forEach((row, q) => {
          assert.equal(row.length, T);
          const sum = row.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-4, `row ${q} sums to ${sum}`);
        });
      }
    }
  });

  test('clicking a head in the Layer Profile head table opens that heatmap in the panel', async () => {
    const view = await layerProfileFrame();
    const row = view.locator('table.head-table tr[data-layer="1"][data-head="2"]');
    await row.waitFor({ state: 'visible', timeout: 30_000 }).catch(async () => {
      throw new Error(`No row for layer 1 head 2 in the head table: ${(await view.locator('body').innerText()).slice(0, 800)}`);
    });
    await row.scrollIntoViewIfNeeded();
    await row.click();
    await waitFor(async () => (await selectedTab(panel)) === 'heatmap', 15_000,
      async () => `The panel shows the "${await selectedTab(panel)}" tab, not Heatmaps; ${await onScreen()}`);
    await waitFor(async () => (await visibleText(panel, '.heatmap-view .toolbar-hint')) === 'layer 1 · head 2', 10_000,
      async () => `The heatmap shows "${await visibleText(panel, '.heatmap-view .toolbar-hint')}"`);
    assert.equal(await selectValue(panel, 'Layer'), '1');
    assert.equal(await selectValue(panel, 'Head (or the mean over heads)'), '2');
    await expectCanvasDrawn(panel, 'canvas.heatmap-canvas', 'Heatmap of layer 1 head 2');
    assert.match(await panel.locator('canvas.heatmap-canvas').getAttribute('aria-label') ?? '', /layer 1, head 2/);
  });

  test('Clear Attention Highlights removes the decorations', async () => {
    await wb.focusEditor();
    await waitFor(async () => (await attentionPaint()) > 0 && (await borderedDecorations()).length > 0, 15_000,
      async () => `No attention decorations to clear: ${JSON.stringify(await wb.decorations())}`);
    await wb.runCommand(CMD.clear);
    await waitFor(async () => (await attentionPaint()) === 0 && (await borderedDecorations()).length === 0, 10_000,
      async () => `Decorations left after Clear: ${JSON.stringify(await wb.decorations())}, marks ${JSON.stringify(await borderedDecorations())}`);
  });

  test('a selection longer than maxTokens is cut: notice in the panel, marker after the last analyzed token', async () => {
    await wb.selectLines(6, 6);
    const tokens = await showAttention((tk) => tk.length === MAX_TOKENS && tk[0] === 'Once', 'long selection');
    const badge = await waitFor(() => visibleText(panel, '.warn-badge'), 10_000, async () => `No truncation badge; ${await onScreen()}`);
    assert.equal(badge, `input cut at ${MAX_TOKENS} tokens`);
    assert.match((await visibleText(panel, '.note')) ?? '', new RegExp(`Only the first ${MAX_TOKENS} tokens were analyzed \\(limit ${MAX_TOKENS}\\)`));
    // The query picked in the previous text (token 7) is not carried over: the editor shows no paint for it either.
    assert.equal(await selectedToken(panel), undefined, 'the panel keeps a query from the previous analysis');
    const prefix = tokens.join('');
    assert.ok(LONG_LINE.startsWith(prefix), `the tokens are not the start of the line: ${JSON.stringify(prefix)}`);
    const marker = await waitFor(cutMarker, 15_000, async () => `No cut marker in the editor; lines: ${JSON.stringify(
      await wb.activeEditor.locator('.view-line').allInnerTexts())}`);
    assert.match(marker.label, new RegExp(`analysis stops here \\(${MAX_TOKENS} tokens\\)`));
    assert.equal(marker.at, prefix.length, `the marker is not right after "${prefix}": ${JSON.stringify(marker)}`);
    const dimmed = await waitFor(async () => (await dimmedText()) || undefined, 10_000, () => 'The text after the cut is not dimmed');
    assert.equal(dimmed, LONG_LINE.slice(prefix.length), 'exactly the text after the cut is dimmed');
    await wb.screenshot('truncated');
  });

  test('after a window reload the panel comes back with the same analysis', async (t) => {
    const t0 = Date.now();
    await wb.page.reload({ timeout: 60_000 });
    await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    panel = await wb.getWebviewFrame('Attention', 60_000);
    const tokens = await waitFor(async () => {
      const tk = await tokenTexts(panel);
      return tk.length === MAX_TOKENS ? tk : undefined;
    }, 60_000, async () => `The restored panel shows ${JSON.stringify(await tokenTexts(panel))}; ${await onScreen()}`);
    t.diagnostic(`panel restored in ${Date.now() - t0} ms`);
    assert.equal(tokens[0], 'Once');
    assert.equal(await visibleText(panel, '.warn-badge'), `input cut at ${MAX_TOKENS} tokens`);
    await wb.activeEditor.locator('.view-lines').waitFor({ timeout: 30_000 });
    await waitFor(cutMarker, 15_000, () => 'The cut marker is not shown again after the reload');
  });

  test('editing before the analyzed text keeps the analysis: hovers still find their tokens', async () => {
    await wb.goTo(1, 1);
    await wb.page.keyboard.type('Hi. ');
    await waitFor(async () => (await wb.activeEditor.locator('.view-line').allInnerTexts()).some((l) => l.startsWith('Hi.')), 10_000,
      () => 'The typed text is not in the editor');
    const hover = await wb.hoverAt('robot', 0, /next token/i);
    assert.match(hover, new RegExp(`token 9 of ${MAX_TOKENS}`), `the hover over "robot" names another token:\n${hover}`);
    await wb.page.mouse.move(5, 5);
    assert.equal(await visibleText(panel, '.stale-banner'), undefined, 'an edit before the analyzed text does not make it stale');
    assert.ok(await cutMarker(), 'the cut marker stays');
  });

  test('editing inside the analyzed text clears the decorations and marks the panel stale', async () => {
    await panel.locator('.token-strip .token[data-index="3"]').click();
    await wb.focusEditor();
    await waitFor(async () => (await attentionPaint()) > 0, 15_000,
      async () => `No attention paint after picking a token: ${JSON.stringify(await wb.decorations())}`);
    assert.ok(await cutMarker(), 'the cut marker is shown before the edit');
    assert.equal(await visibleText(panel, '.stale-banner'), undefined, 'not stale before the edit');
    await wb.goTo(6, 11); // inside "time"
    await wb.page.keyboard.type('X');
    await waitFor(async () => (await visibleText(panel, '.stale-banner')) !== undefined, 15_000,
      async () => `No stale banner after the edit; ${await onScreen()}`);
    assert.match((await visibleText(panel, '.stale-banner'))!, /changed since this analysis/);
    await waitFor(async () => (await attentionPaint()) === 0 && (await borderedDecorations()).length === 0 && !(await cutMarker()), 10_000,
      async () => `Decorations left after the edit: ${JSON.stringify(await wb.decorations())}, cut marker ${JSON.stringify(await cutMarker())}`);
  });
});
