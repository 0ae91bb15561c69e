// Generation in the real VS Code workbench (code-server, the packaged VSIX, a local random-weight model
// "test-small" large enough for the key/value cache to matter): Generate From Selection with 10 tokens that
// stream into the Generation tab, the step scrubber at step 5 with its attention strip drawn, Insert into
// Editor as one undo step, Compare cache with a speed-up, Open as analysis, and Live mode redrawing after
// typing at the end of the analyzed text. The tests run in order and share one workbench.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, sleep, waitFor } from './harness';
import { writeCheckpoint } from '../fixtures/checkpoint';
import { startHubServer, type HubServer } from '../fixtures/hubServer';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = { generate: 'Attention Inspector: Generate From Selection', show: 'Attention Inspector: Show Attention' };
const PROMPT = 'The captain shouted at the crew while the storm came over the harbor, and the old motor of the ship stopped twice before the morning light reached the deck where everyone waited in silence for the wind to turn';
const LIVE = 'A bird sang in the tree';
const NOTES = `${PROMPT}\n\n${LIVE}\n`;

let modelDir: string;
let hub: HubServer;
let server: CodeServer;
let wb: Workbench;
let panel: Frame;

async function editorText(): Promise<string> {
  return (await wb.activeEditor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

async function status(): Promise<string> {
  return (await panel.locator('.gen-status').innerText().catch(() => '(no status)')).trim();
}

async function onScreen(): Promise<string> {
  return `generation status: "${await status()}"; notifications: ${JSON.stringify(await wb.notifications())}\n${server.extensionHostLog().slice(-2000)}`;
}

describe('Generation in the VS Code workbench', () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run test:e2e does).`);
    modelDir = mkdtempSync(join(tmpdir(), 'ai-e2e-gen-model-'));
    const dir = await writeCheckpoint(join(modelDir, 'test-small'), { n_layer: 4, n_head: 4, n_embd: 256, n_positions: 512, seed: 21 });
    // served by a local fake hub as the repository "test/small"
    hub = await startHubServer({
      'test/small/config.json': join(dir, 'config.json'),
      'test/small/tokenizer.json': join(dir, 'tokenizer.json'),
      'test/small/model.safetensors': join(dir, 'model.safetensors'),
    });
    server = await CodeServer.start({
      vsix: [VSIX],
      files: { 'notes.txt': NOTES },
      env: { HF_HOME: join(modelDir, 'empty-hf-home'), HF_ENDPOINT: hub.url },
      settings: {
        'attentionInspector.model': 'test/small',
        'attentionInspector.hubEndpoint': hub.url,
        'attentionInspector.topK': 5,
        'attentionInspector.generate.maxNewTokens': 10,
      },
    });
    wb = await Workbench.open(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await hub?.close();
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  });

  test('Generate From Selection streams 10 tokens into the Generation tab', async (t) => {
    // Quick Open's file index can lag on a loaded machine: one retry
    await wb.openFile('notes.txt').catch(async () => {
      await wb.closeQuickInput();
      await sleep(3000);
      await wb.openFile('notes.txt');
    });
    await wb.selectText(PROMPT);
    await wb.runCommand(CMD.generate);
    panel = await wb.getWebviewFrame('Attention', 60_000);
    await waitFor(async () => /^10 tokens/.test(await status()), 120_000, async () => `No finished generation. ${await onScreen()}`);
    assert.equal(await panel.locator('vscode-tab-header[data-tab="generation"]').getAttribute('aria-selected'), 'true');
    // Regenerate with the panel open and record the messages the tab receives: one per token, before the end
    await panel.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __seen: string[] }).__seen = seen;
      window.addEventListener('message', (e: MessageEvent) => {
        const m = e.data as { type?: string; run?: number };
        if (typeof m?.type === 'string' && m.type.startsWith('generation')) seen.push(`${m.type}:${m.run}`);
      });
    });
    await panel.locator('vscode-button', { hasText: 'Regenerate' }).click();
    const seen = await waitFor(async () => {
      const s = await panel.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
      return s.some((m) => m.startsWith('generationEnd')) ? s : undefined;
    }, 60_000, async () => `The regenerated text did not finish. ${await onScreen()}`);
    t.diagnostic(`messages: ${seen.join(' ')}`);
    const run = seen[0].split(':')[1];
    assert.deepEqual(seen, [`generationStart:${run}`, ...Array(10).fill(`generationStep:${run}`), `generationEnd:${run}`], 'start, one message per token as it is produced, end');
    await waitFor(async () => /^10 tokens/.test(await status()) && (await panel.locator('.gen-token').count()) === 10, 10_000,
      async () => `The tab does not show the 10 regenerated tokens. ${await onScreen()}`);
    assert.match(await status(), /reached the maximum of new tokens; [\d.]+ ms per token with the cache/);
  });

  test('the scrubber at step 5 draws the attention strip', async () => {
    await panel.locator('.gen-slider').focus();
    await panel.locator('.gen-slider').press('Home');
    for (let i = 0; i < 4; i++) await panel.locator('.gen-slider').press('ArrowRight');
    await waitFor(async () => /Step 5 of 10/.test(await panel.locator('.gen-step-label').innerText()), 10_000,
      async () => `The step label says "${await panel.locator('.gen-step-label').innerText()}"`);
    await waitFor(async () => /^Step 5 of 10/.test((await panel.locator('canvas.gen-canvas').getAttribute('aria-label')) ?? ''), 10_000,
      async () => `The canvas describes "${await panel.locator('canvas.gen-canvas').getAttribute('aria-label')}"`);
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.gen-canvas', 0.05), 20_000,
      async () => `The step picture is blank: ${JSON.stringify(await Workbench.canvasStats(panel, 'canvas.gen-canvas'))}`);
    await wb.screenshot('generation');
  });

  test('Insert into Editor puts the text after the selection as one undo step', async () => {
    const before = await editorText();
    await panel.locator('vscode-button', { hasText: 'Insert into Editor' }).click();
    await waitFor(async () => (await editorText()).length > before.length, 15_000, async () => `Nothing was inserted. ${await onScreen()}`);
    const after = await editorText();
    const inserted = after.slice(after.indexOf(PROMPT) + PROMPT.length).split('\n')[0];
    assert.ok(inserted.length > 0, 'generated text follows the prompt on its line');
    await waitFor(async () => /inserted/.test(await status()), 10_000, async () => `The tab does not say "inserted": "${await status()}"`);
    // click into the text so the editor (not the panel) has the keyboard
    const box = await wb.textBox('A bird');
    await wb.page.mouse.click(box.x + 2, box.y + box.height / 2);
    await wb.page.keyboard.press('Control+Z');
    await waitFor(async () => (await editorText()) === before, 10_000, async () => `One undo did not remove the whole insertion: "${await editorText()}"`);
    await wb.page.keyboard.press('Control+Shift+Z');
    await waitFor(async () => (await editorText()) === after, 10_000, async () => `Redo did not restore it: "${await editorText()}"`);
  });

  test('Compare cache shows ms per token with and without the cache and a speed-up', async (t) => {
    await panel.locator('vscode-button', { hasText: 'Compare cache' }).click();
    const text = await waitFor(async () => {
      const s = await panel.locator('.gen-comparison').innerText().catch(() => '');
      return /faster/.test(s) ? s : undefined;
    }, 120_000, async () => `No comparison shown: "${await panel.locator('.gen-comparison').innerText().catch(() => '')}". ${await onScreen()}`);
    t.diagnostic(text);
    const m = /With the cache ([\d.]+) ms per token, without it ([\d.]+) ms: ([\d.]+)× faster; (the tokens are identical|the tokens differ)/.exec(text);
    assert.ok(m, `comparison text: ${text}`);
    assert.ok(Number(m[3]) > 1, `a speed-up: ${text}`);
  });

  test('Open as analysis shows prompt + generated text in the other views without a new run', async () => {
    await panel.locator('vscode-button', { hasText: 'Open as analysis' }).click();
    await waitFor(async () => /(\d+) tokens/.test(await panel.locator('.panel-header vscode-badge').innerText().catch(() => '')), 20_000,
      async () => `No analysis header. ${await onScreen()}`);
    await panel.locator('vscode-tab-header[data-tab="head"]').click();
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.head-canvas'), 30_000, () => 'The head view of the generated text is blank');
    const n = Number(/(\d+) tokens/.exec(await panel.locator('.panel-header vscode-badge').innerText())![1]);
    assert.ok(n > 10, `prompt + 10 generated tokens, got ${n}`);
    assert.match(server.extensionHostLog(), /Generated 10 tokens/);
  });

  test('Live mode re-analyzes after typing at the end of the analyzed text, running only the new tokens', async (t) => {
    await wb.openFile('notes.txt');
    await wb.selectText(LIVE);
    await wb.runCommand(CMD.show);
    const count = async () => panel.locator('.token-strip .token').count();
    await waitFor(async () => (await count()) === 6, 60_000, async () => `Show Attention did not show the 6 tokens (${await count()}). ${await onScreen()}`);
    await panel.locator('.panel-header vscode-checkbox', { hasText: 'Live' }).click();
    await waitFor(() => /Live mode on/.test(server.extensionHostLog()), 10_000, () => 'Live mode did not turn on');
    // the cursor at the end of the analyzed text, then type
    await wb.selectText(LIVE);
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.type(' and the cat listened');
    await waitFor(async () => (await count()) === 10, 30_000, async () => `The panel did not redraw with the new tokens (${await count()} tokens). ${await onScreen()}`);
    const updates = await waitFor(() => {
      const lines = server.extensionHostLog().split('\n').filter((l) => l.includes('Live update:'));
      return lines.some((l) => /from the cache/.test(l)) ? lines : undefined;
    }, 10_000, () => `No incremental live update in the log:\n${server.extensionHostLog().slice(-1500)}`);
    t.diagnostic(updates.map((l) => l.replace(/^.*Live update: /, '')).join('; '));
    // typing mid-word retokenizes the last word: each update re-runs from the first changed token, never all of them
    for (const l of updates) assert.match(l, /Live update: \d+ tokens run, \d+ from the cache/, l);
    await waitFor(() => Workbench.canvasIsNonBlank(panel, 'canvas.head-canvas'), 30_000, () => 'The head view is blank after the live update');
    await sleep(200);
    await wb.screenshot('live');
  });
});
