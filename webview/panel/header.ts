// Header of the panel: model and token count, truncation badge, note, stale/error banners,
// progress (phase, elapsed time, Cancel), the Follow cursor checkbox and the export buttons.
import type { AnalysisStore } from './data';
import { el } from './context';
import { makeButton, makeCheckbox } from './controls';

export interface HeaderActions {
  /** Open the export dialog (PNG chosen). */
  exportView(format: 'png' | 'svg'): void;
  exportJson(): void;
  followCursor(enabled: boolean): void;
  /** Live mode: re-analyze as the analyzed text grows (only the new tokens run). */
  live?(enabled: boolean): void;
  /** Cancel the running analysis (Cancel button of the progress row). */
  cancelAnalysis(): void;
}

export interface ProgressOptions {
  /** Time the run has taken so far (ms): the header keeps it ticking from here. */
  elapsedMs?: number;
  /** Show a Cancel button. */
  cancellable?: boolean;
}

/** "7 s", "1:05", "1:02:03". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const two = (n: number) => String(n).padStart(2, '0');
  return s < 3600 ? `${Math.floor(s / 60)}:${two(s % 60)}` : `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

export class Header {
  readonly element: HTMLElement;
  private readonly model: HTMLElement;
  private readonly count: HTMLElement;
  private readonly truncated: HTMLElement;
  private readonly source: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly progressText: HTMLElement;
  private readonly elapsed: HTMLElement;
  private readonly cancel: HTMLElement;
  private readonly done: HTMLElement;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private readonly note: HTMLElement;
  private readonly stale: HTMLElement;
  private readonly error: HTMLElement;
  private readonly errorText: HTMLElement;
  private readonly follow: { element: HTMLElement; set(v: boolean): void };
  private readonly liveToggle: { element: HTMLElement; set(v: boolean): void } | undefined;

  constructor(actions: HeaderActions) {
    this.element = el('header', 'panel-header');
    const row = el('div', 'title-row');
    this.model = el('span', 'model-name', 'Attention');
    this.count = document.createElement('vscode-badge');
    this.count.hidden = true;
    this.truncated = el('span', 'warn-badge');
    this.truncated.hidden = true;
    this.source = el('span', 'source');
    // The progress row: its own line so phase, elapsed time and Cancel fit a 320 px panel.
    this.progress = el('div', 'progress');
    this.progress.hidden = true;
    // No animated spinner: in a software-rendered webview (code-server in headless Chromium, remote
    // desktops) an endless CSS animation keeps a core busy while the model runs. Measured at T=1024 on 2 cores:
    // the worker's model run 4.0 s with the spinning ring, 3.2 s without. The ticking elapsed time shows it is alive.
    const mark = el('span', 'progress-mark', '⏵');
    mark.setAttribute('aria-hidden', 'true');
    this.progressText = el('span', 'progress-text');
    this.progressText.setAttribute('role', 'status');
    // Ticks every second: not a live region (a screen reader would read every tick).
    this.elapsed = el('span', 'progress-elapsed');
    // Cancel takes effect in the panel at once; the host confirms with progressEnd (or a new analysis).
    this.cancel = makeButton('Cancel', 'Cancel the running analysis (the previous analysis stays shown)', () => {
      this.endProgress('Cancelling…');
      actions.cancelAnalysis();
    });
    this.cancel.classList.add('progress-cancel');
    this.progress.append(mark, this.progressText, this.elapsed, this.cancel);
    this.done = el('div', 'progress-done');
    this.done.setAttribute('role', 'status');
    this.done.hidden = true;
    const spacer = el('span', 'spacer');
    this.follow = makeCheckbox('Follow cursor', actions.followCursor);
    this.follow.element.title = 'Select the query token under the editor cursor';
    this.liveToggle = actions.live ? makeCheckbox('Live', (v) => actions.live!(v)) : undefined;
    if (this.liveToggle) this.liveToggle.element.title = 'Re-analyze as you type at the end of the analyzed text (only the new tokens run)';
    const exports = el('span', 'exports');
    exports.setAttribute('role', 'group');
    exports.setAttribute('aria-label', 'Export');
    exports.append(
      makeButton('Export…', 'Export the current view as PNG or SVG (whole view, scale, background, title)', () => actions.exportView('png')),
      makeButton('JSON', 'Export the whole analysis as JSON', () => actions.exportJson()),
    );
    row.append(this.model, this.count, this.truncated, this.source, spacer, this.follow.element, ...(this.liveToggle ? [this.liveToggle.element] : []), exports);
    this.note = el('div', 'note');
    this.note.hidden = true;
    this.stale = el('div', 'banner stale-banner', 'The text changed since this analysis: the views show the old text. Run Show Attention again to refresh.');
    this.stale.setAttribute('role', 'status');
    this.stale.hidden = true;
    this.error = el('div', 'banner error-banner');
    this.error.setAttribute('role', 'alert');
    this.errorText = el('span');
    const dismiss = el('button', 'link-button', 'Dismiss');
    dismiss.type = 'button';
    dismiss.addEventListener('click', () => this.setError(null));
    this.error.append(this.errorText, dismiss);
    this.error.hidden = true;
    this.element.append(row, this.progress, this.done, this.note, this.stale, this.error);
  }

  setAnalysis(store: AnalysisStore): void {
    const s = store.summary;
    this.model.textContent = s.model.name;
    this.model.title = `${s.model.layers} layers × ${s.model.heads} heads, d=${s.model.embd}, ${s.model.dtype}`;
    this.count.textContent = `${store.T} token${store.T === 1 ? '' : 's'}`;
    this.count.hidden = false;
    this.truncated.hidden = !s.truncated;
    this.truncated.textContent = `input cut at ${store.T} tokens`;
    this.truncated.title = `The model's context is ${s.model.ctx} tokens (or the configured maximum): only the first ${store.T} tokens were analyzed.`;
    this.source.textContent = s.sourceName ?? '';
    this.note.textContent = s.note ?? '';
    this.note.hidden = !s.note;
    this.stale.hidden = true;
    this.endProgress();
  }

  setFollow(v: boolean): void {
    this.follow.set(v);
  }

  setLive(v: boolean): void {
    this.liveToggle?.set(v);
  }

  setStale(stale: boolean): void {
    this.stale.hidden = !stale;
  }

  setError(message: string | null): void {
    this.errorText.textContent = message ?? '';
    this.error.hidden = message === null;
    if (message !== null) this.setProgress(null);
  }

  setProgress(message: string | null, opts: ProgressOptions = {}): void {
    this.progressText.textContent = message ?? '';
    this.progress.hidden = message === null;
    if (message !== null) this.done.hidden = true;
    this.cancel.hidden = !opts.cancellable;
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.elapsed.textContent = '';
    if (message === null || opts.elapsedMs === undefined) return;
    const since = performance.now() - opts.elapsedMs;
    const tick = () => {
      this.elapsed.textContent = formatElapsed(performance.now() - since);
      this.elapsed.title = 'Time since Show Attention was run';
    };
    tick();
    this.ticker = setInterval(tick, 1000);
  }

  /** The run ended without a result (cancelled): hide the progress and say so. */
  endProgress(message?: string): void {
    this.setProgress(null);
    this.done.textContent = message ?? '';
    this.done.hidden = !message;
  }
}
