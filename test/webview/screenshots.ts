// Screenshots of every tab in Dark Modern and Light Modern (1400×900) for visual review:
//   node --import tsx test/webview/screenshots.ts [outDir] [--save-media]
// --save-media also writes the dark head view, model view and heatmaps to media/ for the README.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildForHarness, REPO_ROOT, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';

const TABS = ['head', 'model', 'heatmap', 'tokens', 'flow'] as const;
const MEDIA: Record<string, string> = { head: 'screenshot-head-view.png', model: 'screenshot-model-view.png', heatmap: 'screenshot-heatmaps.png' };

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/panel-shots';
  const saveMedia = process.argv.includes('--save-media');
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  try {
    for (const theme of ['dark', 'light'] as const) {
      for (const tab of TABS) {
        const { page, errors } = await openHarness(browser, server.url, { T: 22, L: 12, H: 12, theme, tab, seed: 3 });
        await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer' || m.type === 'requestThumbnails'));
        await page.waitForTimeout(600);
        if (tab === 'head') {
          await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 8 }));
        }
        if (tab === 'heatmap') await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 8 }));
        await page.waitForTimeout(300);
        const file = path.join(outDir, `${theme}-${tab}.png`);
        await page.screenshot({ path: file });
        if (errors.length) console.error(`${theme}/${tab}:`, errors.join('\n'));
        if (saveMedia && theme === 'dark' && MEDIA[tab]) fs.copyFileSync(file, path.join(REPO_ROOT, 'media', MEDIA[tab]));
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
