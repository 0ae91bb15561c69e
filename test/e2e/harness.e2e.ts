// Self-test of the e2e harness against a probe extension written to a temp folder at run time:
// if this passes and showAttention.e2e.ts fails, the product is at fault, not the harness.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeServer, Workbench, markedProcesses } from './harness';

const PROBE_MANIFEST = {
  name: 'probe', publisher: 'e2e', version: '0.0.1', engines: { vscode: '^1.90.0' }, main: './extension.js',
  activationEvents: ['onStartupFinished'],
  contributes: { commands: [{ command: 'probe.show', title: 'Show Webview', category: 'E2E Probe' }] },
};

const PROBE_SOURCE = `
const vscode = require('vscode');
exports.activate = (context) => {
  const deco = vscode.window.createTextEditorDecorationType({ backgroundColor: 'rgba(255, 0, 0, 0.5)' });
  context.subscriptions.push(deco, vscode.commands.registerCommand('probe.show', () => {
    const editor = vscode.window.activeTextEditor;
    const selected = editor ? editor.document.getText(editor.selection) : '';
    if (editor) editor.setDecorations(deco, [editor.selection]);
    const panel = vscode.window.createWebviewPanel('probe', 'E2E Probe', vscode.ViewColumn.Beside, { enableScripts: true });
    panel.webview.html = '<!doctype html><html><body><h1 id="sel">' + selected.replace(/[<&]/g, '') + '</h1>' +
      '<canvas id="c" width="120" height="80"></canvas><script>const g = document.getElementById("c").getContext("2d");' +
      'g.fillStyle = "#fff"; g.fillRect(0, 0, 120, 80); g.fillStyle = "#c00"; g.fillRect(10, 10, 50, 30);</script></body></html>';
  }));
  context.subscriptions.push(vscode.languages.registerHoverProvider({ scheme: 'file' }, {
    provideHover(doc, pos) {
      const range = doc.getWordRangeAtPosition(pos);
      return range ? new vscode.Hover('PROBE-HOVER ' + doc.getText(range).toUpperCase()) : undefined;
    },
  }));
};
`;

let extDir: string;
let server: CodeServer;
let wb: Workbench;

before(async () => {
  extDir = mkdtempSync(join(tmpdir(), 'ai-e2e-probe-'));
  mkdirSync(extDir, { recursive: true });
  writeFileSync(join(extDir, 'package.json'), JSON.stringify(PROBE_MANIFEST));
  writeFileSync(join(extDir, 'extension.js'), PROBE_SOURCE);
  server = await CodeServer.start({
    extensions: [extDir],
    files: { 'notes.txt': 'The dog on the ship ran\nsecond line here\nthird line\n' },
  });
  wb = await Workbench.open(server);
});

after(async () => {
  await wb?.close();
  await server?.stop();
  if (extDir) rmSync(extDir, { recursive: true, force: true });
});

test('harness: open a file, select text, run a command, read the webview and its canvas', async (t) => {
  t.diagnostic(`code-server HTTP ready in ${server.timings.httpReadyMs} ms, workbench in ${wb.timings.workbenchReadyMs} ms`);
  await wb.openFile('notes.txt');
  await wb.selectText('on the ship');
  await wb.runCommand('E2E Probe: Show Webview');
  const frame = await wb.getWebviewFrame('E2E Probe');
  assert.equal(await frame.locator('#sel').innerText(), 'on the ship');
  assert.ok(await Workbench.canvasIsNonBlank(frame, '#c'), 'probe canvas should have drawn pixels');
  const [stats] = await Workbench.canvasStats(frame, '#c');
  assert.equal(stats.nonBackground, 50 * 30);
});

test('harness: decorations, hover and line selection in the editor', async () => {
  await wb.openFile('notes.txt');
  const decorated = await wb.decorations();
  assert.ok(decorated.some((d) => /rgba?\(255, 0, 0/.test(d.background)), `red decoration expected: ${JSON.stringify(decorated)}`);
  const hover = await wb.hoverAt('ship', 0, /PROBE-HOVER/);
  assert.match(hover, /PROBE-HOVER SHIP/);
  await wb.selectLines(2, 3);
  assert.match(await wb.selectionStatus(), /\(27 selected\)/);
  await wb.screenshot('harness-probe', server.scratch('shots'));
});

test('harness: a missing command fails with a clear message', async () => {
  await assert.rejects(wb.runCommand('E2E Probe: No Such Command', 3000), /Command "E2E Probe: No Such Command" is not listed/);
});

test('harness: stop() leaves no process behind', async () => {
  const probeServer = await CodeServer.start({ extensions: [extDir] });
  try {
    const probeWb = await Workbench.open(probeServer);
    assert.ok(markedProcesses(probeServer.runId).length >= 3, 'code-server, its extension host and chromium carry the run marker');
    await probeWb.close();
  } finally {
    await probeServer.stop();
  }
  assert.deepEqual(markedProcesses(probeServer.runId), []);
});
