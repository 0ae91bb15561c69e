// Screenshots of every tab of the panel at a given width and token count (default 320 px, T=1024),
// for checking narrow layouts by eye:
//   node --import tsx test/webview/narrow.screenshot.ts [outDir] [--width=320] [--T=1024] [--themes=dark] [--split=4]
// Also prints, per tab, the document's scrollWidth against its clientWidth (sideways overflow).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildForHarness, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';
import { THEME_NAMES, themeName } from './themes';

const TABS = ['head', 'model', 'heatmap', 'tokens', 'flow'] as const;
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/panel-narrow';
  const width = Number(arg('width', '320'));
  const T = Number(arg('T', '1024'));
  const themes = arg('themes', 'dark').split(',').map(themeName).filter((t) => THEME_NAMES.includes(t));
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium({ width, height: 800 });
  try {
    for (const theme of themes) {
      for (const tab of TABS) {
        const split = arg('split', '');
        const { page, errors } = await openHarness(browser, server.url, { T, L: 12, H: 12, theme, tab, seed: 3, ...(split ? { split } : {}) });
        await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer' || m.type === 'requestThumbnails'));
        await page.waitForFunction((t) => performance.getEntriesByName(`attention-panel:${t}:firstPaint`).length > 0, tab, { timeout: 60_000 }).catch(() => undefined);
        await page.evaluate(() => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: 9 }));
        await page.waitForTimeout(500);
        const file = path.join(outDir, `${theme}-${width}-${tab}.png`);
        await page.screenshot({ path: file });
        const overflow = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
        console.log(file, JSON.stringify(overflow), errors.length ? errors.join('; ') : '');
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
