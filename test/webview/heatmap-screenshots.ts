// Screenshots of the heatmap and flow views at T=1024 (synthetic 12×12) and in a 320 px wide panel,
// zoomed and not, for visual review:
//   node --import tsx test/webview/heatmap-screenshots.ts [outDir] [--themes=dark,light]
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { buildForHarness, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';
import { themeName } from './themes';

interface Shot { name: string; tab: string; width: number; height: number; T: number; state?: Record<string, unknown>; zoom?: number; query?: number }
const SHOTS: Shot[] = [
  { name: 'heatmap-1024', tab: 'heatmap', width: 1400, height: 900, T: 1024, state: { layer: 4, head: 6 } },
  { name: 'heatmap-1024-zoomed', tab: 'heatmap', width: 1400, height: 900, T: 1024, state: { layer: 4, head: 6 }, zoom: 40, query: 520 },
  { name: 'heatmap-1024-320px', tab: 'heatmap', width: 320, height: 800, T: 1024, state: { layer: 4, head: 6 } },
  { name: 'heatmap-1024-320px-zoomed', tab: 'heatmap', width: 320, height: 800, T: 1024, state: { layer: 4, head: 6 }, zoom: 40 },
  { name: 'heatmap-1024-cropped', tab: 'heatmap', width: 1000, height: 900, T: 1024, state: { analysisId: 1, layer: 2, head: null, heatmapRange: { start: 100, end: 140 } } },
  { name: 'heatmap-grid-1024', tab: 'heatmap', width: 1400, height: 900, T: 1024, state: { layer: 4, heatmapLayout: 'grid' } },
  { name: 'heatmap-grid-1024-320px', tab: 'heatmap', width: 320, height: 900, T: 1024, state: { layer: 4, heatmapLayout: 'grid', browse: 'layer' } },
  { name: 'heatmap-22-320px', tab: 'heatmap', width: 320, height: 800, T: 22, state: { layer: 4, head: 6 } },
  { name: 'flow', tab: 'flow', width: 1400, height: 900, T: 1024 },
  { name: 'flow-320px', tab: 'flow', width: 320, height: 800, T: 1024 },
];

async function zoomWithWheel(page: Page, notches: number): Promise<void> {
  const box = (await page.locator('.heatmap-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
  for (let i = 0; i < notches; i++) await page.mouse.wheel(0, -100);
}

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/heatmap-shots';
  const themesArg = process.argv.find((a) => a.startsWith('--themes='));
  const themes = themesArg ? themesArg.slice('--themes='.length).split(',').map(themeName) : ['dark' as const];
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  try {
    for (const theme of themes) {
      for (const shot of SHOTS) {
        const { page, errors } = await openHarness(browser, server.url, {
          T: shot.T, L: 12, H: 12, theme, tab: shot.tab, seed: 3, state: JSON.stringify(shot.state ?? {}),
        });
        await page.setViewportSize({ width: shot.width, height: shot.height });
        await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer'));
        await page.waitForTimeout(1500);
        if (shot.query !== undefined) await page.evaluate((q) => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: q }), shot.query);
        if (shot.zoom) await zoomWithWheel(page, shot.zoom);
        await page.waitForTimeout(400);
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
