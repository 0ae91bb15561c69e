// Browser entry of the Layer Profile harness page (bundled to dist/test/profile-harness.js and loaded BEFORE
// dist/webview/profile.js). It installs a mocked acquireVsCodeApi that records posted messages, applies a
// VS Code theme (Dark Modern, Light Modern, High Contrast, High Contrast Light: test/webview/themes.ts), and answers `ready` with a scenario:
//   profile-harness.html?theme=dark|light|hc-dark|hc-light&scenario=corpus|selection|empty|progress|partial|error
import type { FromProfileMessage, ToProfileMessage } from '../../src/protocol';
import { syntheticProfileResult, syntheticSelectionResult } from './profile-harness.data';
import { applyTheme, themeName } from './themes';

/** Like VS Code: variables on <html style>, theme classes on <body> (shared with the panel harness). */
function applyNamedTheme(name: string | null): void {
  applyTheme(themeName(name));
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
applyNamedTheme(params.get('theme'));
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
