// Entry of the "Show Attention" panel webview (bundled to dist/webview/panel.js).
// Only the vscode-elements components we use are imported.
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { PanelApp } from './app';
import { connectToHost } from './vscodeApi';

function main(): void {
  const root = document.getElementById('root') ?? document.body;
  const host = connectToHost();
  const app = new PanelApp(host, root);
  app.start();
}

main();
