// The query-token picker shared by all views: the analyzed text as tokens. Clicking a token
// selects it as the query; with a query selected, keys are shaded by the attention they receive.
import { displayToken, type AnalysisStore } from './data';
import { el } from './context';

export class TokenStrip {
  readonly element: HTMLElement;
  private spans: HTMLSpanElement[] = [];
  private storeId = -1;
  private shadingKey = '';

  constructor(onPick: (index: number) => void) {
    this.element = el('div', 'token-strip');
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Tokens: choose the query token');
    this.element.addEventListener('click', (e) => {
      const t = (e.target as HTMLElement).closest<HTMLElement>('.token');
      if (t?.dataset.index) onPick(Number(t.dataset.index));
    });
    this.element.addEventListener('keydown', (e) => {
      const t = (e.target as HTMLElement).closest<HTMLElement>('.token');
      if (!t?.dataset.index) return;
      const i = Number(t.dataset.index);
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onPick(i); }
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        this.spans[Math.max(0, Math.min(this.spans.length - 1, i + (e.key === 'ArrowRight' ? 1 : -1)))]?.focus();
      }
    });
  }

  private build(store: AnalysisStore): void {
    this.storeId = store.id;
    this.shadingKey = '';
    this.spans = store.tokens.map((t, i) => {
      const s = el('span', 'token', displayToken(t.text));
      s.dataset.index = String(i);
      s.tabIndex = i === 0 ? 0 : -1;
      s.setAttribute('role', 'option');
      s.title = `#${i} ${JSON.stringify(t.text)} (id ${t.id})`;
      return s;
    });
    this.element.replaceChildren(...this.spans);
  }

  /** Mark the query and shade keys by `row` (weights of the query's attention), if given. */
  update(store: AnalysisStore, query: number | null, row: Float32Array | undefined, key: string): void {
    if (store.id !== this.storeId) this.build(store);
    const k = `${query}|${key}|${row ? 1 : 0}`;
    if (k === this.shadingKey) return;
    this.shadingKey = k;
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
      if (row && query !== null && i <= query) s.title = `#${i} ${JSON.stringify(store.tokens[i].text)}: weight ${row[i].toFixed(4)}`;
    });
  }
}
