// Whole-view export benchmark (synthetic 12×12, T=1024) in headless chromium:
//   node --import tsx bench/export.ts
// Prints JSON: for the head view (a focused query, and all lines) and the model view, the time from
// requestExport to the posted file, PNG at 2× (lowered to fit the canvas limit when needed) and SVG, with
// the pixel size and the file size. The PNG is encoded off the main thread (canvas.toBlob); the panel's
// main thread is blocked only while the scene is drawn, reported as mainThreadMaxBlockMs (longest gap
// between animation frames during the export). Target: the panel keeps painting (gap ≤ 1 s).
import { buildForHarness, startHarnessServer } from '../test/webview/server';
import { launchChromium, openHarness, type Browser } from '../test/webview/browser';

interface Case { name: string; tab: 'head' | 'model'; query?: number; format: 'png' | 'svg' }
const CASES: Case[] = [
  { name: 'head-query-png', tab: 'head', query: 900, format: 'png' },
  { name: 'head-query-svg', tab: 'head', query: 900, format: 'svg' },
  { name: 'head-all-png', tab: 'head', format: 'png' },
  { name: 'head-all-svg', tab: 'head', format: 'svg' },
  { name: 'model-png', tab: 'model', format: 'png' },
  { name: 'model-svg', tab: 'model', format: 'svg' },
];
const T = 1024;

async function measure(browser: Browser, url: string, c: Case): Promise<Record<string, number | string>> {
  const { page, errors } = await openHarness(browser, url, { T, L: 12, H: 12, tab: c.tab, seed: 1 });
  const paint = `attention-panel:${c.tab}:firstPaint`;
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, paint, { timeout: 120_000 });
  if (c.query !== undefined) await page.evaluate((q) => window.__harness.send({ type: 'selectQuery', analysisId: 1, query: q }), c.query);
  await page.waitForTimeout(300);
  // tsx keeps function names with a __name helper that only exists in Node.
  await page.evaluate('globalThis.__name = globalThis.__name || ((f) => f)');
  const r = await page.evaluate(async (format) => {
    let last = performance.now(), maxGap = 0, running = true;
    const tick = (): void => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const since = window.__harness.posted.length;
    const t0 = performance.now();
    window.__harness.send({ type: 'requestExport', format: format as 'png' | 'svg', options: { scale: 2, title: 'synthetic 12×12 · bench' } });
    const m = await window.__harness.waitFor('export', since);
    const ms = performance.now() - t0;
    running = false;
    if (m.type !== 'export') throw new Error('no export');
    return { ms, maxGap, width: m.width ?? 0, height: m.height ?? 0, chars: m.data.length, note: m.note ?? '' };
  }, c.format);
  await page.close();
  if (errors.length) throw new Error(`page errors (${c.name}): ${errors.join('; ')}`);
  return {
    exportMs: Math.round(r.ms), mainThreadMaxBlockMs: Math.round(r.maxGap), width: r.width, height: r.height,
    megabytes: Math.round((r.chars / 1e6) * 10) / 10, ...(r.note ? { note: r.note } : {}),
  };
}

async function main(): Promise<void> {
  await buildForHarness(true);
  const server = await startHarnessServer();
  const browser = await launchChromium();
  const result: Record<string, unknown> = { T, shape: '12×12', scale: 2 };
  try {
    for (const c of CASES) result[c.name] = await measure(browser, server.url, c);
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => { console.error(err); process.exit(1); });
