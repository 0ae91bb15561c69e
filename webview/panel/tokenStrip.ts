// The query-token picker shared by all views: the analyzed text as tokens. Clicking a token
// selects it as the query; with a query selected, keys are shaded by the attention they receive.
// Keyboard: one Tab stop (roving tabindex); ←/→ (and Home/End) move the query token, Enter or
// Space toggles it, Escape clears it.
// A character split over several tokens (emoji, CJK) shows on the first of them; the others show a muted
// continuation mark, and the hover says which part of which character each one is.
import { CONTINUATION_MARK, describeChar, type AnalysisStore, type TokenLabel } from './data';
import type { Token } from '../../src/engine/types';
import { el } from './context';

export interface TokenStripActions {
  /** Click, Enter or Space: select this token, or clear the query if it is the query already. */
  toggle(index: number): void;
  /** Arrow keys: make this token the query. */
  select(index: number): void;
  /** Escape: clear the query. */
  clear(): void;
}

export class TokenStrip {
  readonly element: HTMLElement;
  private spans: HTMLSpanElement[] = [];
  private labels: TokenLabel[] = [];
  private storeId = -1;
  private shadingKey = '';
  /** The token that holds the Tab stop. */
  private active = 0;

  constructor(private readonly actions: TokenStripActions) {
    this.element = el('div', 'token-strip');
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Tokens: choose the query token (arrow keys move it, Enter toggles, Escape clears)');
    this.element.setAttribute('aria-orientation', 'horizontal');
    this.element.addEventListener('click', (e) => {
      const i = this.indexOf(e.target);
      if (i === null) return;
      this.setActive(i);
      actions.toggle(i);
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
  }

  private indexOf(target: EventTarget | null): number | null {
    const t = (target as HTMLElement | null)?.closest<HTMLElement>('.token');
    return t?.dataset.index ? Number(t.dataset.index) : null;
  }

  private onKey(e: KeyboardEvent): void {
    const i = this.indexOf(e.target);
    if (i === null) return;
    const last = this.spans.length - 1;
    let next: number | null = null;
    if (e.key === 'Enter' || e.key === ' ') this.actions.toggle(i);
    else if (e.key === 'Escape') this.actions.clear();
    else if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = Math.min(last, i + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = last;
    else return;
    e.preventDefault();
    if (next === null) return;
    this.setActive(next);
    this.spans[next].focus();
    this.actions.select(next);
  }

  /** Move the Tab stop (roving tabindex) to token i. */
  private setActive(i: number): void {
    if (i === this.active && this.spans[i]?.tabIndex === 0) return;
    if (this.spans[this.active]) this.spans[this.active].tabIndex = -1;
    this.active = i;
    if (this.spans[i]) this.spans[i].tabIndex = 0;
  }

  private build(store: AnalysisStore): void {
    this.storeId = store.id;
    this.shadingKey = '';
    this.active = 0;
    this.labels = store.labels();
    this.spans = store.tokens.map((t, i) => {
      const label = this.labels[i];
      const s = el('span', 'token');
      if (label.continues) s.append(el('span', 'cont-mark', CONTINUATION_MARK));
      if (label.text) s.append(label.text);
      if (label.split) {
        s.classList.add('split');
        s.setAttribute('aria-label', `${label.text || 'continuation'}, part ${label.split.part} of ${label.split.of} of ${describeChar(label.split.char)}`);
      }
      s.dataset.index = String(i);
      s.tabIndex = i === 0 ? 0 : -1;
      s.setAttribute('role', 'option');
      s.title = this.describe(i, t);
      return s;
    });
    this.element.replaceChildren(...this.spans);
  }

  /** Hover text: index, token text, id, and for split characters which part of which character. */
  private describe(i: number, t: Token, weight?: number): string {
    const split = this.labels[i]?.split;
    return [
      `#${i} ${JSON.stringify(t.text)} (id ${t.id})`,
      weight === undefined ? '' : `weight ${weight.toFixed(4)}`,
      split ? `part ${split.part} of ${split.of} of ${describeChar(split.char)}` : '',
    ].filter(Boolean).join(' · ');
  }

  /** Mark the query and shade keys by `row` (weights of the query's attention), if given. */
  update(store: AnalysisStore, query: number | null, row: Float32Array | undefined, key: string): void {
    if (store.id !== this.storeId) this.build(store);
    const k = `${query}|${key}|${row ? 1 : 0}`;
    if (k === this.shadingKey) return;
    this.shadingKey = k;
    // The Tab stop follows the query (set from any view or the editor), unless focus is in the strip.
    if (query !== null && !this.element.contains(document.activeElement)) this.setActive(query);
    let max = 0;
    if (row && query !== null) for (let i = 0; i <= query; i++) max = Math.max(max, row[i]);
    this.spans.forEach((s, i) => {
      const selected = i === query;
      s.classList.toggle('selected', selected);
      s.setAttribute('aria-selected', String(selected));
      const w = row && query !== null && i <= query && max > 0 ? row[i] / max : 0;
      if (w > 0.02) s.style.setProperty('--w', w.toFixed(3));
      else s.style.removeProperty('--w');
      s.classList.toggle('attended', w > 0.02);
      s.title = this.describe(i, store.tokens[i], row && query !== null && i <= query ? row[i] : undefined);
    });
  }
}
