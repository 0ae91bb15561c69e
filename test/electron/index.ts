// Integration tests inside a real VS Code (run by scripts/test-electron.mjs with @vscode/test-electron).
// No test framework: each case is an async function; failures are collected and make run() reject.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'attention-inspector.attention-inspector';
const COMMAND_IDS = [
  'showAttention', 'selectModel', 'downloadModel', 'clearModelCache', 'clearAttention', 'profileTexts',
  'openProfile', 'exportPng', 'exportSvg', 'exportJson', 'showLog',
].map((c) => `attentionInspector.${c}`);

async function activate(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  await ext.activate();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(200);
  }
}

const cases: Record<string, () => Promise<void>> = {
  async 'registers every command'() {
    await activate();
    const all = await vscode.commands.getCommands(true);
    for (const id of COMMAND_IDS) assert.ok(all.includes(id), `${id} is registered`);
  },

  async 'settings have their documented defaults'() {
    const c = vscode.workspace.getConfiguration('attentionInspector');
    assert.equal(c.get('model'), 'gpt2');
    assert.equal(c.get('topK'), 10);
    assert.equal(c.get('maxTokens'), 1024);
    assert.equal(c.get('decorationOpacity'), 0.6);
    assert.equal(c.get('profile.batchSize'), 64);
  },

  async 'Show Attention on a paragraph opens the panel and answers hovers (needs ATTENTION_INSPECTOR_MODEL)'() {
    const modelDir = process.env.ATTENTION_INSPECTOR_MODEL;
    if (!modelDir) {
      console.log('    (skipped: set ATTENTION_INSPECTOR_MODEL to a local GPT-2 folder)');
      return;
    }
    await vscode.workspace.getConfiguration('attentionInspector').update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    const doc = await vscode.workspace.openTextDocument({ content: 'The dog on the ship ran\n\nSecond paragraph here.' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 5, 0, 5); // empty selection: analyze the paragraph
    await vscode.commands.executeCommand('attentionInspector.showAttention');
    const hovers = await waitFor('a hover on "dog"', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 5));
      const text = h.flatMap((x) => x.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
      return text.includes('surprisal') ? text : undefined;
    });
    assert.match(hovers, /dog/);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('attentionInspector.panel')), 'the Attention panel is open');
    const far = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(2, 3));
    assert.ok(!far.some((x) => x.contents.some((c) => typeof c !== 'string' && 'value' in c && c.value.includes('surprisal'))),
      'no hover outside the analyzed paragraph');
  },
};

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    try {
      await fn();
      console.log(`  ✓ ${name}`);
    } catch (err) {
      console.log(`  ✗ ${name}\n    ${err instanceof Error ? err.stack : String(err)}`);
      failures.push(name);
    }
  }
  console.log(`${Object.keys(cases).length - failures.length} passed, ${failures.length} failed`);
  if (failures.length > 0) throw new Error(`${failures.length} integration test(s) failed`);
}
