// Browser entry of the Layer Profile harness page (bundled to dist/test/profile-harness.js and loaded BEFORE
// dist/webview/profile.js). It installs a mocked acquireVsCodeApi that records posted messages, applies a
// VS Code theme (Dark Modern / Light Modern variables), and answers `ready` with a scenario:
//   profile-harness.html?theme=dark|light&scenario=corpus|selection|empty|progress|partial|error
import type { FromProfileMessage, ToProfileMessage } from '../../src/protocol';
import { syntheticProfileResult, syntheticSelectionResult } from './profile-harness.data';

const DARK_MODERN: Record<string, string> = {
  'foreground': '#cccccc', 'descriptionForeground': '#9d9d9d', 'errorForeground': '#f85149',
  'focusBorder': '#0078d4', 'widget-border': '#313131', 'widget-shadow': 'rgba(0, 0, 0, 0.36)',
  'sideBar-background': '#181818', 'editor-background': '#1f1f1f', 'sideBarSectionHeader-border': '#2b2b2b',
  'sideBarSectionHeader-foreground': '#cccccc', 'panel-border': '#2b2b2b',
  'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
  'button-border': 'rgba(255, 255, 255, 0.07)', 'button-secondaryBackground': '#313131',
  'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
  'checkbox-selectBackground': '#0078d4',
  'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c',
  'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
  'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'editorWarning-foreground': '#cca700',
  'progressBar-background': '#0078d4', 'editorWidget-background': '#202020', 'editorWidget-border': '#454545',
  'editorHoverWidget-background': '#202020', 'editorHoverWidget-foreground': '#cccccc', 'editorHoverWidget-border': '#454545',
  'list-hoverBackground': '#2a2d2e', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff',
  'list-inactiveSelectionBackground': '#37373d', 'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
  'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
  'charts-foreground': '#cccccc', 'charts-lines': 'rgba(204, 204, 204, 0.5)', 'charts-red': '#f14c4c',
  'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-green': '#89d185',
  'charts-purple': '#b180d7',
};

const LIGHT_MODERN: Record<string, string> = {
  'foreground': '#3b3b3b', 'descriptionForeground': '#3b3b3b', 'errorForeground': '#f85149',
  'focusBorder': '#005fb8', 'widget-border': '#e5e5e5', 'widget-shadow': 'rgba(0, 0, 0, 0.16)',
  'sideBar-background': '#f8f8f8', 'editor-background': '#ffffff', 'sideBarSectionHeader-border': '#e5e5e5',
  'sideBarSectionHeader-foreground': '#3b3b3b', 'panel-border': '#e5e5e5',
  'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
  'button-border': 'rgba(0, 0, 0, 0.1)', 'button-secondaryBackground': '#e5e5e5',
  'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
  'checkbox-selectBackground': '#005fb8',
  'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece',
  'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
  'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'editorWarning-foreground': '#bf8803',
  'progressBar-background': '#005fb8', 'editorWidget-background': '#f8f8f8', 'editorWidget-border': '#c8c8c8',
  'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-foreground': '#3b3b3b', 'editorHoverWidget-border': '#c8c8c8',
  'list-hoverBackground': '#f2f2f2', 'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000',
  'list-inactiveSelectionBackground': '#e4e6f1', 'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
  'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100',
  'charts-foreground': '#616161', 'charts-lines': 'rgba(97, 97, 97, 0.5)', 'charts-red': '#e51400',
  'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-green': '#388a34',
  'charts-purple': '#652d90',
};

/** Like VS Code: variables on <html style>, a theme class on <body>. */
function applyTheme(name: string): void {
  const vars = name === 'light' ? LIGHT_MODERN : DARK_MODERN;
  const root = document.documentElement;
  for (const [k, v] of Object.entries(vars)) root.style.setProperty(`--vscode-${k}`, v);
  root.style.setProperty('--vscode-font-family', '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif');
  root.style.setProperty('--vscode-font-size', '13px');
  document.body.className = name === 'light' ? 'vscode-light' : 'vscode-dark';
  document.body.dataset.vscodeThemeKind = name === 'light' ? 'vscode-light' : 'vscode-dark';
}

function scenarioMessages(scenario: string): ToProfileMessage[] {
  const corpus = (): ToProfileMessage => ({ type: 'profile', result: syntheticProfileResult(), origin: 'corpus', title: 'Profile of 64 reviews' });
  switch (scenario) {
    case 'selection':
      return [{ type: 'profile', result: syntheticSelectionResult(), origin: 'selection', title: 'Selection in notes.md' }];
    case 'empty':
      return [{ type: 'empty', message: 'No layer profile yet.' }];
    case 'progress':
      return [{ type: 'progress', done: 0, total: 64, message: 'Loading gpt2…' }];
    case 'partial':
      return [
        { type: 'profile', result: syntheticProfileResult({ sequences: 24, complete: false }), origin: 'corpus', title: 'Profile of 64 reviews', running: true },
        { type: 'progress', done: 24, total: 64, etaSeconds: 75, message: 'Batch 3 of 8' },
      ];
    case 'error':
      return [corpus(), { type: 'error', message: 'Profile failed: the model folder has no tokenizer.json.' }];
    default:
      return [corpus()];
  }
}

interface HarnessApi {
  /** Messages the view posted to the host. */
  posted: FromProfileMessage[];
  /** Messages the harness sent to the view. */
  sent: ToProfileMessage[];
  send(message: ToProfileMessage): void;
  messages(scenario: string): ToProfileMessage[];
}

declare global {
  interface Window { profileHarness: HarnessApi }
}

interface MockVsCodeApi {
  postMessage(message: FromProfileMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

const params = new URLSearchParams(location.search);
applyTheme(params.get('theme') ?? 'dark');
const scenario = params.get('scenario') ?? 'corpus';
const STATE_KEY = 'profile-harness-state';
const send = (message: ToProfileMessage) => {
  window.profileHarness.sent.push(message);
  window.postMessage(message, '*');
};

window.profileHarness = { posted: [], sent: [], send, messages: scenarioMessages };
let acquired = false;
(window as unknown as { acquireVsCodeApi: () => MockVsCodeApi }).acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi may only be called once');
  acquired = true;
  return {
    postMessage(message: FromProfileMessage) {
      window.profileHarness.posted.push(JSON.parse(JSON.stringify(message)) as FromProfileMessage);
      if (message.type === 'ready') for (const m of scenarioMessages(scenario)) send(m);
    },
    getState: () => JSON.parse(sessionStorage.getItem(STATE_KEY) ?? 'null') as unknown,
    setState: (s: unknown) => sessionStorage.setItem(STATE_KEY, JSON.stringify(s)),
  };
};
