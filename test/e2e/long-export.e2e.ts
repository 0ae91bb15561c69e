// Export Analysis as JSON at T ≈ 1000 on a gpt2-small-shaped (random-weight) checkpoint, in the real VS
// Code workbench (code-server, the packaged VSIX): the quick pick shows the size of each form before
// anything is written; the u8 form is written (and parsed); a full-precision export cancelled from its
// progress notification leaves neither the file nor its .partial. Also: Show Attention on an empty
// document is an information message (a user mistake), not an error with Show Log.
// The model folder is set in the Workspace settings: in code-server (a remote window) VS Code ignores a
// User-settings value of the machine-overridable attentionInspector.modelPath.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { CodeServer, Workbench, repoRoot, sleep, waitFor } from './harness';
import { GPT2_SMALL_SHAPE, TINY, writeCheckpoint } from '../fixtures/checkpoint';
import { formatBytes } from '../../src/extension/format';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const VSIX = join(repoRoot, `${pkg.name}-${pkg.version}-linux-x64.vsix`);
const CMD = { show: 'Attention Inspector: Show Attention', exportJson: 'Attention Inspector: Export Analysis as JSON…' };
/** " word" is one GPT-2 token: "word" + 999 × " word" = 1000 tokens. */
const T = 1000;
const LONG = `word${' word'.repeat(T - 1)}\n`;
const MODEL_DIR = join(repoRoot, '.cache', 'test-models', 'small-shape-random');
const TINY_DIR = join(repoRoot, '.cache', 'e2e-models', 'tiny');

let server: CodeServer;
let wb: Workbench;
let panel: Frame;

interface Toast { text: string; severity: string; buttons: string[] }

/** Notification toasts with their severity icon (info / warning / error) and buttons. */
async function toasts(): Promise<Toast[]> {
  return wb.page.locator('.notifications-toasts .notification-list-item').evaluateAll((els) => els.map((e) => {
    const icon = e.querySelector('.notification-list-item-icon');
    const cls = icon?.className ?? '';
    const severity = /codicon-error/.test(cls) ? 'error' : /codicon-warning/.test(cls) ? 'warning' : /codicon-info/.test(cls) ? 'info' : cls;
    const buttons = [...e.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => (b as HTMLElement).innerText.trim());
    return { text: (e as HTMLElement).innerText.replace(/\s+/g, ' ').trim(), severity, buttons };
  }));
}

async function onScreen(): Promise<string> {
  const header = panel ? await panel.locator('.panel-header').innerText({ timeout: 1000 }).catch(() => '?') : '(no panel)';
  return `panel header: "${header.replace(/\s+/g, ' ')}"; toasts: ${JSON.stringify(await toasts())}`;
}

/** The rows of the open quick pick as "label | description | detail", as rendered. */
async function quickPickRows(): Promise<string[]> {
  return wb.page.locator('.quick-input-widget .monaco-list-row').evaluateAll((rows) => rows.map((r) => {
    const part = (sel: string) => (r.querySelector(sel) as HTMLElement | null)?.innerText.replace(/\s+/g, ' ').trim() ?? '';
    return [part('.label-name'), part('.label-description'), part('.quick-input-list-label-meta, .quick-input-list-detail, .label-detail')].join(' | ');
  }));
}

/** Quick Open right after the workbench starts can list nothing while the file index warms up: retry. */
async function openFile(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await wb.openFile(name);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      await wb.closeQuickInput();
      await sleep(2000);
    }
  }
}

function partialFiles(): string[] {
  return readdirSync(server.workspace).filter((f) => f.endsWith('.partial'));
}

describe(`Export Analysis as JSON at T=${T} (gpt2-small shape)`, () => {
  before(async () => {
    if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\`.`);
    await writeCheckpoint(MODEL_DIR, GPT2_SMALL_SHAPE);
    await writeCheckpoint(TINY_DIR, TINY);
    server = await CodeServer.start({
      vsix: [VSIX],
      files: {
        'long.txt': LONG,
        'empty.txt': '',
        '.vscode/settings.json': JSON.stringify({ 'attentionInspector.modelPath': MODEL_DIR }),
      },
      settings: { 'attentionInspector.topK': 5 },
      env: { HF_HOME: join(MODEL_DIR, '..', 'no-hf-home') },
    });
    wb = await Workbench.open(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  test('Show Attention on an empty document is an information message without Show Log', async () => {
    await openFile('empty.txt');
    await wb.runCommand(CMD.show);
    const toast = await waitFor(async () => (await toasts()).find((t) => /Nothing to analyze: the document is empty/.test(t.text)), 30_000,
      async () => `No "document is empty" message; ${await onScreen()}`);
    assert.equal(toast.severity, 'info', `a user mistake is information, not ${toast.severity}: ${JSON.stringify(toast)}`);
    assert.ok(!toast.buttons.includes('Show Log'), `no Show Log button: ${JSON.stringify(toast)}`);
    assert.ok(!/failed/i.test(toast.text), toast.text);
  });

  test(`Show Attention on ${T} tokens`, async (t) => {
    const t0 = Date.now();
    await openFile('long.txt');
    await wb.focusEditor();
    await wb.page.keyboard.press('Control+A');
    await wb.runCommand(CMD.show);
    panel = await wb.getWebviewFrame('Attention', 60_000);
    // The token-count badge (not the progress line, which also names the token count while the model runs).
    await waitFor(async () => new RegExp(`^${T} tokens$`).test((await panel.locator('.panel-header vscode-badge').first().innerText().catch(() => '')).trim()), 120_000,
    async () => `The panel does not show ${T} tokens; ${await onScreen()}\n${server.extensionHostLog().slice(-1500)}`);
    t.diagnostic(`load + analysis of ${T} tokens in ${Date.now() - t0} ms`);
  });

  let shownSizes: Record<string, string> = {};

  test('the export quick pick shows the size of each form; the u8 form is written and parses', async (t) => {
    await wb.runCommand(CMD.exportJson);
    // The pick opens at once (busy while the worker measures each form), then lists the five forms.
    await waitFor(async () => (await quickPickRows()).filter((r) => /^(Full precision|Attention as|One layer|No attention)/.test(r)).length === 5,
      60_000, async () => `No export choices; rows ${JSON.stringify(await quickPickRows())}`);
    const rows = await quickPickRows();
    t.diagnostic(rows.join('\n'));
    const size = (label: RegExp) => {
      const row = rows.find((r) => label.test(r));
      assert.ok(row, `no row ${label} in ${JSON.stringify(rows)}`);
      const m = row.split(' | ')[1].match(/^(≈ )?\d+(\.\d)? (B|KB|MB|GB)/);
      assert.ok(m, `row without a size: ${row}`);
      return m[0];
    };
    shownSizes = {
      full: size(/^Full precision/), f16: size(/^Attention as float16/), u8: size(/^Attention as 8-bit/),
      layer: size(/^One layer/), none: size(/^No attention/),
    };
    assert.match(shownSizes.full, /^≈ \d+(\.\d)? (GB|MB)$/, 'the decimal form is an estimate');
    const mb = (s: string) => {
      const [, n, unit] = s.match(/([\d.]+) (B|KB|MB|GB)/)!;
      return Number(n) * { B: 2 ** -20, KB: 2 ** -10, MB: 1, GB: 1024 }[unit as 'B'];
    };
    assert.ok(mb(shownSizes.full) > 600, `full precision at T=${T} on 12×12 heads is large: ${shownSizes.full}`);
    assert.ok(mb(shownSizes.u8) < mb(shownSizes.f16) && mb(shownSizes.f16) < mb(shownSizes.full) / 3, JSON.stringify(shownSizes));
    assert.ok(mb(shownSizes.none) < 5, JSON.stringify(shownSizes));
    await wb.screenshot('export-sizes');
    await wb.pickQuickPickItem(/^Attention as 8-bit/);
    const target = join(server.workspace, 'long-u8.json');
    const t0 = Date.now();
    await wb.answerFileDialog(target);
    await wb.waitForNotification(/Exported .*long-u8\.json/, 60_000);
    t.diagnostic(`u8 export written in ${Date.now() - t0} ms`);
    const bytes = statSync(target).size;
    assert.equal(formatBytes(bytes), shownSizes.u8, 'the file has the size the quick pick announced');
    const json = JSON.parse(readFileSync(target, 'utf8')) as {
      model: { layers: number; heads: number }; tokens: unknown[]; attentionFormat: { encoding: string; layers: number[] };
      attentions: string[][]; topk: unknown[][];
    };
    assert.equal(json.tokens.length, T);
    assert.deepEqual(json.attentionFormat.encoding, 'u8');
    assert.equal(json.attentions.length, GPT2_SMALL_SHAPE.n_layer);
    assert.equal(json.attentions[11].length, GPT2_SMALL_SHAPE.n_head);
    const head = Buffer.from(json.attentions[11][11], 'base64');
    assert.equal(head.length, (T * (T + 1)) / 2);
    // Row q of the triangle holds q+1 weights that sum to ~1 (each rounded to 1/255).
    const q = T - 1;
    const row = head.subarray((q * (q + 1)) / 2, (q * (q + 1)) / 2 + q + 1);
    const sum = row.reduce((s, v) => s + v, 0) / 255;
    assert.ok(Math.abs(sum - 1) < (q + 1) / 510 + 1e-6, `row ${q} sums to ${sum}`);
    assert.equal(json.topk.length, T);
    assert.deepEqual(partialFiles(), []);
  });

  test('cancelling a full-precision export leaves no file and no .partial', async () => {
    await wb.runCommand(CMD.exportJson);
    await wb.pickQuickPickItem(/^Full precision/);
    const target = join(server.workspace, 'long-full.json');
    await wb.answerFileDialog(target);
    const toast = wb.page.locator('.notifications-toasts .notification-list-item').filter({ hasText: /Exporting analysis JSON/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    const progress = await waitFor(async () => {
      const text = (await toast.innerText()).replace(/\s+/g, ' ');
      const m = text.match(/(\d+)% · [\d.]+ (B|KB|MB|GB) of [\d.]+ (MB|GB)/);
      return m && Number(m[1]) >= 1 ? text : undefined;
    }, 60_000, async () => `No percent progress in the export notification; ${await onScreen()}`);
    assert.match(progress, /full precision/);
    await waitFor(() => partialFiles().length === 1 ? true : undefined, 10_000, () => `No .partial while writing: ${readdirSync(server.workspace)}`);
    assert.ok(!existsSync(target), 'nothing under the final name while writing');
    await wb.screenshot('export-progress');
    await toast.hover();
    await toast.locator('.monaco-button, .action-label').filter({ hasText: 'Cancel' }).first().click({ timeout: 10_000 });
    const cancelled = await waitFor(async () => (await toasts()).find((t) => /Export cancelled/.test(t.text)), 30_000,
      async () => `No cancel message; ${await onScreen()}`);
    assert.equal(cancelled.severity, 'info');
    await waitFor(() => partialFiles().length === 0 ? true : undefined, 10_000, () => `The .partial is left: ${readdirSync(server.workspace)}`);
    assert.ok(!existsSync(target), `${target} exists after the cancel`);
    assert.ok(!(await toasts()).some((t) => t.severity === 'error'), `a cancel is not an error: ${JSON.stringify(await toasts())}`);
  });

  test('a modelPath in the User settings, ignored by this remote window, is detected and can be set where it applies', async () => {
    // The Workspace setting goes; the User settings get a model folder, which code-server does not apply.
    writeFileSync(join(server.workspace, '.vscode', 'settings.json'), '{}');
    const userFile = join(server.userDataDir, 'User', 'settings.json');
    const user = JSON.parse(readFileSync(userFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(userFile, JSON.stringify({ ...user, 'attentionInspector.modelPath': TINY_DIR }, null, 2));
    const status = async () => (await wb.page.locator('.part.statusbar .statusbar-item').allInnerTexts()).map((x) => x.trim());
    await waitFor(async () => (await status()).some((x) => /^gpt2\b/.test(x)), 30_000,
      async () => `The status bar does not show the hub model after the settings change: ${JSON.stringify(await status())}`);
    await openFile('empty.txt');
    await wb.page.keyboard.type('The dog on the ship ran');
    await wb.runCommand(CMD.show);
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 }).catch(async () => {
      throw new Error(`No dialog about the ignored User setting; ${await onScreen()}`);
    });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /not in effect/);
    assert.match(text, /User settings/);
    assert.match(text, /Remote settings/);
    assert.ok(text.includes(TINY_DIR), text);
    await wb.screenshot('ignored-model-path');
    await dialog.locator('.monaco-button').filter({ hasText: 'Use It in This Window' }).click();
    await waitFor(async () => (await panel.locator('.token-strip .token').count()) === 6, 60_000,
      async () => `The tiny model's analysis is not shown; ${await onScreen()}`);
    const remote = readFileSync(join(server.userDataDir, 'Machine', 'settings.json'), 'utf8');
    assert.equal((JSON.parse(remote) as Record<string, unknown>)['attentionInspector.modelPath'], TINY_DIR, remote);
    assert.ok(!(await toasts()).some((t) => t.severity === 'error'), JSON.stringify(await toasts()));
  });
});
