// Screenshots of every tab in Dark Modern, Light Modern, High Contrast and High Contrast Light
// (1400×900) for visual review:
//   node --import tsx test/webview/screenshots.ts [outDir] [--save-media] [--themes=dark,hc-dark]
// --save-media also writes the dark head view, model view and heatmaps to media/ for the README.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildForHarness, REPO_ROOT, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';
import { THEME_NAMES, themeName } from './themes';

interface Shot { name: string; tab: string; state?: Record<string, unknown>; query?: number }
const SHOTS: Shot[] = [
  { name: 'head', tab: 'head', query: 8 },
  { name: 'head-all', tab: 'head', state: { layer: 2 } },
  { name: 'head-solo', tab: 'head', state: { layer: 5, visibleHeads: [3, 7] }, query: 14 },
  { name: 'model', tab: 'model' },
  { name: 'heatmap', tab: 'heatmap', state: { layer: 4, head: 6 }, query: 8 },
  { name: 'heatmap-grid', tab: 'heatmap', state: { layer: 4, heatmapLayout: 'grid' } },
  { name: 'heatmap-bylayer', tab: 'heatmap', state: { head: null, heatmapLayout: 'grid', browse: 'layer', gamma: 0.5 } },
  { name: 'tokens', tab: 'tokens', state: { head: null, layer: 3 }, query: 9 },
  { name: 'flow', tab: 'flow' },
];
const MEDIA: Record<string, string> = { head: 'screenshot-head-view.png', model: 'screenshot-model-view.png', heatmap: 'screenshot-heatmaps.png' };

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/panel-shots';
  const saveMedia = process.argv.includes('--save-media');
  const themesArg = process.argv.find((a) => a.startsWith('--themes='));
  const themes = themesArg ? themesArg.slice('--themes='.length).split(',').map(themeName) : [...THEME_NAMES];
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  try {
    for (const theme of themes) {
      for (const shot of SHOTS) {
        const { page, errors } = await openHarness(browser, server.url, {
          T: 22, L: 12, H: 12, theme, tab: shot.tab, seed: 3, state: JSON.stringify(shot.state ?? {}),
        });
        await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer' || m.type === 'requestThumbnails'));
        await page.waitForTimeout(600);
        if (shot.query !== undefined) {
          await page.evaluate((q) => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: q }), shot.query);
        }
        await page.waitForTimeout(300);
        const file = path.join(outDir, `${theme}-${shot.name}.png`);
        await page.screenshot({ path: file });
        if (errors.length) console.error(`${theme}/${shot.name}:`, errors.join('\n'));
        if (saveMedia && theme === 'dark' && MEDIA[shot.name]) fs.copyFileSync(file, path.join(REPO_ROOT, 'media', MEDIA[shot.name]));
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
