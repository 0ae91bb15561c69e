// The panel's progress row while Show Attention runs (webview harness in headless chromium): phase text,
// the elapsed time ticking from the host's figure, Cancel posting `cancelAnalysis`, `progressEnd` hiding
// the row while the previous analysis stays, and the row fitting a 320 px panel. Also formatElapsed.
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { FromPanelMessage } from '../src/protocol';
import { formatElapsed } from '../webview/panel/header';
import { buildForHarness, startHarnessServer, type HarnessServer } from './webview/server';
import { launchChromium, openHarness, type Browser } from './webview/browser';

let server: HarnessServer | undefined;
let browser: Browser | undefined;
const SHOTS = process.env.PANEL_PROGRESS_SHOTS; // a folder: also save screenshots there

before(async () => {
  await buildForHarness();
  server = await startHarnessServer();
  browser = await launchChromium({ width: 320, height: 700 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const posted = (page: Page) => page.evaluate(() => window.__harness.posted as FromPanelMessage[]);
const elapsedText = (page: Page) => page.locator('.progress-elapsed').innerText();

test('formatElapsed: seconds, then m:ss, then h:mm:ss', () => {
  assert.equal(formatElapsed(0), '0 s');
  assert.equal(formatElapsed(59_999), '59 s');
  assert.equal(formatElapsed(65_000), '1:05');
  assert.equal(formatElapsed(3_723_000), '1:02:03');
  assert.equal(formatElapsed(-5), '0 s');
});

test('progress row: phase, ticking elapsed time, Cancel, then progressEnd keeps the analysis (T=1024, 320 px)', async () => {
  const { page, errors } = await openHarness(browser!, server!.url, { T: 1024, L: 12, H: 12, theme: 'dark', tab: 'head', seed: 2 });
  await page.waitForFunction(() => performance.getEntriesByName('attention-panel:head:firstPaint').length > 0, undefined, { timeout: 60_000 });
  assert.equal(await page.isVisible('div.progress'), false, 'no progress row while idle');

  await page.evaluate(() => window.__harness.send({ type: 'progress', message: 'Running test-small on 1,024 tokens…', phase: 'running', elapsedMs: 4200, cancellable: true }));
  await page.waitForSelector('div.progress:has-text("Running test-small on 1,024 tokens")', { state: 'visible' });
  assert.equal(await elapsedText(page), '4 s');
  await page.waitForFunction(() => document.querySelector('.progress-elapsed')?.textContent === '5 s', undefined, { timeout: 3000 });
  const cancel = page.locator('div.progress vscode-button:has-text("Cancel")');
  assert.ok(await cancel.isVisible(), 'Cancel is shown for a cancellable run');

  // Everything on the row stays inside the 320 px panel.
  const boxes = await page.$$eval('div.progress > *', (els) => els.map((e) => e.getBoundingClientRect().right));
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  for (const right of boxes) assert.ok(right <= width + 0.5, `progress row overflows: ${right} > ${width}`);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/panel-progress-320.png` });

  // A new phase restarts nothing: the host's elapsed time is the clock.
  await page.evaluate(() => window.__harness.send({ type: 'progress', message: 'Preparing the views of 1,024 tokens…', phase: 'preparing', elapsedMs: 61_000, cancellable: true }));
  await page.waitForSelector('div.progress:has-text("Preparing the views")');
  assert.equal(await elapsedText(page), '1:01');

  // Keyboard: the button is reachable and Enter activates it (vscode-button).
  const since = (await posted(page)).length;
  await cancel.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => window.__harness.posted.slice(n).some((m) => m.type === 'cancelAnalysis'), since);
  // The panel does not wait for the host: the row goes at once and says so.
  assert.equal(await page.isVisible('div.progress'), false, 'Cancel hides the progress row at once');
  assert.match(await page.textContent('.progress-done') ?? '', /Cancelling/);
  // Clicking works too (a second run's Cancel).
  await page.evaluate(() => window.__harness.send({ type: 'progress', message: 'Running test-small on 1,024 tokens…', phase: 'running', elapsedMs: 0, cancellable: true }));
  await cancel.waitFor({ state: 'visible' });
  const since2 = (await posted(page)).length;
  await cancel.click();
  await page.waitForFunction((n) => window.__harness.posted.slice(n).some((m) => m.type === 'cancelAnalysis'), since2);

  await page.evaluate(() => window.__harness.send({ type: 'progressEnd', message: 'Analysis cancelled; the previous analysis is still shown.' }));
  await page.waitForSelector('div.progress', { state: 'hidden' });
  await page.waitForSelector('.progress-done:has-text("Analysis cancelled")', { state: 'visible' });
  assert.match(await page.textContent('.title-row') ?? '', /1024 tokens/, 'the previous analysis is still shown');
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/panel-cancelled-320.png` });

  // A progress message without elapsed time or Cancel (e.g. from another feature) shows neither.
  await page.evaluate(() => window.__harness.send({ type: 'progress', message: 'Working…' }));
  await page.waitForSelector('div.progress:has-text("Working")', { state: 'visible' });
  assert.equal(await cancel.isVisible(), false);
  assert.equal(await elapsedText(page), '');
  assert.equal(await page.isVisible('.progress-done'), false, 'a new run hides the cancelled note');

  assert.deepEqual(errors, [], 'no page errors');
  await page.close();
});
