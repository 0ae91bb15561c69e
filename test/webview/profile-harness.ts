// Browser entry of the Layer Profile harness page (bundled to dist/test/profile-harness.js and loaded BEFORE
// dist/webview/profile.js). It installs a mocked acquireVsCodeApi that records posted messages, applies a
// VS Code theme (Dark Modern, Light Modern, High Contrast, High Contrast Light: test/webview/themes.ts), and answers `ready` with a scenario:
//   profile-harness.html?theme=dark|light|hc-dark|hc-light&scenario=corpus|selection|both|long|deep|empty|progress|partial|error
// (`both`: the host holds a selection and a corpus result and answers showProfile like the real one).
import type { FromProfileMessage, ToProfileMessage } from '../../src/protocol';
import { syntheticProfileResult, syntheticSelectionResult } from './profile-harness.data';
import { applyTheme, themeName } from './themes';

/** Like VS Code: variables on <html style>, theme classes on <body> (shared with the panel harness). */
function applyNamedTheme(name: string | null): void {
  applyTheme(themeName(name));
}

const CORPUS_TITLE = 'synthetic-corpus.jsonl (field text)';
const SELECTION_TITLE = 'synthetic-notes.md (selection)';

/** The mocked host's held results (like src/extension/profileHeld.ts): showProfile switches between them. */
const held: Partial<Record<'selection' | 'corpus', Extract<ToProfileMessage, { type: 'profile' }>>> = {};

function heldMessage(origin: 'selection' | 'corpus'): ToProfileMessage {
  const m = held[origin]!;
  return { ...m, held: { selection: held.selection?.title, corpus: held.corpus?.title } };
}

function scenarioMessages(scenario: string): ToProfileMessage[] {
  const corpus = (): ToProfileMessage => ({ type: 'profile', result: syntheticProfileResult(), origin: 'corpus', title: CORPUS_TITLE, canOpenOnCorpus: true });
  switch (scenario) {
    case 'selection':
      return [{ type: 'profile', result: syntheticSelectionResult(), origin: 'selection', title: SELECTION_TITLE }];
    case 'long':
      // One text of 1024 tokens (T = 1024).
      return [{ type: 'profile', result: syntheticSelectionResult(1024), origin: 'selection', title: 'synthetic-long.md (selection, 1024 tokens)' }];
    case 'deep':
      // A synthetic 48-layer, 25-head corpus: every layer must stay findable.
      return [{ type: 'profile', result: syntheticProfileResult({ layers: 48, heads: 25, sequences: 16 }), origin: 'corpus', title: 'synthetic 48-layer corpus', canOpenOnCorpus: true }];
    case 'both': {
      held.corpus = { type: 'profile', result: syntheticProfileResult(), origin: 'corpus', title: CORPUS_TITLE, canOpenOnCorpus: true };
      held.selection = { type: 'profile', result: syntheticSelectionResult(), origin: 'selection', title: SELECTION_TITLE };
      return [heldMessage('selection')];
    }
    case 'empty':
      return [{ type: 'empty', message: 'No layer profile yet.' }];
    case 'progress':
      return [{ type: 'progress', done: 0, total: 64, message: '0 / 64 texts · starting' }];
    case 'partial':
      return [
        { type: 'profile', result: syntheticProfileResult({ sequences: 24, complete: false }), origin: 'corpus', title: CORPUS_TITLE, running: true },
        { type: 'progress', done: 24, total: 64, etaSeconds: 75, percent: 30, message: '24 / 64 texts · 1,010 / 3,330 tokens · about 1:15 min left' },
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
      if (message.type === 'showProfile' && held[message.origin]) send(heldMessage(message.origin));
    },
    getState: () => JSON.parse(sessionStorage.getItem(STATE_KEY) ?? 'null') as unknown,
    setState: (s: unknown) => sessionStorage.setItem(STATE_KEY, JSON.stringify(s)),
  };
};
