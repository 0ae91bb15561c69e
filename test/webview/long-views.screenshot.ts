// Screenshots of the head view, the model view and the export dialog at T=1024 (synthetic 12×12), at
// 1400 px and in a 320 px wide panel, plus the PNG exports they produce, for visual review:
//   node --import tsx test/webview/long-views.screenshot.ts [outDir] [--themes=dark,light,hc-dark]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildForHarness, startHarnessServer } from './server';
import { launchChromium, openHarness } from './browser';
import { themeName } from './themes';

interface Shot { name: string; tab: string; state?: Record<string, unknown>; query?: number; scrollTo?: number; dialog?: boolean; exportPng?: boolean }
const SHOTS: Shot[] = [
  { name: 'head-scrolled', tab: 'head', state: { layer: 3 }, scrollTo: 600 },
  { name: 'head-query', tab: 'head', state: { layer: 3 }, query: 700 },
  { name: 'head-query-two', tab: 'head', state: { layer: 3, visibleHeads: [2, 5] }, query: 700 },
  { name: 'model-each', tab: 'model', state: { thumbScale: 'each' } },
  { name: 'model-shared', tab: 'model', state: { thumbScale: 'shared' } },
  { name: 'export-dialog', tab: 'head', state: { layer: 3 }, scrollTo: 600, dialog: true },
  { name: 'export-head', tab: 'head', state: { layer: 3 }, query: 700, exportPng: true },
  { name: 'export-head-all', tab: 'head', state: { layer: 3, visibleHeads: [1, 4, 9] }, exportPng: true },
  { name: 'export-model', tab: 'model', state: { thumbScale: 'shared' }, exportPng: true },
];

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/long-views';
  const themesArg = process.argv.find((a) => a.startsWith('--themes='));
  const themes = themesArg ? themesArg.slice('--themes='.length).split(',').map(themeName) : ['dark' as const];
  const T = Number(process.env.SHOT_T ?? 1024);
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  try {
    for (const width of [1400, 320]) {
      const browser = await launchChromium({ width, height: 900 });
      try {
        for (const theme of themes) {
          for (const shot of SHOTS) {
            const { page, errors } = await openHarness(browser, server.url, { T, L: 12, H: 12, theme, tab: shot.tab, seed: 3, state: JSON.stringify(shot.state ?? {}) });
            await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'requestLayer' || m.type === 'requestThumbnails'));
            await page.waitForTimeout(1500);
            if (shot.query !== undefined) await page.evaluate((q) => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: q }), shot.query);
            if (shot.scrollTo !== undefined) await page.evaluate((row) => { document.querySelector('.head-scroll')!.scrollTop = 26 + 6 + row * 20; }, shot.scrollTo);
            await page.waitForTimeout(400);
            const base = path.join(outDir, `${width}-${theme}-${shot.name}`);
            if (shot.dialog) {
              await page.click('vscode-button:has-text("Export…")');
              await page.waitForSelector('dialog.export-dialog[open]');
              await page.waitForTimeout(200);
            }
            if (shot.exportPng) {
              const since = await page.evaluate(() => window.__harness.posted.length);
              await page.evaluate(() => window.__harness.send({ type: 'requestExport', format: 'png', options: { scale: 1, title: 'synthetic 12×12 · export test' } }));
              const m = await page.evaluate((s) => window.__harness.waitFor('export', s), since);
              if (m.type === 'export') {
                fs.writeFileSync(`${base}.png`, Buffer.from(m.data.replace(/^data:image\/png;base64,/, ''), 'base64'));
                console.log(`${base}.png`, m.width, m.height, m.note ?? '');
                // Crops of a tall export (its top, and around the middle) to look at in full resolution.
                for (const [suffix, at] of [['top', 0], ['mid', 0.68]] as const) {
                  const crop = await page.evaluate(async ([url, f]) => {
                    const img = new Image();
                    img.src = url as string;
                    await img.decode();
                    const h = Math.min(img.height, 900);
                    const c = document.createElement('canvas');
                    c.width = img.width; c.height = h;
                    c.getContext('2d')!.drawImage(img, 0, -Math.floor((img.height - h) * (f as number)));
                    return c.toDataURL('image/png');
                  }, [m.data, at] as const);
                  fs.writeFileSync(`${base}-${suffix}.png`, Buffer.from(crop.replace(/^data:image\/png;base64,/, ''), 'base64'));
                }
              }
            } else {
              await page.screenshot({ path: `${base}.png` });
              console.log(`${base}.png`);
            }
            if (errors.length) console.error(`${width}/${theme}/${shot.name}:`, errors.join('\n'));
            await page.close();
          }
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
