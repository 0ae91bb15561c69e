// Typed access to the webview host API and to the view state persisted across reloads.
import type { FromProfileMessage } from '../../src/protocol';
import type { HeadStatName } from '../../src/engine/types';
import { HEAD_STAT_NAMES } from '../../src/engine/types';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export type SortKey = 'layer' | 'head' | HeadStatName;
export const SORT_KEYS: readonly SortKey[] = ['layer', 'head', ...HEAD_STAT_NAMES];

/** What survives a reload of the view (the result itself is resent by the host on `ready`). */
export interface ViewState {
  includeFirst: boolean;
  stat: HeadStatName;
  climPercentiles: [number, number];
  heatmapLog: boolean;
  sort: { key: SortKey; descending: boolean };
  /** Ids of collapsed sections. */
  collapsed: string[];
}

export const DEFAULT_STATE: ViewState = {
  includeFirst: false,
  stat: 'entropy',
  climPercentiles: [5, 95],
  heatmapLog: false,
  sort: { key: 'layer', descending: false },
  collapsed: [],
};

const isPercent = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;

/** Accept only well-formed fields of a stored state; anything else falls back to the default. */
export function sanitizeState(raw: unknown): ViewState {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const clim = Array.isArray(o.climPercentiles) && o.climPercentiles.length === 2 && o.climPercentiles.every(isPercent)
    ? [o.climPercentiles[0], o.climPercentiles[1]] as [number, number] : DEFAULT_STATE.climPercentiles;
  const sort = o.sort as Record<string, unknown> | undefined;
  return {
    includeFirst: typeof o.includeFirst === 'boolean' ? o.includeFirst : DEFAULT_STATE.includeFirst,
    stat: (HEAD_STAT_NAMES as readonly unknown[]).includes(o.stat) ? o.stat as HeadStatName : DEFAULT_STATE.stat,
    climPercentiles: clim,
    heatmapLog: typeof o.heatmapLog === 'boolean' ? o.heatmapLog : DEFAULT_STATE.heatmapLog,
    sort: sort && (SORT_KEYS as readonly unknown[]).includes(sort.key) && typeof sort.descending === 'boolean'
      ? { key: sort.key as SortKey, descending: sort.descending } : { ...DEFAULT_STATE.sort },
    collapsed: Array.isArray(o.collapsed) ? o.collapsed.filter((s): s is string => typeof s === 'string') : [],
  };
}

export class Host {
  private readonly api: VsCodeApi;
  constructor() {
    if (typeof acquireVsCodeApi !== 'function') throw new Error('Layer Profile: acquireVsCodeApi is not available (not running in a VS Code webview).');
    this.api = acquireVsCodeApi();
  }
  post(message: FromProfileMessage): void { this.api.postMessage(message); }
  loadState(): ViewState { return sanitizeState(this.api.getState()); }
  saveState(state: ViewState): void { this.api.setState(state); }
}
