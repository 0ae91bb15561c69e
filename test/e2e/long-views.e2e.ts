// The head view, the model view and the export dialog at T≈1000 in the real VS Code workbench
// (code-server, the packaged VSIX, a gpt2-small-shaped checkpoint with random weights given as
// attentionInspector.modelPath), with the panel about 320 px wide: the head view stays readable when
// scrolled (no band of lines to off-screen keys, off-screen weight markers, columns that fit), the
// model view shows its legend, and the export dialog writes a PNG of the whole view whose pixel size
// is the one the dialog announced (the scale lowered to fit the canvas limit, and said so), and an SVG.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, waitFor } from './harness';
import { GPT2_SMALL_SHAPE, writeCheckpoint } from '../fixtures/checkpoint';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = {
  show: 'Attention Inspector: Show Attention',
  exportSvg: 'Attention Inspector: Export Attention View as SVG…',
  closeSideBar: 'View: Close Primary Side Bar',
};
/** Reused between runs (writeCheckpoint skips a complete one): ~500 MB of random f32 weights. */
const MODEL_DIR = join(repoRoot, '.cache', 'test-models', 'small-shape-random');
const SENTENCES = [
  'The dog on the ship ran because the captain shouted at the crew.',
  'Everyone waited below deck until morning, and the storm slowly passed over the harbor.',
  'A small robot read every book in the library to learn how people talk to each other.',
  'When the motor stopped, the engineers opened the panel and found a loose wire.',
];
/** 10 lines of ~100 tokens each: about 1000 tokens in all. */
const LINES = Array.from({ length: 10 }, (_, i) => Array.from({ length: 6 }, (_, j) => SENTENCES[(i + j) % SENTENCES.length]).join(' '));
const TEXT = `${LINES.join('\n')}\n`;

let server: CodeServer;
let wb: Workbench;
let panel: Frame;
let tokenCount = 0;

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.ok(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

async function headData(): Promise<Record<string, string>> {
  return panel.locator('canvas.head-canvas').evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }) as Record<string, string>);
}

describe('Long inputs in a narrow panel (T≈1000, ~320 px)', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` first.`);
    mkdirSync(MODEL_DIR, { recursive: true });
    await writeCheckpoint(MODEL_DIR, GPT2_SMALL_SHAPE);
    server = await CodeServer.start({
      vsix: [VSIX],
      // modelPath is machine-overridable: code-server (a remote window) ignores it in user settings, not in the workspace.
      files: { 'long.txt': TEXT, '.vscode/settings.json': JSON.stringify({ 'attentionInspector.modelPath': MODEL_DIR }) },
      settings: { 'attentionInspector.maxTokens': 1024, 'attentionInspector.hubEndpoint': 'http://127.0.0.1:9' },
    });
    // Two editor groups side by side in a 700 px window without the side bar: the panel gets ~320 px.
    wb = await Workbench.open(server, { width: 700, height: 950 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  test('Show Attention on ~1000 tokens opens the panel about 320 px wide', async (t) => {
    await wb.runCommand(CMD.closeSideBar).catch(() => undefined);
    await wb.openFile('long.txt');
    await wb.selectLines(1, LINES.length);
    const t0 = Date.now();
    await wb.runCommand(CMD.show);
    panel = await wb.getWebviewFrame('Attention', 120_000);
    const header = await waitFor(async () => {
      const text = await panel.locator('.panel-header').innerText().catch(() => '');
      return /\b\d{3,4} tokens\b/.test(text) ? text : undefined;
    }, 240_000, async () => `The panel shows no analysis. Notifications: ${JSON.stringify(await wb.notifications())}\n${server.extensionHostLog().slice(-3000)}`);
    tokenCount = Number(/\b(\d{3,4}) tokens\b/.exec(header)![1]);
    t.diagnostic(`${tokenCount} tokens analyzed and shown in ${Date.now() - t0} ms`);
    assert.ok(tokenCount >= 900 && tokenCount <= 1024, `about 1000 tokens (${tokenCount})`);
    const width = await panel.locator('body').evaluate((b) => b.clientWidth);
    t.diagnostic(`panel width ${width} px`);
    assert.ok(width >= 280 && width <= 380, `the panel is about 320 px wide (${width} px)`);
  });

  test('the head view is readable at T≈1000 in 320 px, scrolled to the middle', async () => {
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.head-canvas'), 60_000, () => 'The head view draws nothing');
    await panel.locator('.head-scroll').evaluate((e) => { e.scrollTop = 26 + 6 + 600 * 20; });
    const d = await waitFor(async () => {
      const data = await headData();
      // Markers are drawn once the layer's attention has arrived (45 MB of f32 at T≈1000).
      return Number(data.rows?.split('-')[0]) >= 590 && Number(data.markers) > 0 ? data : undefined;
    }, 60_000, async () => `The head view did not scroll to row 600: ${JSON.stringify(await headData())}`);
    const canvasW = await panel.locator('canvas.head-canvas').evaluate((c) => (c as HTMLCanvasElement).clientWidth);
    assert.ok(Number(d.keyX) + Number(d.colW) <= canvasW, `the key column fits (${d.keyX} + ${d.colW} ≤ ${canvasW})`);
    assert.ok(Number(d.colW) >= 44, `token columns stay usable (${d.colW} px)`);
    assert.ok(Number(d.markers) > 0, 'queries show the weight they put on keys scrolled out above');
    // Pick a query by keyboard: an edge note says how much of its weight lies above.
    await panel.locator('.token-strip .token[data-index="620"]').click();
    await waitFor(async () => /▲ [01]\.\d\d of the weight on \d+ keys above/.test(await panel.locator('.head-hint').innerText()), 15_000,
      async () => `No off-screen weight note; hint: "${await panel.locator('.head-hint').innerText()}"`);
    await wb.screenshot('long-head-view-320');
  });

  test('the model view shows its legend and the scale in force', async () => {
    await panel.locator('vscode-tab-header[data-tab="model"]').click();
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.model-canvas'), 60_000, () => 'The model view draws nothing');
    await waitFor(async () => /Per-thumbnail scale/.test((await panel.locator('canvas.model-canvas').getAttribute('aria-label')) ?? ''), 30_000,
      () => 'The model view does not say which scale is in force');
    await wb.screenshot('long-model-view-320');
    await panel.locator('vscode-tab-header[data-tab="head"]').click();
  });

  test('Export… → PNG of the whole head view, at the size the dialog announced', async () => {
    await panel.locator('vscode-button:has-text("Export…")').click();
    const dialog = panel.locator('dialog.export-dialog[open]');
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.locator('input[name="export-format"][value="png"]').check();
    await dialog.locator('input[name="export-scale"][value="2"]').check();
    const summary = await dialog.locator('.export-summary').innerText();
    const m = /PNG, (\d+) × (\d+) px \(all (\d+) tokens\)/.exec(summary);
    assert.ok(m, `the dialog announces the pixel size: "${summary}"`);
    assert.equal(Number(m[3]), tokenCount);
    assert.equal(Number(m[2]), 32767, 'all rows at 2× exceed the canvas limit: the tallest possible image');
    assert.match(await dialog.locator('.export-warning').innerText(), /saved at 1\.\d+× instead of 2×/);
    await wb.screenshot('long-export-dialog-320');
    const target = join(server.workspace, 'long-head.png');
    await dialog.locator('button.export-ok').click();
    await wb.answerFileDialog(target, 180_000);
    await waitFor(() => existsSync(target) && readFileSync(target).length > 1000, 60_000, () => `${target} was not written`);
    assert.deepEqual(pngSize(target), { width: Number(m[1]), height: Number(m[2]) });
    await wb.waitForNotification(/Exported \(saved at 1\.\d+× instead of 2×.*long-head\.png/, 15_000);
  });

  test('the palette command opens the dialog with SVG chosen and writes an SVG with title and legend', async () => {
    await wb.runCommand(CMD.exportSvg);
    const dialog = panel.locator('dialog.export-dialog[open]');
    await dialog.waitFor({ timeout: 10_000 });
    assert.equal(await dialog.locator('input[name="export-format"][value="svg"]').isChecked(), true);
    await dialog.locator('input[name="export-background"][value="white"]').check();
    const title = await dialog.locator('.export-text').inputValue();
    assert.match(title, /Head view · layer 0 · long\.txt/);
    const target = join(server.workspace, 'long-head.svg');
    await dialog.locator('button.export-ok').click();
    await wb.answerFileDialog(target, 60_000);
    await waitFor(() => existsSync(target) && readFileSync(target).length > 1000, 30_000, () => `${target} was not written`);
    const svg = readFileSync(target, 'utf8');
    assert.match(svg, /^<\?xml/);
    assert.ok(svg.includes('<rect x="0" y="0" width=') && svg.includes('fill="#ffffff"'), 'white background');
    assert.ok(svg.includes(`>${title.replace(/&/g, '&amp;')}<`), 'the title');
    for (const h of [0, 11]) assert.ok(svg.includes(`>H${h}<`), `legend entry for head ${h}`);
    assert.ok((svg.match(/<text /g) ?? []).length >= 2 * tokenCount, 'every token of both columns');
  });
});
