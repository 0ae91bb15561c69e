// Browser-side test harness for the attention panel: a mocked acquireVsCodeApi that records what
// the panel posts, and a fake host that answers from deterministic synthetic attention.
// Loaded before dist/webview/panel.js. URL parameters: T, L, H, seed, theme (dark|light|hc-dark|hc-light),
// tab (initial persisted tab), state (JSON merged into the persisted state), truncated=1, note=..., auto=0 (do not send the analysis on ready),
// split=<i> (tokens i and i+1 are one emoji split in two).
import type { FromPanelMessage, ToPanelMessage } from '../../src/protocol';
import { applyTheme, themeName, type ThemeName } from './themes';
import { encodeLayer, syntheticLayer, syntheticSummary, syntheticThumbnailsAndFlow, type SyntheticShape } from './synthetic';

interface HarnessApi {
  shape: SyntheticShape;
  posted: FromPanelMessage[];
  state: unknown;
  /** Send a message to the panel like the host does (structured clone, buffers transferred). */
  send(message: ToPanelMessage): void;
  sendAnalysis(): void;
  setTheme(name: ThemeName): void;
  /** Resolves with the first posted message (after `since`) of that type. */
  waitFor(type: FromPanelMessage['type'], since?: number): Promise<FromPanelMessage>;
}

declare global {
  interface Window {
    __harness: HarnessApi;
  }
}

interface MockVsCodeApi { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void }

const params = new URLSearchParams(location.search);
const num = (name: string, fallback: number) => {
  const v = Number(params.get(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const shape: SyntheticShape = {
  T: num('T', 20), L: num('L', 3), H: num('H', 4), seed: num('seed', 1), analysisId: 1,
  truncated: params.get('truncated') === '1', note: params.get('note') ?? undefined,
  split: params.has('split') ? Number(params.get('split')) : undefined,
};
const THUMB_SIZE = 48;
let flowAndThumbs: ReturnType<typeof syntheticThumbnailsAndFlow> | undefined;
const computeAll = (size: number) => {
  if (!flowAndThumbs || flowAndThumbs.size !== Math.min(shape.T, size)) flowAndThumbs = syntheticThumbnailsAndFlow(shape, size);
  return flowAndThumbs;
};

const waiters: { type: string; since: number; resolve: (m: FromPanelMessage) => void }[] = [];
// Initial persisted state: ?tab=heatmap and/or ?state={"heatmapLayout":"grid",...} (merged).
const initialState: unknown = params.get('tab') || params.get('state')
  ? { version: 1, ...(params.get('tab') ? { tab: params.get('tab') } : {}), ...JSON.parse(params.get('state') ?? '{}') }
  : undefined;

const harness: HarnessApi = {
  shape,
  posted: [],
  state: initialState,
  send(message) {
    const transfer: ArrayBuffer[] = [];
    if (message.type === 'layer' || message.type === 'thumbnails') transfer.push(message.data);
    window.postMessage(message, '*', transfer);
  },
  sendAnalysis() {
    harness.send({ type: 'analysis', summary: syntheticSummary(shape, computeAll(THUMB_SIZE).flow) });
  },
  setTheme: applyTheme,
  waitFor(type, since = 0) {
    const found = harness.posted.slice(since).find((m) => m.type === type);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => waiters.push({ type, since, resolve }));
  },
};

function answer(m: FromPanelMessage): void {
  switch (m.type) {
    case 'ready':
      if (params.get('auto') !== '0') harness.sendAnalysis();
      return;
    case 'requestLayer': {
      const values = syntheticLayer(shape, m.layer);
      harness.send({ type: 'layer', analysisId: m.analysisId, layer: m.layer, encoding: m.encoding, data: encodeLayer(values, m.encoding) });
      return;
    }
    case 'requestThumbnails': {
      const { size, thumbnails } = computeAll(m.size);
      const data = thumbnails.slice().buffer;
      harness.send({ type: 'thumbnails', analysisId: m.analysisId, size, data });
      return;
    }
    default:
      return;
  }
}

(window as unknown as { acquireVsCodeApi: () => MockVsCodeApi }).acquireVsCodeApi = () => ({
  postMessage(m: unknown) {
    const msg = m as FromPanelMessage;
    harness.posted.push(msg);
    const index = harness.posted.length - 1;
    for (const w of waiters.splice(0)) {
      if (w.type === msg.type && index >= w.since) w.resolve(msg);
      else waiters.push(w);
    }
    // Answer asynchronously, like a real host across the webview boundary.
    setTimeout(() => answer(msg), 0);
  },
  getState: () => harness.state,
  setState: (s: unknown) => { harness.state = s; },
});
window.__harness = harness;

const theme = themeName(params.get('theme'));
if (document.body) applyTheme(theme);
else document.addEventListener('DOMContentLoaded', () => applyTheme(theme));
