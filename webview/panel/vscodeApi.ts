// The only channel to the extension host: acquireVsCodeApi() (called once), typed with the
// shared protocol. State persistence goes through the same object.
import type { FromPanelMessage } from '../../src/protocol';
import type { PersistedState } from './state';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostChannel {
  post(message: FromPanelMessage): void;
  loadState(): Partial<PersistedState> | undefined;
  saveState(state: PersistedState): void;
}

export function connectToHost(): HostChannel {
  if (typeof acquireVsCodeApi !== 'function') {
    throw new Error('acquireVsCodeApi is not defined: this script must run inside a VS Code webview');
  }
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    loadState: () => {
      const s = api.getState();
      return typeof s === 'object' && s !== null ? (s as Partial<PersistedState>) : undefined;
    },
    saveState: (state) => api.setState(state),
  };
}
