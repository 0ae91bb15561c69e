// What every view gets from the panel: state, data, theme and the shared actions.
import type { AnalysisStore } from './data';
import type { Theme } from './colors';
import type { PersistedState, TabId } from './state';
import type { SceneFonts } from './scene';

export interface PanelContext {
  readonly state: PersistedState;
  store(): AnalysisStore | undefined;
  theme(): Theme;
  fonts(): SceneFonts;
  headColors(): string[];
  /** Select (or clear) the shared query token; posts queryChanged. */
  setQuery(query: number | null): void;
  /** Change state fields, persist them and re-render. */
  update(patch: Partial<PersistedState>): void;
  /** Switch tabs (e.g. model view thumbnail → heatmap). */
  showTab(tab: TabId): void;
  /** Re-render the active view on the next frame. */
  invalidate(): void;
  tooltip: Tooltip;
  /** Say something to screen readers (polite live region): what keyboard users get instead of tooltips. */
  announce(text: string): void;
}

/**
 * What an export is for: papers and slides. Every view renders its *whole* content (not the visible
 * viewport), with a title and a legend, on the chosen background. Build the scene with
 * `exportTheme(ctx.theme(), opts.background)` and `headColors(H, isDarkTheme(thatTheme))` so a white
 * export of a dark-themed panel gets dark ink.
 */
export interface ExportOptions {
  /** 'theme' = the current VS Code theme's colours; 'white' = white background, dark ink. */
  background: 'theme' | 'white';
  /** Device pixels per CSS pixel of the PNG (2 by default; SVG ignores it). */
  scale: number;
  /** Drawn at the top, e.g. "gpt2 · layer 3 · head 5 · notes.md". */
  title: string;
  /** Token range [start, end) to render; all tokens when absent. */
  range?: { start: number; end: number };
}

export const DEFAULT_EXPORT: ExportOptions = { background: 'theme', scale: 2, title: '' };

export interface PanelView {
  readonly id: TabId;
  readonly label: string;
  /** The tab panel content, created once. */
  readonly element: HTMLElement;
  /** Draw from the current state and data. Returns true when real data was drawn (not a placeholder). */
  render(): boolean;
  /** The whole view (all tokens, or `opts.range`) at `opts.scale`, with title and legend, as a PNG data URL. */
  exportPng(opts: ExportOptions): string;
  /** The same picture as an SVG document. */
  exportSvg(opts: ExportOptions): string;
  /** Optional: exportPng encoded off the main thread (used when present; for exports of many megapixels). */
  exportPngAsync?(opts: ExportOptions): Promise<string>;
  /** Size in CSS px of the whole export for these options (the dialog shows it and warns when the PNG scale must drop). */
  exportSize?(opts: ExportOptions): { width: number; height: number };
  /**
   * Views whose export can be limited to a token range implement this: the range the user selected or
   * sees ([start, end)), offered by the export dialog as its default range; null = none selected.
   */
  exportRange?(): { start: number; end: number } | null;
  /** The head reported in queryChanged while this view is active (null = mean over heads). */
  reportedHead(): number | null;
  /** Which shared Layer/Head controls act on this view now (default: fixed per tab). */
  navControls?(): { layer: boolean; head: boolean };
}

/** One floating tooltip for all canvases. */
export class Tooltip {
  readonly element: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'tooltip';
    this.element.setAttribute('role', 'tooltip');
    this.element.hidden = true;
    parent.appendChild(this.element);
  }

  show(clientX: number, clientY: number, lines: string[]): void {
    const el = this.element;
    el.replaceChildren(...lines.map((text, i) => {
      const div = document.createElement('div');
      div.textContent = text;
      if (i === 0) div.className = 'tooltip-title';
      return div;
    }));
    el.hidden = false;
    const pad = 14;
    const { width, height } = el.getBoundingClientRect();
    const x = clientX + pad + width > window.innerWidth ? clientX - pad - width : clientX + pad;
    const y = clientY + pad + height > window.innerHeight ? clientY - pad - height : clientY + pad;
    el.style.left = `${Math.max(0, x)}px`;
    el.style.top = `${Math.max(0, y)}px`;
  }

  hide(): void {
    this.element.hidden = true;
  }
}

/** A visually hidden, polite aria-live region (one per webview). */
export class Announcer {
  readonly element: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'sr-only live-region';
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-atomic', 'true');
    parent.appendChild(this.element);
  }

  say(text: string): void {
    this.element.textContent = text;
  }
}

/** Whether an element currently has keyboard focus (focus rings drawn on canvases). */
export function hasFocus(element: HTMLElement): boolean {
  return document.activeElement === element;
}

/** Create an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Size an element to fill the window below its current top edge. */
export function fillRemainingHeight(element: HTMLElement, bottomMargin = 8, min = 160): number {
  const top = element.getBoundingClientRect().top;
  const h = Math.max(min, Math.floor(window.innerHeight - top - bottomMargin));
  element.style.height = `${h}px`;
  return h;
}

export interface CanvasHandlers {
  move: (e: MouseEvent) => void;
  leave: () => void;
  click: (e: MouseEvent) => void;
  key: (e: KeyboardEvent) => void;
  focus: () => void;
  /** Default: repaint (to drop the keyboard cursor). */
  blur?: () => void;
}

/** A focusable canvas (role img, Tab stop) wired to a view's pointer and keyboard handlers. */
export function interactiveCanvas(className: string, invalidate: () => void, h: CanvasHandlers): HTMLCanvasElement {
  const canvas = el('canvas', className);
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.addEventListener('mousemove', h.move);
  canvas.addEventListener('mouseleave', h.leave);
  canvas.addEventListener('click', h.click);
  canvas.addEventListener('keydown', h.key);
  canvas.addEventListener('focus', h.focus);
  canvas.addEventListener('blur', h.blur ?? invalidate);
  return canvas;
}
