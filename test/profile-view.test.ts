// Layer Profile webview in headless Chromium: the harness page (test/webview/profile-harness.html) with a
// deterministic synthetic ProfileResult and a mocked acquireVsCodeApi that records posted messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { profileChartCsv } from '../src/engine/stats';
import { HEAD_STAT_NAMES } from '../src/engine/types';
import type { FromProfileMessage } from '../src/protocol';
import { PROFILE_CHART_IDS, isFromProfileMessage } from '../src/protocol';
import { buildHarness, launchChromium } from './webview/profile-harness.build';
import type { ProfileResult } from '../src/engine/types';

let url = '';
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

before(async () => {
  url = await buildHarness({ rebuild: true });
  browser = await launchChromium({ width: 420, height: 1800 });
  context = browser.context;
});
after(async () => { await browser?.close(); });

async function open(query: string): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(`${url}?${query}`);
  await page.waitForFunction(() => window.profileHarness?.posted.some((m) => m.type === 'ready'));
  return page;
}

/** Wait until every visible chart has been painted (canvas backing store sized). */
async function openCharts(query: string): Promise<Page> {
  const page = await open(query);
  await page.waitForFunction(() => {
    const canvases = [...document.querySelectorAll('canvas[data-chart]')] as HTMLCanvasElement[];
    const visible = canvases.filter((c) => c.closest('details')?.hidden === false);
    return visible.length > 0 && visible.every((c) => c.width > 1);
  });
  return page;
}

/** The result the harness sent last (computed in the browser: compare with it, not with a Node recomputation). */
const shownResult = (page: Page) => page.evaluate(() => {
  const m = window.profileHarness.sent.filter((s) => s.type === 'profile').at(-1);
  if (m?.type !== 'profile') throw new Error('no profile message was sent');
  return m.result;
}) as Promise<ProfileResult>;
const posted = (page: Page) => page.evaluate(() => window.profileHarness.posted) as Promise<FromProfileMessage[]>;
const lastPosted = async (page: Page) => (await posted(page)).at(-1);

async function exportChart(page: Page, chart: string, format: 'png' | 'svg' | 'csv'): Promise<string> {
  const before = (await posted(page)).length;
  await page.click(`figure[data-chart="${chart}"] button[data-format="${format}"]`);
  const messages = await posted(page);
  assert.equal(messages.length, before + 1, `exporting ${chart} as ${format} posts one message`);
  const m = messages.at(-1)!;
  assert.ok(m.type === 'export' && m.chart === chart && m.format === format, `export message for ${chart}: ${JSON.stringify(m).slice(0, 120)}`);
  assert.ok(isFromProfileMessage(m), 'the posted export passes the host-side validator');
  return m.data;
}

describe('Layer Profile view (corpus result)', () => {
  it('paints every chart canvas with non-blank pixels', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const stats = await page.evaluate(() => [...document.querySelectorAll('canvas[data-chart]')].map((el) => {
      const c = el as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4 * 7) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return { chart: c.dataset.chart!, width: c.width, colours: colours.size };
    }));
    assert.deepEqual(stats.map((s) => s.chart), [...PROFILE_CHART_IDS]);
    for (const s of stats) assert.ok(s.colours > 8, `${s.chart} has drawn content (${s.colours} colours, ${s.width}px wide)`);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await page.close();
  });

  it('toggling "Include first token" switches the mean chart data and posts setIncludeFirst', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const result = await shownResult(page);
    const pixelsBefore = await page.evaluate(() => (document.querySelector('canvas[data-chart="meanPerLayer"]') as HTMLCanvasElement).toDataURL());
    assert.equal(await exportChart(page, 'meanPerLayer', 'csv'), profileChartCsv(result, 'mean', false));
    await page.click('#include-first');
    assert.deepEqual(await lastPosted(page), { type: 'setIncludeFirst', value: true });
    const csv = await exportChart(page, 'meanPerLayer', 'csv');
    assert.equal(csv, profileChartCsv(result, 'mean', true));
    assert.notEqual(csv, profileChartCsv(result, 'mean', false));
    const pixelsAfter = await page.evaluate(() => (document.querySelector('canvas[data-chart="meanPerLayer"]') as HTMLCanvasElement).toDataURL());
    assert.notEqual(pixelsAfter, pixelsBefore, 'the mean chart is redrawn with the include-first data');
    await page.close();
  });

  it('clicking or pressing Enter on a head-table row posts openHead for that layer and head', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    await page.click('table.head-table tbody tr[data-layer="4"][data-head="11"]');
    // A corpus result: the head opens on the corpus text where it is most typical for the shown statistic.
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer: 4, head: 11, origin: 'corpus', stat: 'entropy' });
    await page.focus('table.head-table tbody tr[data-layer="7"][data-head="2"]');
    await page.keyboard.press('Enter');
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer: 7, head: 2, origin: 'corpus', stat: 'entropy' });
    assert.equal(await page.getAttribute('table.head-table tbody tr.selected', 'data-layer'), '7');
    await page.close();
  });

  it('sorts the head table by a clicked column header, toggling the direction', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const result = await shownResult(page);
    const k = HEAD_STAT_NAMES.indexOf('sinkMass');
    const all = result.headStats.flatMap((row, layer) => row.map((v, head) => ({ id: `${layer},${head}`, v: v[k] })));
    const rowIds = () => page.$$eval('table.head-table tbody tr', (trs) => trs.map((tr) => `${tr.getAttribute('data-layer')},${tr.getAttribute('data-head')}`));
    assert.deepEqual((await rowIds()).slice(0, 3), ['0,0', '0,1', '0,2'], 'default order is by layer, then head');
    await page.click('table.head-table th button[data-key="sinkMass"]');
    assert.deepEqual(await rowIds(), [...all].sort((a, b) => b.v - a.v).map((r) => r.id), 'descending by sink mass');
    assert.equal(await page.getAttribute('table.head-table th:has(button[data-key="sinkMass"])', 'aria-sort'), 'descending');
    await page.click('table.head-table th button[data-key="sinkMass"]');
    assert.deepEqual(await rowIds(), [...all].sort((a, b) => a.v - b.v).map((r) => r.id), 'ascending after a second click');
    await page.close();
  });

  it('opens a head from the heatmap: hover shows its values, click posts openHead', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const result = await shownResult(page);
    await page.locator('canvas[data-chart="headHeatmap"]').scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const box = (await page.locator('canvas[data-chart="headHeatmap"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.35);
    assert.equal(await page.$eval('.tooltip', (el) => (el as HTMLElement).hidden), false, 'the tooltip is up');
    const tip = await page.textContent('.tooltip');
    const match = /layer (\d+), head (\d+)/.exec(tip ?? '');
    assert.ok(match, `tooltip names a head: ${tip}`);
    const [layer, head] = [Number(match[1]), Number(match[2])];
    const expected = result.headStats[layer][head][HEAD_STAT_NAMES.indexOf('entropy')];
    assert.match(tip!, new RegExp(`Entropy ${String(Number(expected.toPrecision(4))).replace('.', '\\.')}`));
    assert.match(tip!, /most typical/, 'the tooltip says where a click opens the head');
    await page.mouse.click(box.x + box.width * 0.6, box.y + box.height * 0.35);
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer, head, origin: 'corpus', stat: 'entropy' });
    await page.close();
  });

  it('exports CSV with the chart data, SVG documents and PNG data URLs for every chart', async () => {
    const page = await openCharts('theme=light&scenario=corpus');
    const result = await shownResult(page);
    assert.equal(await exportChart(page, 'headHeatmap', 'csv'), profileChartCsv(result, 'heads', false));
    assert.equal(await exportChart(page, 'autoregression', 'csv'), profileChartCsv(result, 'autoregression', false));
    assert.equal(await exportChart(page, 'positionHeatmap', 'csv'), profileChartCsv(result, 'heatmap', false));
    const beta1 = await exportChart(page, 'regressionBeta1', 'csv');
    assert.deepEqual(beta1.trim().split('\r\n').slice(1).map((line) => Number(line.split(',')[1])), result.excludeFirst.positionRegression.beta1);
    const mask = (await exportChart(page, 'validMask', 'csv')).trim().split('\r\n');
    assert.equal(mask.length, result.lengths.length + 1);
    mask.slice(1).forEach((line, i) => {
      const cells = line.split(',').map(Number);
      assert.equal(cells[1], result.lengths[i]);
      assert.equal(cells.slice(2).reduce((a, b) => a + b, 0), result.lengths[i], `sequence ${i}: valid cells = length`);
    });
    for (const chart of PROFILE_CHART_IDS) {
      const svg = await exportChart(page, chart, 'svg');
      assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${chart} SVG`);
      const parseError = await page.evaluate((text) => new DOMParser().parseFromString(text, 'image/svg+xml').querySelector('parsererror')?.textContent ?? null, svg);
      assert.equal(parseError, null, `${chart} SVG is well-formed XML`);
      assert.match(await exportChart(page, chart, 'png'), /^data:image\/png;base64,[A-Za-z0-9+/]{200,}/, `${chart} PNG`);
    }
    await page.close();
  });

  it('keeps the toggle, statistic and sort across a reload (getState/setState)', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const result = await shownResult(page);
    await page.click('#include-first');
    await page.selectOption('#head-stat', 'prevToken');
    await page.click('table.head-table th button[data-key="meanDistance"]');
    await page.reload();
    await page.waitForFunction(() => window.profileHarness?.posted.some((m) => m.type === 'ready'));
    assert.equal(await page.isChecked('#include-first'), true);
    assert.equal(await page.inputValue('#head-stat'), 'prevToken');
    assert.equal(await page.getAttribute('table.head-table th:has(button[data-key="meanDistance"])', 'aria-sort'), 'descending');
    assert.equal(await exportChart(page, 'meanPerLayer', 'csv'), profileChartCsv(result, 'mean', true));
    await page.close();
  });

  it('redraws the position heatmap when the percentile limits change', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const pixels = () => page.evaluate(() => (document.querySelector('canvas[data-chart="positionHeatmap"]') as HTMLCanvasElement).toDataURL());
    const before = await pixels();
    await page.fill('#clim-lo', '0');
    await page.fill('#clim-hi', '100');
    await page.press('#clim-hi', 'Enter');
    await page.locator('#clim-hi').blur();
    assert.notEqual(await pixels(), before);
    assert.match(await page.getAttribute('canvas[data-chart="positionHeatmap"]', 'aria-label') ?? '', /p0|colour limits/);
    await page.close();
  });

  it('redraws the charts in the new colours when the VS Code theme changes', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const corner = () => page.evaluate(() => [...(document.querySelector('canvas[data-chart="meanPerLayer"]') as HTMLCanvasElement)
      .getContext('2d')!.getImageData(1, 1, 1, 1).data.slice(0, 3)]);
    assert.deepEqual(await corner(), [0x18, 0x18, 0x18], 'dark sidebar background');
    await page.evaluate(() => {
      document.documentElement.style.setProperty('--vscode-sideBar-background', '#f8f8f8');
      document.body.className = 'vscode-light';
    });
    await page.waitForFunction(() => (document.querySelector('canvas[data-chart="meanPerLayer"]') as HTMLCanvasElement)
      .getContext('2d')!.getImageData(1, 1, 1, 1).data[0] === 0xf8);
    assert.deepEqual(await corner(), [0xf8, 0xf8, 0xf8], 'light sidebar background');
    await page.close();
  });

  it('fits a 320 px sidebar without horizontal scrolling', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    await page.setViewportSize({ width: 320, height: 1200 });
    await page.waitForFunction(() => (document.querySelector('canvas[data-chart="meanPerLayer"]') as HTMLCanvasElement).width <= 320 * devicePixelRatio);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'no horizontal overflow at 320 px');
    await page.close();
  });
});

describe('Layer Profile view states', () => {
  it('empty state explains and offers Show Attention / Profile Texts… / Open', async () => {
    const page = await open('theme=dark&scenario=empty');
    assert.equal(await page.isVisible('.empty'), true);
    assert.equal(await page.isVisible('.content'), false);
    await page.click('.empty button:has-text("Show Attention")');
    await page.click('.empty button:has-text("Profile Texts")');
    await page.click('.empty button:has-text("Open Saved Profile")');
    assert.deepEqual((await posted(page)).slice(-3).map((m) => m.type), ['showAttention', 'runProfile', 'openResult']);
    await page.close();
  });

  it('shows progress with the partial result, then hides it when the final result arrives', async () => {
    const page = await openCharts('theme=dark&scenario=partial');
    assert.match(await page.textContent('.progress') ?? '', /24 \/ 64 texts · 1,010 \/ 3,330 tokens · about 1:15 min left/, 'the host\u2019s line, as in the notification');
    assert.equal(await page.getAttribute('.progress progress', 'value'), '30.0', 'the bar follows the tokens done (percent from the host)');
    assert.equal(await page.isVisible('.badge.warn'), true, 'partial result is marked');
    assert.match(await page.textContent('.summary .facts') ?? '', /24 sequences/);
    await page.click('.progress button:has-text("Cancel")');
    assert.deepEqual(await lastPosted(page), { type: 'cancelProfile' });
    await page.evaluate(() => window.profileHarness.send(window.profileHarness.messages('corpus')[0]));
    await page.waitForFunction(() => (document.querySelector('.progress') as HTMLElement).hidden);
    assert.match(await page.textContent('.summary .facts') ?? '', /64 sequences/);
    assert.equal(await page.isVisible('.badge.warn'), false);
    await page.close();
  });

  it('a single-text result hides the corpus charts; errors show a dismissible banner', async () => {
    const page = await openCharts('theme=light&scenario=selection');
    assert.equal(await page.isVisible('details[data-section="corpus"]'), false);
    assert.equal(await page.isVisible('canvas[data-chart="meanPerLayer"]'), true);
    await page.evaluate(() => window.profileHarness.send({ type: 'error', message: 'Profile failed: out of memory' }));
    await page.waitForSelector('.banner.error:not([hidden])');
    assert.match(await page.textContent('.banner.error') ?? '', /out of memory/);
    assert.equal(await page.isVisible('canvas[data-chart="meanPerLayer"]'), true, 'the result stays visible');
    await page.click('.banner.error button');
    assert.equal(await page.isVisible('.banner.error'), false);
    await page.close();
  });
});

describe('Layer Profile view robustness', () => {
  it('draws results whose NaNs arrived as null (JSON) and hides the heads section without head statistics', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    await page.evaluate(() => {
      const m = structuredClone(window.profileHarness.sent.find((s) => s.type === 'profile')!);
      if (m.type !== 'profile') return;
      const r = m.result as unknown as { headStats: unknown[]; excludeFirst: Record<string, Record<string, (number | null)[]>> & { meanLogNorm: (number | null)[] } };
      r.headStats = [];
      r.excludeFirst.autoregression.beta1[3] = null;
      r.excludeFirst.positionRegression.beta0[0] = null;
      r.excludeFirst.meanLogNorm[5] = null;
      window.profileHarness.send(m);
    });
    await page.waitForFunction(() => (document.querySelector('details[data-section="heads"]') as HTMLElement).hidden);
    assert.equal(await page.isVisible('.banner.error'), false, 'no drawing error');
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    const csv = await exportChart(page, 'autoregression', 'csv');
    assert.match(csv.split('\r\n')[4], /^3,[^,]+,,/, 'the missing β1 is an empty CSV cell');
    await page.close();
  });
});

describe('isFromProfileMessage', () => {
  it('accepts every message the view posts and rejects malformed ones', () => {
    const good: unknown[] = [
      { type: 'ready' }, { type: 'runProfile' }, { type: 'openResult' }, { type: 'saveResult' }, { type: 'showAttention' },
      { type: 'cancelProfile' }, { type: 'openHead', layer: 0, head: 11 }, { type: 'setIncludeFirst', value: false },
      { type: 'export', format: 'csv', chart: 'meanPerLayer', data: 'layer\r\n' },
    ];
    for (const m of good) assert.equal(isFromProfileMessage(m), true, JSON.stringify(m));
    const bad: unknown[] = [
      null, 'ready', {}, { type: 'nope' }, { type: 'openHead', layer: -1, head: 0 }, { type: 'openHead', layer: 1.5, head: 0 },
      { type: 'openHead', layer: 1 }, { type: 'export', format: 'jpg', chart: 'meanPerLayer', data: '' },
      { type: 'export', format: 'csv', chart: 'nope', data: '' }, { type: 'export', format: 'csv', chart: 'lengths', data: 3 },
      { type: 'setIncludeFirst', value: 'yes' },
    ];
    for (const m of bad) assert.equal(isFromProfileMessage(m), false, JSON.stringify(m));
  });
});

describe('Layer Profile view accessibility', () => {
  /** Computed rgb() of a CSS colour in the page. */
  const rgb = (page: Page, css: string) => page.evaluate((c) => {
    const probe = document.createElement('div');
    probe.style.color = c;
    document.body.append(probe);
    const v = getComputedStyle(probe).color;
    probe.remove();
    return v;
  }, css);

  for (const theme of ['hc-dark', 'hc-light'] as const) {
    it(`${theme}: every chart draws, heatmaps are framed in contrastBorder, the selected head row is outlined`, async () => {
      const page = await openCharts(`theme=${theme}&scenario=corpus`);
      assert.ok(await page.evaluate(() => document.body.classList.contains('vscode-high-contrast')), 'the body has the high contrast class');
      const contrast = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-contrastBorder').trim());
      assert.ok(contrast, 'contrastBorder is set');
      const [r, g, b] = (await rgb(page, contrast)).match(/\d+/g)!.map(Number);
      const stats = await page.evaluate(([cr, cg, cb]) => [...document.querySelectorAll('canvas[data-chart]')].map((el) => {
        const c = el as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set<number>();
        let border = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (i % 28 === 0) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          if (Math.abs(data[i] - cr) < 10 && Math.abs(data[i + 1] - cg) < 10 && Math.abs(data[i + 2] - cb) < 10) border++;
        }
        return { chart: c.dataset.chart!, colours: colours.size, border };
      }), [r, g, b]);
      for (const s of stats) assert.ok(s.colours > 8, `${theme}: ${s.chart} has drawn content (${s.colours} colours)`);
      for (const id of ['positionHeatmap', 'headHeatmap']) {
        assert.ok(stats.find((s) => s.chart === id)!.border > 400, `${theme}: ${id} is framed in contrastBorder`);
      }
      await page.click('table.head-table tbody tr[data-layer="2"][data-head="3"]');
      const outline = await page.$eval('table.head-table tbody tr.selected', (tr) => { const cs = getComputedStyle(tr); return [cs.outlineStyle, cs.outlineColor]; });
      const activeBorder = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-contrastActiveBorder').trim());
      assert.deepEqual(outline, ['dashed', await rgb(page, activeBorder)], 'the selected row is outlined (High Contrast has no selection background)');
      assert.deepEqual((page as Page & { errors: string[] }).errors, []);
      await page.close();
    });
  }

  it('keyboard: charts with values are Tab stops; arrows read the values aloud, Enter opens a head', async () => {
    const page = await openCharts('theme=dark&scenario=corpus');
    const focusable = await page.$$eval('canvas[data-chart][tabindex="0"]', (cs) => cs.map((c) => (c as HTMLElement).dataset.chart));
    assert.deepEqual(focusable, ['meanPerLayer', 'positionHeatmap', 'regressionBeta0', 'regressionBeta1', 'autoregression', 'headHeatmap']);
    for (const c of await page.$$('canvas[data-chart]')) {
      assert.ok(((await c.getAttribute('aria-label')) ?? '').length > 30, 'every chart canvas describes itself');
    }
    const live = () => page.textContent('[aria-live="polite"].sr-only').then((t) => t ?? '');
    const result = await shownResult(page);

    // Mean per layer: ←/→ step through the layers.
    await page.focus('canvas[data-chart="meanPerLayer"]');
    await page.keyboard.press('End');
    const L = result.model.layers;
    assert.match(await live(), new RegExp(`^layer ${L - 1}; mean `));
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.chart), 'meanPerLayer');

    // Head heatmap: → and ↑ move to layer 1, head 1; the readout has the four statistics; Enter opens it.
    await page.focus('canvas[data-chart="headHeatmap"]');
    assert.match(await live(), /^layer 0, head 0; Entropy /);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowUp');
    const text = await live();
    assert.match(text, /^layer 1, head 1; Entropy [\d.]+ nats; Sink mass [\d.]+; Previous-token [\d.]+; Mean distance [\d.]+ tokens\. Enter opens this head\.$/);
    const before = (await posted(page)).length;
    await page.keyboard.press('Enter');
    const messages = await posted(page);
    assert.equal(messages.length, before + 1);
    assert.deepEqual(messages.at(-1), { type: 'openHead', layer: 1, head: 1, origin: 'corpus', stat: 'entropy' });

    // Tab moves between the controls; each focused control shows a focus ring in focusBorder.
    const focusBorder = await rgb(page, 'var(--vscode-focusBorder)');
    await page.focus('#include-first');
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => { const e = document.activeElement as HTMLElement; const cs = getComputedStyle(e); return { tag: e.tagName, style: cs.outlineStyle, color: cs.outlineColor }; });
      assert.ok(f.style !== 'none' && f.color === focusBorder, `Tab stop ${i} (${f.tag}) has a focus ring: ${JSON.stringify(f)}`);
    }
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await page.close();
  });
});

/** Open the harness at 320 px wide (the side bar is often that narrow). */
async function openNarrow(query: string, width = 320): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 1400 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(`${url}?${query}`);
  await page.waitForFunction(() => {
    const canvases = [...document.querySelectorAll('canvas[data-chart]')] as HTMLCanvasElement[];
    const visible = canvases.filter((c) => c.closest('details')?.hidden === false);
    return visible.length > 0 && visible.every((c) => c.width > 1);
  });
  return page;
}

/** Every text of a chart's SVG export, with its on-screen box (rotation included) once drawn in the page. */
async function chartTexts(page: Page, chart: string): Promise<{ text: string; x0: number; y0: number; x1: number; y1: number; rotated: boolean }[]> {
  const svg = await exportChart(page, chart, 'svg');
  return page.evaluate((markup) => {
    const host = document.createElement('div');
    host.style.cssText = 'position:absolute;left:0;top:0';
    host.innerHTML = markup.replace(/^<\?xml[^>]*>/, '');
    document.body.append(host);
    const out = [...host.querySelectorAll('text')].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent ?? '', x0: r.left, y0: r.top, x1: r.right, y1: r.bottom, rotated: t.hasAttribute('transform') };
    });
    host.remove();
    return out;
  }, svg);
}

const overlaps = (a: { x0: number; y0: number; x1: number; y1: number }, b: typeof a, slack = 0.5) =>
  a.x0 < b.x1 - slack && b.x0 < a.x1 - slack && a.y0 < b.y1 - slack && b.y0 < a.y1 - slack;

describe('Layer Profile view at 320 px', () => {
  it('chart titles wrap instead of being truncated, and the page never scrolls sideways', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    const titles = await page.$$eval('figure.chart .chart-title', (els) => els.map((el) => {
      const cs = getComputedStyle(el);
      const fig = el.closest('figure')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return { text: el.textContent ?? '', clipped: el.scrollWidth > el.clientWidth + 1, ellipsis: cs.textOverflow === 'ellipsis' && cs.whiteSpace === 'nowrap',
        inside: r.right <= fig.right + 0.5, lines: Math.round(r.height / parseFloat(cs.lineHeight || '16')) };
    }));
    assert.equal(titles.length, 10);
    for (const t of titles) assert.ok(!t.clipped && !t.ellipsis && t.inside, `"${t.text}" is shown whole: ${JSON.stringify(t)}`);
    assert.ok(titles.some((t) => t.lines >= 2), 'long titles take a second line at 320 px');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'no horizontal overflow');
    await page.close();
  });

  it('labels every layer on every layer axis, and no legend covers a label', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    const layers = Array.from({ length: 12 }, (_, l) => String(l));
    for (const chart of ['meanPerLayer', 'regressionBeta0', 'regressionBeta1', 'autoregression', 'positionHeatmap', 'headHeatmap', 'distribution', 'regressionFit', 'validMask']) {
      const texts = await chartTexts(page, chart);
      if (!['distribution', 'regressionFit', 'validMask'].includes(chart)) {
        const shown = new Set(texts.map((t) => t.text));
        for (const l of layers) assert.ok(shown.has(l), `${chart}: layer ${l} is labelled`);
      }
      // The export adds a title band above; everything inside must be free of overlaps (legends vs. L0, ticks, axis titles).
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          assert.ok(!overlaps(texts[i], texts[j]), `${chart}: "${texts[i].text}" and "${texts[j].text}" overlap: ${JSON.stringify([texts[i], texts[j]])}`);
        }
      }
    }
    await page.close();
  });

  it('a 48-layer model keeps every layer findable: ticks for all, readable labels, the readout names each', async () => {
    const page = await openNarrow('theme=dark&scenario=deep');
    const texts = await chartTexts(page, 'meanPerLayer');
    const numeric = texts.filter((t) => /^\d+$/.test(t.text));
    const labelled = numeric.filter((t) => t.rotated).map((t) => Number(t.text));
    assert.ok(labelled.length >= 24, `at least every other layer carries a (vertical) label: ${labelled.length}`);
    assert.ok(labelled.includes(0) && labelled.includes(46), 'labels run to the end');
    for (let i = 0; i < numeric.length; i++) for (let j = i + 1; j < numeric.length; j++) assert.ok(!overlaps(numeric[i], numeric[j]), 'layer labels do not collide');
    const heat = await chartTexts(page, 'headHeatmap');
    const rows = new Set(heat.map((t) => t.text));
    assert.ok(['0', '10', '47'].every((l) => rows.has(l)), 'the heatmap rows are labelled');
    await page.focus('canvas[data-chart="meanPerLayer"]');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    assert.match(await page.textContent('[aria-live="polite"].sr-only') ?? '', /^layer 46; mean /, 'the readout names a layer without a label');
    await page.close();
  });

  it('states units: natural-log norms, entropy in nats, distances in tokens', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    const dist = (await chartTexts(page, 'distribution')).map((t) => t.text).join(' | ');
    assert.match(dist, /natural log/);
    const heads = (await chartTexts(page, 'headHeatmap')).map((t) => t.text).join(' | ');
    assert.match(heads, /Entropy \(nats\)/);
    await page.selectOption('#head-stat', 'meanDistance');
    assert.match((await chartTexts(page, 'headHeatmap')).map((t) => t.text).join(' | '), /Mean distance \(tokens\)/);
    assert.match(await page.textContent('details[data-section="heads"] .note') ?? '', /nats \(natural log\)/);
    assert.match(await page.textContent('details[data-section="magnitudes"] .note') ?? '', /natural logs \(ln\)/);
    assert.match(await page.getAttribute('th:has(button[data-key="entropy"]) button', 'title') ?? '', /Entropy \(nats\)/);
    await page.close();
  });

  it('the head table scrolls inside itself and no column is cut off (even at 290 px)', async () => {
    // VS Code's side bar at 320 px leaves the webview a little less (its own scroll bar and borders).
    const page = await openNarrow('theme=dark&scenario=corpus', 290);
    const m = await page.evaluate(() => {
      const wrap = document.querySelector('.table-wrap') as HTMLElement;
      const w = wrap.getBoundingClientRect();
      const ths = [...wrap.querySelectorAll('th')].map((th) => th.getBoundingClientRect());
      return { wrapRight: w.right, viewport: innerWidth, lastRight: ths.at(-1)!.right, overflowX: wrap.scrollWidth - wrap.clientWidth,
        scrolls: wrap.scrollHeight > wrap.clientHeight, overflowY: getComputedStyle(wrap).overflowY };
    });
    assert.ok(m.wrapRight <= m.viewport, 'the table box fits the view');
    assert.ok(m.lastRight <= m.wrapRight + 0.5 && m.overflowX <= 1, `the last column is whole: ${JSON.stringify(m)}`);
    assert.ok(m.scrolls && m.overflowY === 'auto', 'the 144 rows scroll inside the table box');
    await page.close();
  });

  it('a 1024-token selection draws every chart', async () => {
    const page = await openNarrow('theme=dark&scenario=long');
    assert.match(await page.textContent('.summary .facts') ?? '', /1,024 tokens/);
    const drawn = await page.$$eval('canvas[data-chart]', (cs) => cs.filter((c) => c.closest('details')?.hidden === false).map((c) => (c as HTMLCanvasElement).width));
    assert.ok(drawn.length >= 8 && drawn.every((w) => w > 1));
    assert.equal(await page.isVisible('.banner.error'), false);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await page.close();
  });
});

describe('Layer Profile view: this selection and the corpus', () => {
  it('shows which result it holds and switches with one click; heads then open on a corpus text', async () => {
    const page = await openNarrow('theme=dark&scenario=both');
    assert.equal(await page.isVisible('.segmented'), true, 'both results are offered');
    assert.equal(await page.getAttribute('.segment[data-origin="selection"]', 'aria-pressed'), 'true');
    assert.match(await page.textContent('.summary .showing') ?? '', /this selection/);
    assert.equal(await page.isVisible('details[data-section="corpus"]'), false);
    await page.click('.segment[data-origin="corpus"]');
    assert.deepEqual(await lastPosted(page), { type: 'showProfile', origin: 'corpus' });
    await page.waitForFunction(() => document.querySelector('.segment[data-origin="corpus"]')?.getAttribute('aria-pressed') === 'true');
    assert.match(await page.textContent('.summary .showing') ?? '', /corpus/);
    assert.match(await page.textContent('.summary .facts') ?? '', /64 sequences/);
    assert.equal(await page.isVisible('details[data-section="corpus"]'), true);

    // A corpus head opens on the text where it is most typical for the chosen statistic …
    await page.selectOption('#head-stat', 'sinkMass');
    await page.click('table.head-table tbody tr[data-layer="4"][data-head="11"]');
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer: 4, head: 11, origin: 'corpus', stat: 'sinkMass' });
    // … or on a chosen sequence; a sequence that does not exist is refused with a message.
    await page.fill('#open-sequence', '5');
    await page.click('table.head-table tbody tr[data-layer="2"][data-head="3"]');
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer: 2, head: 3, origin: 'corpus', stat: 'sinkMass', sequence: 5 });
    const before = (await posted(page)).length;
    await page.fill('#open-sequence', '64');
    await page.click('table.head-table tbody tr[data-layer="2"][data-head="3"]');
    assert.equal((await posted(page)).length, before, 'nothing is posted');
    assert.match(await page.textContent('.banner.error') ?? '', /sequences 0–63/);

    await page.click('.segment[data-origin="selection"]');
    await page.waitForFunction(() => document.querySelector('.segment[data-origin="selection"]')?.getAttribute('aria-pressed') === 'true');
    assert.equal(await page.isVisible('#open-sequence'), false, 'a selection has no corpus sequences');
    await page.click('table.head-table tbody tr[data-layer="1"][data-head="1"]');
    assert.deepEqual(await lastPosted(page), { type: 'openHead', layer: 1, head: 1 }, 'selection heads open on the selection');
    await page.close();
  });

  it('a corpus profile alone offers no switch', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    assert.equal(await page.isVisible('.segmented'), false);
    await page.close();
  });
});

describe('Layer Profile tooltips', () => {
  async function hoverHead(page: Page): Promise<void> {
    await page.locator('canvas[data-chart="headHeatmap"]').scrollIntoViewIfNeeded();
    // Let the scroll event of scrollIntoView pass first (a scroll closes the tooltip).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const box = (await page.locator('canvas[data-chart="headHeatmap"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6 - 3, box.y + box.height * 0.35);
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.35);
    await page.waitForSelector('.tooltip:not([hidden])');
  }
  const tipHidden = (page: Page) => page.$eval('.tooltip', (el) => (el as HTMLElement).hidden);

  it('close when the pointer leaves the chart', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    await hoverHead(page);
    const box = (await page.locator('canvas[data-chart="headHeatmap"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    assert.equal(await tipHidden(page), true);
    await page.close();
  });

  it('close on scroll (page or head table)', async () => {
    const page = await openNarrow('theme=dark&scenario=corpus');
    await hoverHead(page);
    await page.evaluate(() => window.scrollBy(0, -30));
    await page.waitForFunction(() => (document.querySelector('.tooltip') as HTMLElement).hidden);
    await hoverHead(page);
    await page.evaluate(() => { (document.querySelector('.table-wrap') as HTMLElement).scrollTop = 60; });
    await page.waitForFunction(() => (document.querySelector('.tooltip') as HTMLElement).hidden);
    await page.close();
  });

  it('close when the data changes: a new profile, a toggle, a statistic, the switch, blur', async () => {
    const page = await openNarrow('theme=dark&scenario=both');
    await page.click('.segment[data-origin="corpus"]');
    await page.waitForFunction(() => document.querySelector('.segment[data-origin="corpus"]')?.getAttribute('aria-pressed') === 'true');
    const steps: [string, () => Promise<unknown>][] = [
      ['new profile', () => page.evaluate(() => window.profileHarness.send(window.profileHarness.messages('corpus')[0]))],
      ['include-first toggle', () => page.evaluate(() => (document.getElementById('include-first') as HTMLInputElement).click())],
      ['statistic', () => page.evaluate(() => { const s = document.getElementById('head-stat') as HTMLSelectElement; s.value = 'prevToken'; s.dispatchEvent(new Event('change')); })],
      ['window blur', () => page.evaluate(() => window.dispatchEvent(new Event('blur')))],
    ];
    for (const [what, act] of steps) {
      await hoverHead(page);
      await act();
      assert.equal(await tipHidden(page), true, `${what} hides the tooltip`);
    }
    // The switch: hover, then switch with the keyboard (the pointer stays on the chart).
    await hoverHead(page);
    await page.evaluate(() => (document.querySelector('.segment[data-origin="selection"]') as HTMLButtonElement).click());
    assert.equal(await tipHidden(page), true, 'switching hides the tooltip');
    await page.close();
  });
});
