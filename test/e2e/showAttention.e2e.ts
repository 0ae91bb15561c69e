// The acceptance story, in the real VS Code workbench (code-server) with the packaged VSIX installed by
// code-server's own installer: first use downloads the model from a local fake hub (progress
// notification), Show Attention on a selection, the panel's views, the editor hover and decorations,
// PNG export through the save dialog, and the Layer Profile view after Show Attention and after
// Profile Texts on the demo corpus. The tests run in order and share one workbench, like a user would.
// Screenshots go to media/e2e-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, waitFor } from './harness';
import { startHubServer, type HubServer } from '../fixtures/hubServer';
import { TINY, writeCheckpoint } from '../fixtures/checkpoint';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = {
  show: 'Attention Inspector: Show Attention',
  exportPng: 'Attention Inspector: Export Attention View as PNG…',
  profileTexts: 'Attention Inspector: Profile Texts…',
};
const STORY = 'The quick brown fox jumps over the lazy dog.\nThe dog on the ship ran after the fox.\n';
const SELECTION = 'The dog on the ship ran';
const SELECTION_TOKENS = ['The', ' dog', ' on', ' the', ' ship', ' ran'];
const TOP_K = 5;

let modelDir: string;
let hub: HubServer;
let server: CodeServer;
let wb: Workbench;
let panel: Frame;

/** Wait until the canvases matching `selector` in `frame` have drawn something. */
async function expectCanvasDrawn(frame: Frame, selector: string, what: string): Promise<void> {
  await waitFor(() => Workbench.canvasIsNonBlank(frame, selector), 30_000,
    async () => `${what}: no drawn pixels in ${selector}; canvases: ${JSON.stringify(await Workbench.canvasStats(frame, selector))}`);
}

async function tokenTexts(frame: Frame): Promise<string[]> {
  return frame.locator('.token-strip .token').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
}

async function showTab(frame: Frame, tab: string): Promise<void> {
  await frame.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
}

/** The Layer Profile webview view, opened from our activity bar container (unless it is showing). */
async function layerProfileFrame(): Promise<Frame> {
  const item = wb.page.locator('.activitybar .action-item:has(a[aria-label^="Attention Inspector"]), .activitybar .action-item[aria-label^="Attention Inspector"]').first();
  await item.waitFor({ timeout: 15_000 }).catch(() => {
    throw new Error('The "Attention Inspector" activity bar container is missing (contributes.viewsContainers)');
  });
  // Clicking the item of the container that is showing would close the side bar.
  if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
  return wb.getWebviewFrame(/Layer Profile/, 30_000);
}

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.ok(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('Attention Inspector in the VS Code workbench', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    modelDir = mkdtempSync(join(tmpdir(), 'ai-e2e-model-'));
    await writeCheckpoint(modelDir, TINY);
    // The tiny checkpoint served as "gpt2"; the weights trickle so the progress notification can be seen.
    hub = await startHubServer({
      'gpt2/config.json': join(modelDir, 'config.json'),
      'gpt2/tokenizer.json': join(modelDir, 'tokenizer.json'),
      'gpt2/model.safetensors': join(modelDir, 'model.safetensors'),
    }, { slow: { chunkSize: 256 * 1024, delayMs: 120, keys: ['gpt2/model.safetensors'] } });
    server = await CodeServer.start({
      vsix: [VSIX],
      files: { 'story.txt': STORY, 'reviews.jsonl': readFileSync(join(repoRoot, 'media', 'demo-corpus.jsonl'), 'utf8') },
      settings: {
        'attentionInspector.model': 'gpt2',
        'attentionInspector.hubEndpoint': hub.url,
        'attentionInspector.topK': TOP_K,
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

  test('first Show Attention downloads the model from the hub with a progress notification', async (t) => {
    t.diagnostic(`vsix install ${server.timings.installVsixMs} ms, code-server ready ${server.timings.httpReadyMs} ms, workbench ${wb.timings.workbenchReadyMs} ms`);
    await wb.openFile('story.txt');
    await wb.selectText(SELECTION);
    const t0 = Date.now();
    await wb.runCommand(CMD.show);
    const note = await wb.waitForNotification(/Downloading gpt2/i, 30_000);
    t.diagnostic(`progress notification: "${note}"`);
    await wb.screenshot('download');
    panel = await wb.getWebviewFrame('Attention', 120_000);
    await waitFor(async () => (await tokenTexts(panel)).length > 0, 120_000,
      async () => `The panel shows no tokens. Notifications: ${JSON.stringify(await wb.notifications())}\n${server.extensionHostLog().slice(-3000)}`);
    t.diagnostic(`download + load + analysis shown in ${Date.now() - t0} ms`);
    const fetched = hub.requests.filter((r) => r.startsWith('GET'));
    for (const file of ['config.json', 'tokenizer.json', 'model.safetensors']) {
      assert.ok(fetched.some((r) => r.includes(file)), `${file} was not downloaded from the hub: ${JSON.stringify(hub.requests)}`);
    }
  });

  test('the panel lists the selected tokens and draws the head view', async () => {
    assert.ok(panel, 'the panel did not open');
    assert.deepEqual(await tokenTexts(panel), SELECTION_TOKENS);
    assert.match(await panel.locator('.panel-header').innerText(), /6 tokens/);
    await expectCanvasDrawn(panel, 'canvas.head-canvas', 'Head view');
    await wb.screenshot('head-view');
  });

  test('model view and heatmaps draw', async () => {
    assert.ok(panel, 'the panel did not open');
    await showTab(panel, 'model');
    await expectCanvasDrawn(panel, 'canvas.model-canvas', 'Model view');
    await wb.screenshot('model-view');
    await showTab(panel, 'heatmap');
    await expectCanvasDrawn(panel, 'canvas.heatmap-canvas', 'Heatmaps');
    await wb.screenshot('heatmaps');
    await showTab(panel, 'head');
    await expectCanvasDrawn(panel, 'canvas.head-canvas', 'Head view (again)');
  });

  test('hovering a token in the editor shows its top-k predictions', async () => {
    await wb.focusEditor();
    const hover = await wb.hoverAt('ship', 0, /next token/i);
    assert.match(hover, /token 5 of 6/);
    const percentages = hover.match(/(<0\.1|\d+\.\d)%/g) ?? [];
    assert.ok(percentages.length >= TOP_K, `expected ${TOP_K} predictions with probabilities in the hover:\n${hover}`);
    assert.match(hover, /Actual next: .*ran/);
    await wb.screenshot('hover');
    await wb.page.mouse.move(5, 5);
  });

  test('picking a query token paints the attended keys in the editor', async () => {
    assert.ok(panel, 'the panel did not open');
    await panel.locator('.token-strip .token[data-index="5"]').click();
    await waitFor(async () => (await panel.locator('.token-strip .token.selected').count()) === 1, 10_000,
      () => 'The query token was not marked selected in the panel');
    const decorations = await waitFor(async () => {
      const d = (await wb.decorations()).filter((x) => /\bced-/.test(x.className));
      return d.length > 0 ? d : undefined;
    }, 15_000, async () => `No attention decorations in the editor: ${JSON.stringify(await wb.decorations())}`);
    assert.ok(decorations.every((d) => d.background !== ''), 'decorations carry a background colour');
    await wb.screenshot('decorations');
  });

  test('Export Attention View as PNG writes the image chosen in the save dialog', async () => {
    const target = join(server.workspace, 'head-view.png');
    await wb.runCommand(CMD.exportPng);
    // The command opens the panel's export dialog with PNG chosen; Export then asks where to save.
    await panel.locator('dialog.export-dialog[open] button.export-ok').click({ timeout: 15_000 });
    await wb.answerFileDialog(target);
    await waitFor(() => existsSync(target) && readFileSync(target).length > 100, 20_000, () => `${target} was not written`);
    const size = pngSize(target);
    assert.ok(size.width > 50 && size.height > 50, `exported PNG is ${size.width}×${size.height}`);
    await wb.waitForNotification(/Exported .*head-view\.png/, 10_000);
  });

  test('the Layer Profile view shows the profile of the analyzed selection', async () => {
    const view = await layerProfileFrame();
    await waitFor(async () => (await view.locator('canvas[data-chart]').count()) > 0, 30_000,
      async () => `No charts in the Layer Profile view: ${(await view.locator('body').innerText()).slice(0, 500)}`);
    await expectCanvasDrawn(view, 'canvas[data-chart]', 'Layer Profile (selection)');
    await wb.screenshot('layer-profile-selection');
  });

  test('Profile Texts on the demo corpus fills the Layer Profile charts', async (t) => {
    const t0 = Date.now();
    await wb.runCommand(CMD.profileTexts);
    await wb.pickQuickPickItem(/JSON Lines file/);
    await wb.answerFileDialog(join(server.workspace, 'reviews.jsonl'));
    const done = await wb.waitForNotification(/Profiled 64 texts/, 120_000);
    t.diagnostic(`${done} (${Date.now() - t0} ms)`);
    await waitFor(async () => !(await wb.notifications()).some((n) => /Profiling .*texts/.test(n)), 15_000,
      async () => `The profiling progress notification is still open after the run: ${JSON.stringify(await wb.notifications())}`);
    const view = await layerProfileFrame();
    await waitFor(async () => /reviews\.jsonl/.test(await view.locator('body').innerText()), 30_000,
      async () => `The Layer Profile view does not show the corpus result: ${(await view.locator('body').innerText()).slice(0, 500)}`);
    const charts = await view.locator('canvas[data-chart]').count();
    assert.ok(charts >= 3, `expected several charts, found ${charts}`);
    await expectCanvasDrawn(view, 'canvas[data-chart]', 'Layer Profile (corpus)');
    const stats = await Workbench.canvasStats(view, 'canvas[data-chart]');
    const drawn = stats.filter((s) => s.nonBackground > 0).length;
    assert.ok(drawn >= 3, `only ${drawn} of ${stats.length} charts have pixels: ${JSON.stringify(stats)}`);
    assert.ok(existsSync(join(server.workspace, 'reviews.attention-profile.json')), 'the profile JSON was saved next to the corpus');
    await wb.screenshot('layer-profile-corpus');
  });
});
