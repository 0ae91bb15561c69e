// Screenshots of the panel in the harness (synthetic 12×12 data) for visual review, never for the README:
//   node --import tsx test/webview/screenshots.ts [outDir] [--themes=dark,hc-dark] [--set=tabs|heatmap]
// --set=tabs (default): every tab at T=22 (1400×900) in Dark Modern, Light Modern, High Contrast and High
// Contrast Light. --set=heatmap: the heatmap and flow views at T=1024 and in a 320 px wide panel, zoomed and not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { buildForHarness, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';
import { THEME_NAMES, themeName } from './themes';

interface Shot { name: string; tab: string; state?: Record<string, unknown>; query?: number; width?: number; height?: number; T?: number; zoom?: number }
const SETS: Record<string, Shot[]> = {
  tabs: [
    { name: 'head', tab: 'head', query: 8 },
    { name: 'head-all', tab: 'head', state: { layer: 2 } },
    { name: 'head-solo', tab: 'head', state: { layer: 5, visibleHeads: [3, 7] }, query: 14 },
    { name: 'model', tab: 'model' },
    { name: 'heatmap', tab: 'heatmap', state: { layer: 4, head: 6 }, query: 8 },
    { name: 'heatmap-grid', tab: 'heatmap', state: { layer: 4, heatmapLayout: 'grid' } },
    { name: 'heatmap-bylayer', tab: 'heatmap', state: { head: null, heatmapLayout: 'grid', browse: 'layer', gamma: 0.5 } },
    { name: 'tokens', tab: 'tokens', state: { head: null, layer: 3 }, query: 9 },
    { name: 'flow', tab: 'flow' },
  ],
  heatmap: [
    { name: 'heatmap-1024', tab: 'heatmap', T: 1024, state: { layer: 4, head: 6 } },
    { name: 'heatmap-1024-zoomed', tab: 'heatmap', T: 1024, state: { layer: 4, head: 6 }, zoom: 40, query: 520 },
    { name: 'heatmap-1024-320px', tab: 'heatmap', width: 320, height: 800, T: 1024, state: { layer: 4, head: 6 } },
    { name: 'heatmap-1024-320px-zoomed', tab: 'heatmap', width: 320, height: 800, T: 1024, state: { layer: 4, head: 6 }, zoom: 40 },
    { name: 'heatmap-1024-cropped', tab: 'heatmap', width: 1000, T: 1024, state: { analysisId: 1, layer: 2, head: null, heatmapRange: { start: 100, end: 140 } } },
    { name: 'heatmap-grid-1024', tab: 'heatmap', T: 1024, state: { layer: 4, heatmapLayout: 'grid' } },
    { name: 'heatmap-grid-1024-320px', tab: 'heatmap', width: 320, T: 1024, state: { layer: 4, heatmapLayout: 'grid', browse: 'layer' } },
    { name: 'heatmap-22-320px', tab: 'heatmap', width: 320, height: 800, T: 22, state: { layer: 4, head: 6 } },
    { name: 'flow', tab: 'flow', T: 1024 },
    { name: 'flow-320px', tab: 'flow', width: 320, height: 800, T: 1024 },
  ],
};

async function zoomWithWheel(page: Page, notches: number): Promise<void> {
  const box = (await page.locator('.heatmap-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
  for (let i = 0; i < notches; i++) await page.mouse.wheel(0, -100);
}

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/panel-shots';
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const setName = arg('set') ?? 'tabs';
  const shots = SETS[setName];
  if (!shots) throw new Error(`unknown --set=${setName} (sets: ${Object.keys(SETS).join(', ')})`);
  const themesArg = arg('themes');
  const themes = themesArg ? themesArg.split(',').map(themeName) : setName === 'tabs' ? [...THEME_NAMES] : ['dark' as const];
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  try {
    for (const theme of themes) {
      for (const shot of shots) {
        const { page, errors } = await openHarness(browser, server.url, {
          T: shot.T ?? 22, L: 12, H: 12, theme, tab: shot.tab, seed: 3, state: JSON.stringify(shot.state ?? {}),
        });
        if (shot.width || shot.height) await page.setViewportSize({ width: shot.width ?? 1400, height: shot.height ?? 900 });
        await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer' || m.type === 'requestThumbnails'));
        await page.waitForTimeout((shot.T ?? 22) > 256 ? 1500 : 600);
        if (shot.query !== undefined) {
          await page.evaluate((q) => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: q }), shot.query);
        }
        if (shot.zoom) await zoomWithWheel(page, shot.zoom);
        await page.waitForTimeout(300);
        const file = path.join(outDir, `${theme}-${shot.name}.png`);
        await page.screenshot({ path: file });
        if (errors.length) console.error(`${theme}/${shot.name}:`, errors.join('\n'));
        console.log(file);
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
