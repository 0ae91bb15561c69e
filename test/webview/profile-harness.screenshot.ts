// Screenshots of the Layer Profile harness: node --import tsx test/webview/profile-harness.screenshot.ts [outDir]
// Writes layer-profile-<theme>-<scenario>.png at 420×1800 (2× pixels); --full adds the rest of the page in
// slices; --width=320 changes the viewport width; --only=both,dark/corpus picks scenarios (or theme/scenario).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildHarness, launchChromium } from './profile-harness.build';

async function main(): Promise<void> {
  const outDir = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '/tmp/profile-shots');
  mkdirSync(outDir, { recursive: true });
  const url = await buildHarness({ rebuild: true });
  const widthArg = process.argv.find((a) => a.startsWith('--width='));
  const width = widthArg ? Number(widthArg.slice('--width='.length)) : 420;
  const browser = await launchChromium({ width, height: 1800 }, 2);
  try {
    const shots: [string, string][] = [['dark', 'corpus'], ['light', 'corpus'], ['hc-dark', 'corpus'], ['hc-light', 'corpus'], ['dark', 'empty'],
      ['hc-dark', 'empty'], ['dark', 'partial'], ['hc-light', 'partial'], ['light', 'selection'], ['dark', 'error'], ['hc-dark', 'error'],
      ['dark', 'both'], ['hc-dark', 'both'], ['dark', 'long'], ['dark', 'deep']];
    const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
    for (const [theme, scenario] of shots.filter(([t, sc]) => !only || only.includes(`${t}/${sc}`) || only.includes(sc))) {
      const page = await browser.context.newPage();
      page.on('pageerror', (e) => console.error(`[${theme}/${scenario}] page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') console.error(`[${theme}/${scenario}] console: ${m.text()}`); });
      await page.goto(`${url}?theme=${theme}&scenario=${scenario}`);
      await page.waitForTimeout(400);
      const file = join(outDir, `layer-profile-${theme}-${scenario}${width === 420 ? '' : `-${width}`}.png`);
      await page.screenshot({ path: file });
      console.log(file);
      if (process.argv.includes('--full')) {
        // The rest of the page in 1800 px slices (for reviewing everything below the first screen).
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        for (let y = 1800, i = 2; y < height; y += 1800, i++) {
          const part = join(outDir, `layer-profile-${theme}-${scenario}${width === 420 ? '' : `-${width}`}-${i}.png`);
          await page.screenshot({ path: part, fullPage: true, clip: { x: 0, y, width, height: Math.min(1800, height - y) } });
          console.log(part);
        }
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
