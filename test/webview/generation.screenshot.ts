// Screenshots of the Generation tab (synthetic generation, model "test-small") for visual review:
//   node --import tsx test/webview/generation.screenshot.ts [outDir]
// (README pictures come from the workbench e2e tests, never from this synthetic harness.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildForHarness, startHarnessServer } from './server';
import { launchChromium } from './browser';
import { openGeneration, type GenShape } from './generationDriver';
import type { GenerationSettings } from '../../src/engine/generationTypes';

const sampled: GenerationSettings = { strategy: 'sample', temperature: 0.8, topK: 8, topP: 0.9, seed: 1, maxNewTokens: 20 };
interface Shot { name: string; shape: GenShape; theme: string; width: number; step?: number; head?: string }
const SHOTS: Shot[] = [
  { name: 'dark', shape: { P: 30, N: 20, L: 12, H: 12 }, theme: 'dark', width: 1400, step: 5 },
  { name: 'narrow-320', shape: { P: 30, N: 20, L: 12, H: 12 }, theme: 'dark', width: 320, step: 5 },
  { name: 'T1024', shape: { P: 1004, N: 20, L: 12, H: 12 }, theme: 'dark', width: 1400 },
  { name: 'steps1000', shape: { P: 24, N: 1000, L: 12, H: 12 }, theme: 'dark', width: 1400 },
  { name: 'light', shape: { P: 30, N: 20, L: 12, H: 12 }, theme: 'light', width: 1000, step: 3, head: '2' },
  { name: 'hc-dark', shape: { P: 30, N: 20, L: 12, H: 12 }, theme: 'hc-dark', width: 1000 },
  { name: 'hc-light', shape: { P: 30, N: 20, L: 12, H: 12 }, theme: 'hc-light', width: 1000 },
];

async function main(): Promise<void> {
  const outDir = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/generation-shots';
  fs.mkdirSync(outDir, { recursive: true });
  await buildForHarness(true);
  const server = await startHarnessServer();
  try {
    for (const shot of SHOTS) {
      const browser = await launchChromium({ width: shot.width, height: 1000 });
      const { page, errors } = await openGeneration(browser, server.url, shot.shape, sampled, { theme: shot.theme });
      if (shot.step !== undefined) {
        await page.focus('.gen-canvas');
        for (let i = 0; i < shot.shape.N - 1 - shot.step; i++) await page.keyboard.press('ArrowLeft');
      }
      await page.waitForTimeout(500);
      const file = path.join(outDir, `generation-${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      const full = path.join(outDir, `generation-${shot.name}-canvas.png`);
      await page.locator('.gen-canvas').screenshot({ path: full });
      if (errors.length) console.error(`${shot.name}:`, errors.join('\n'));
      console.log(file);
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
