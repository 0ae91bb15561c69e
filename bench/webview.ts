// Webview first-paint benchmark (gpt2-small shape, L=12, H=12) in headless chromium:
//   node --import tsx bench/webview.ts
// Prints JSON {headViewFirstPaintMs: {128, 512, 1024}, modelViewFirstPaintMs: {128, 512, 1024},
// tokensTabOpenMs: {128, 512, 1024}, heatmapOpenMs: {T1024_head, T1024_meanOfHeads}}.
// Measured inside the page by the panel itself: "attention-panel:<view>:firstPaint" from the arrival of the
// data message (layer / thumbnails) to after the first frame painted with it; "attention-panel:<tab>:open"
// from the click on a tab (layer already loaded, head view showing) to after its first painted frame.
// Targets: head view ≤ 300 ms at T=512, model view ≤ 1 s at T=1024, tokens tab open ≤ 100 ms at T=1024,
// heatmap open ≤ 200 ms at T=1024.
import { buildForHarness, startHarnessServer } from '../test/webview/server';
import { launchChromium, openHarness, type Browser } from '../test/webview/browser';

const SIZES = [128, 512, 1024] as const;
const RUNS = 3;

async function measure(browser: Browser, url: string, T: number, tab: 'head' | 'model'): Promise<number> {
  const { page, errors } = await openHarness(browser, url, { T, L: 12, H: 12, tab, seed: 1 });
  const name = `attention-panel:${tab}:firstPaint`;
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 120_000 });
  const ms = await page.evaluate((n) => performance.getEntriesByName(n)[0].duration, name);
  await page.close();
  if (errors.length) throw new Error(`page errors at T=${T} (${tab}): ${errors.join('; ')}`);
  return ms;
}

/** Open on the head view, wait for it, then click the Tokens tab and read the tab-open measure. */
async function measureTokensOpen(browser: Browser, url: string, T: number): Promise<number> {
  const { page, errors } = await openHarness(browser, url, { T, L: 12, H: 12, tab: 'head', seed: 1 });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 120_000 });
  await page.click('vscode-tab-header[data-tab="tokens"]');
  const name = 'attention-panel:tokens:open';
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 120_000 });
  const ms = await page.evaluate((n) => performance.getEntriesByName(n)[0].duration, name);
  await page.close();
  if (errors.length) throw new Error(`page errors at T=${T} (tokens tab): ${errors.join('; ')}`);
  return ms;
}

/** Open the head view at T=1024, wait for its layer, then switch to the heatmap tab. */
async function measureHeatmapOpen(browser: Browser, url: string, head: number | null): Promise<number> {
  const { page, errors } = await openHarness(browser, url, { T: 1024, L: 12, H: 12, tab: 'head', seed: 1, state: JSON.stringify({ head }) });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 120_000 });
  await page.waitForTimeout(300);
  await page.click('vscode-tab-header[data-tab="heatmap"]');
  const name = 'attention-panel:heatmap:open';
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 120_000 });
  const ms = await page.evaluate((n) => performance.getEntriesByName(n)[0].duration, name);
  await page.close();
  if (errors.length) throw new Error(`page errors (heatmap open): ${errors.join('; ')}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  const result = {
    headViewFirstPaintMs: {} as Record<number, number>, modelViewFirstPaintMs: {} as Record<number, number>,
    tokensTabOpenMs: {} as Record<number, number>, tokensTabOpenTarget: '≤ 100 ms at T=1024',
    heatmapOpenMs: {} as Record<string, number>, heatmapOpenTargetMs: 200, runs: RUNS, statistic: 'median',
  };
  try {
    // --heatmap-only: just the heatmap open time (quick check while working on the heatmap).
    for (const T of process.argv.includes('--heatmap-only') ? [] : SIZES) {
      const head: number[] = [], model: number[] = [], tokens: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        head.push(await measure(browser, server.url, T, 'head'));
        model.push(await measure(browser, server.url, T, 'model'));
        tokens.push(await measureTokensOpen(browser, server.url, T));
      }
      result.headViewFirstPaintMs[T] = Math.round(median(head) * 10) / 10;
      result.modelViewFirstPaintMs[T] = Math.round(median(model) * 10) / 10;
      result.tokensTabOpenMs[T] = Math.round(median(tokens) * 10) / 10;
    }
    for (const [name, head] of [['T1024_head', 0], ['T1024_meanOfHeads', null]] as const) {
      const runs: number[] = [];
      for (let r = 0; r < RUNS; r++) runs.push(await measureHeatmapOpen(browser, server.url, head));
      result.heatmapOpenMs[name] = Math.round(median(runs) * 10) / 10;
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => { console.error(err); process.exit(1); });
