// The heatmap at T ≈ 1000 in a 320 px wide panel, in the real VS Code workbench (code-server, the
// packaged VSIX) on a gpt2-small-shaped checkpoint made by the test (random weights, local folder):
// Show Attention on a long selection, open the heatmap, zoom with the mouse wheel until token labels
// and the minimap appear, pan by dragging, reset. Screenshots go to test-results/e2e (or media/).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, trace, waitFor } from './harness';
import { GPT2_SMALL_SHAPE, writeCheckpoint } from '../fixtures/checkpoint';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const SHOW = 'Attention Inspector: Show Attention';
const PANEL_WIDTH = 320;

const WORDS = ['the', 'dog', 'on', 'the', 'ship', 'ran', 'because', 'the', 'captain', 'shouted', 'at', 'the', 'crew',
  'and', 'the', 'motor', 'stopped', 'when', 'it', 'saw', 'a', 'storm', 'coming', 'over', 'the', 'harbor'];
/** ~980 tokens: 49 lines of 18 words and a full stop (a line break is a token too). */
const LINES = Array.from({ length: 49 }, (_, i) => Array.from({ length: 18 }, (_, j) => WORDS[(i * 18 + j) % WORDS.length]).join(' ') + '.');
const TEXT = LINES.join('\n') + '\n';

let modelDir: string;
let server: CodeServer;
let wb: Workbench;
let panel: Frame;

interface HeatmapState { zoom: number; window: string; labels: string; minimap: string; plot: [number, number, number] }

async function heatmapState(frame: Frame): Promise<HeatmapState | undefined> {
  return frame.locator('canvas.heatmap-canvas').evaluate((c) => {
    const d = (c as HTMLCanvasElement).dataset;
    if (!d.zoom) return undefined;
    return { zoom: Number(d.zoom), window: d.window ?? '', labels: d.labels ?? '', minimap: d.minimap ?? '', plot: (d.plot ?? '0,0,0').split(',').map(Number) as [number, number, number] };
  });
}

/** Width of the panel's webview content. */
async function panelWidth(frame: Frame): Promise<number> {
  return frame.evaluate(() => window.innerWidth);
}

describe('a long heatmap in a narrow panel', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    modelDir = mkdtempSync(join(tmpdir(), 'ai-e2e-small-'));
    const t0 = Date.now();
    await writeCheckpoint(modelDir, GPT2_SMALL_SHAPE);
    trace(`checkpoint written in ${Date.now() - t0} ms`);
    server = await CodeServer.start({
      vsix: [VSIX],
      // modelPath is machine-overridable: in code-server the user settings are the client's, so it goes
      // in the workspace settings (which the remote extension host reads).
      files: { 'long.txt': TEXT, '.vscode/settings.json': JSON.stringify({ 'attentionInspector.modelPath': modelDir }) },
      settings: { 'workbench.colorTheme': 'Default Dark Modern' },
      env: { HF_HOME: join(modelDir, 'empty-hf-home') },
    });
    wb = await Workbench.open(server, { width: 1100, height: 900 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  });

  test('Show Attention on ~1000 tokens opens the panel; the panel is made 320 px wide', async (t) => {
    // Quick Open lists workspace files once its file search has run (slow on a busy machine): retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await wb.openFile('long.txt');
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await wb.closeQuickInput();
      }
    }
    await wb.selectLines(1, LINES.length);
    const t0 = Date.now();
    await wb.runCommand(SHOW);
    panel = await wb.getWebviewFrame('Attention', 120_000);
    const { count, failed } = await waitFor(async () => {
      const failure = (await wb.notifications()).find((n) => /failed/i.test(n));
      if (failure) return { count: 0, failed: failure };
      const n = await panel.locator('.token-strip .token').count();
      return n > 900 ? { count: n, failed: undefined } : undefined;
    }, 180_000, async () => `The panel does not show ~1000 tokens. Notifications: ${JSON.stringify(await wb.notifications())}\n${server.extensionHostLog().slice(-3000)}`);
    if (failed) throw new Error(`Show Attention failed: ${failed}\n${server.extensionHostLog().slice(-2000)}`);
    t.diagnostic(`${count} tokens analysed and shown in ${Date.now() - t0} ms`);
    assert.ok(count >= 950 && count <= 1024, `expected about 1000 tokens, got ${count}`);
    // The panel shares the editor area with the text: shrink the window until the panel is 320 px wide.
    let size = wb.page.viewportSize()!;
    for (let i = 0; i < 4; i++) {
      const w = await panelWidth(panel);
      if (Math.abs(w - PANEL_WIDTH) <= 4) break;
      size = { width: Math.max(500, size.width - 2 * (w - PANEL_WIDTH)), height: size.height };
      await wb.page.setViewportSize(size);
      await waitFor(async () => (await panelWidth(panel)) !== w, 5000, () => 'The panel did not resize').catch(() => undefined);
    }
    const w = await panelWidth(panel);
    t.diagnostic(`panel width ${w} px (window ${size.width} px)`);
    assert.ok(Math.abs(w - PANEL_WIDTH) <= 8, `the panel is ${w} px wide, wanted ${PANEL_WIDTH}`);
  });

  test('the heatmap opens at T≈1000 with one set of controls that fits 320 px', async () => {
    await panel.locator('vscode-tab-header[data-tab="heatmap"]').click();
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.heatmap-canvas', 0.05), 60_000,
      async () => `The heatmap is not drawn: ${JSON.stringify(await Workbench.canvasStats(panel, 'canvas.heatmap-canvas'))}`);
    const st = await waitFor(() => heatmapState(panel), 10_000, () => 'The heatmap reports no zoom state');
    assert.equal(st.zoom, 1);
    assert.equal(st.labels, 'numbers', 'at 1× a 1000-token heatmap shows token numbers, not labels');
    assert.equal(st.minimap, 'hidden');
    // One ◀ ▶ pair (the shared layer stepper), and nothing wider than the panel.
    assert.equal(await panel.locator('vscode-button:visible', { hasText: '◀' }).count(), 1);
    assert.equal(await panel.locator('.heatmap-view vscode-button', { hasText: '◀' }).count(), 0);
    const overflow = await panel.evaluate(() => {
      const wide: string[] = [];
      for (const e of document.querySelectorAll<HTMLElement>('.heatmap-view *, .nav-row *')) {
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.right > window.innerWidth + 1) wide.push(`${e.tagName.toLowerCase()}.${e.className} right=${Math.round(r.right)}`);
      }
      return wide;
    });
    assert.deepEqual(overflow, [], 'no heatmap control or label sticks out of the 320 px panel');
    await wb.screenshot('long-heatmap-320px');
  });

  test('wheel zoom shows token labels and the minimap; drag pans; Reset goes back to the whole matrix', async () => {
    const canvas = panel.locator('canvas.heatmap-canvas');
    const box = (await canvas.boundingBox())!;
    const st0 = (await heatmapState(panel))!;
    const [px, py, ps] = st0.plot;
    // Over the lower-left part of the matrix (real weights, not the masked triangle).
    const cx = box.x + px + ps * 0.3, cy = box.y + py + ps * 0.7;
    await wb.page.mouse.move(cx, cy);
    for (let i = 0; i < 24; i++) {
      await wb.page.mouse.wheel(0, -100);
      await wb.page.waitForTimeout(30);
    }
    const zoomed = await waitFor(async () => {
      const s = await heatmapState(panel);
      return s && s.labels === 'tokens' ? s : undefined;
    }, 15_000, async () => `Zooming in did not bring up token labels: ${JSON.stringify(await heatmapState(panel))}`);
    assert.ok(zoomed.zoom > 10, `zoomed ${zoomed.zoom}×`);
    assert.equal(zoomed.minimap, 'shown');
    const [k0] = zoomed.window.split(',')[0].split('-').map(Number);
    const [q0] = zoomed.window.split(',')[1].split('-').map(Number);
    // The point under the cursor stayed put: ~30% across and ~70% down the matrix.
    assert.ok(Math.abs(k0 - 0.3 * 1000) < 120 && Math.abs(q0 - 0.7 * 1000) < 120, `window ${zoomed.window}`);
    assert.match(await panel.locator('.zoom-label').innerText(), /^\d+×$/);
    await wb.screenshot('long-heatmap-320px-zoomed');

    // Drag to the right: the window moves to lower keys.
    await wb.page.mouse.move(cx, cy);
    await wb.page.mouse.down();
    await wb.page.mouse.move(cx + 60, cy, { steps: 6 });
    await wb.page.mouse.up();
    const panned = await waitFor(async () => {
      const s = await heatmapState(panel);
      return s && s.window !== zoomed.window ? s : undefined;
    }, 5000, () => 'Dragging did not pan the heatmap');
    assert.ok(Number(panned.window.split('-')[0]) < k0, `panned from ${zoomed.window} to ${panned.window}`);

    await panel.locator('vscode-button.zoom-reset').click();
    const reset = await waitFor(async () => {
      const s = await heatmapState(panel);
      return s && s.zoom === 1 ? s : undefined;
    }, 5000, async () => `Reset did not show the whole matrix: ${JSON.stringify(await heatmapState(panel))}`);
    assert.equal(reset.minimap, 'hidden');
    assert.equal(reset.labels, 'numbers');
    assert.deepEqual(wb.errors().filter((e) => /panel|heatmap/i.test(e)), []);
  });
});
