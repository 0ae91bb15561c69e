// Tokens: for the chosen layer and head (or the mean over heads), each token's three most attended
// keys with their weights, and the model's top next-token predictions. Clicking a row selects it.
//
// Virtualised: only the rows in (and just around) the scrolled viewport exist in the DOM, plus the row
// holding the Tab stop; spacer rows stand for the others, so the table opens in the same time at
// T = 1024 as at T = 12. A row's top-3 is computed when the row is first shown, and kept until the
// layer, head or encoding changes. Rows have one fixed height (cells never wrap), measured once.
// Keyboard: one Tab stop (roving tabindex); ↑/↓, PageUp/PageDown, Home/End move between rows (read out
// in the live region), Enter or Space selects the query, Escape clears it.
import { CONTINUATION_MARK, describeChar, labelToken, topKeys, type AnalysisStore, type LayerData, type TokenLabel } from '../data';
import { el, fillRemainingHeight, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { buildTokensExport } from './tokensExport';
import { sceneToPng, sceneToSvg } from '../scene';

const TOP_N = 3;
/** Rows built above and below the viewport. */
const OVERSCAN = 6;
/** Row height until one has been measured (CSS sets it: .tokens-table tbody tr). */
const DEFAULT_ROW_H = 29;

export interface TokenRow {
  index: number;
  token: string;
  label: TokenLabel;
  attended: { token: string; key: number; weight: number }[];
  predictions: { token: string; prob: number }[];
}

/** Token text in the table, without the leading space; a split character shows on its first token. */
function cellText(store: AnalysisStore, i: number): string {
  const label = store.labels()[i];
  if (!label.split && !label.continues) return labelToken(store.tokens[i].text);
  return label.text.trim() === '' ? label.text : label.text.replace(/^ +/, '');
}

/** Top-3 keys and predictions of one query row. */
export function computeRow(store: AnalysisStore, layer: LayerData, head: number | null, q: number): TokenRow {
  const labels = store.labels();
  const keyLabel = (k: number) => (labels[k].continues ? CONTINUATION_MARK : '') + cellText(store, k);
  return {
    index: q,
    token: cellText(store, q),
    label: labels[q],
    attended: topKeys(layer.row(head, q), q, TOP_N).map((t) => ({ key: t.key, weight: t.weight, token: keyLabel(t.key) })),
    predictions: store.topPredictions(q, 3).map((p) => ({ token: labelToken(p.token), prob: p.prob })),
  };
}

export class TokensView implements PanelView {
  readonly id = 'tokens' as const;
  readonly label = 'Tokens';
  readonly element: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  /** store|layer|head|encoding of the cached rows. */
  private dataKey = '';
  private storeId = -1;
  private readonly rowCache = new Map<number, TokenRow>();
  /** Rows in the DOM, by token index. */
  private readonly rendered = new Map<number, HTMLTableRowElement>();
  private spacers: HTMLTableRowElement[] = [];
  private rowH = DEFAULT_ROW_H;
  private measured = false;
  /** The row that holds the table's single Tab stop (roving tabindex). */
  private activeRow = 0;
  /** The query last scrolled into view (a new query from elsewhere is revealed once). */
  private revealed: number | null = null;
  private scrollFrame = 0;
  /** Where the user scrolled to (a hidden tab panel loses its scroll offset; restored when shown again). */
  private scrollPos = 0;
  private store: AnalysisStore | undefined;
  private layer: LayerData | undefined;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view tokens-view');
    const bar = el('div', 'view-toolbar');
    this.caption = el('span', 'toolbar-hint');
    bar.append(this.caption);
    this.box = el('div', 'table-box');
    this.table = el('table', 'tokens-table');
    const cols = el('colgroup');
    for (const cls of ['c-num', 'c-tok', 'c-att', 'c-pred']) cols.append(el('col', cls));
    this.thead = el('thead');
    const tr = el('tr');
    tr.setAttribute('aria-rowindex', '1');
    for (const [text, cls] of [['#', 'num'], ['Token', 'tok-h'], ['Top-3 attended tokens (weight)', ''], ['Predicted next token', '']]) {
      const th = el('th', cls, text);
      th.scope = 'col';
      th.title = text;
      tr.append(th);
    }
    this.thead.append(tr);
    this.tbody = el('tbody');
    this.table.append(cols, this.thead, this.tbody);
    this.box.append(this.table);
    this.element.append(bar, this.box);
    this.tbody.addEventListener('click', (e) => this.onRowActivate(e));
    this.tbody.addEventListener('keydown', (e) => this.onKey(e));
    this.box.addEventListener('scroll', () => {
      if (this.box.isConnected && this.box.clientHeight > 0) this.scrollPos = this.box.scrollTop;
      if (this.scrollFrame) return;
      this.scrollFrame = requestAnimationFrame(() => {
        this.scrollFrame = 0;
        this.renderWindow();
      });
    });
    this.table.setAttribute('aria-label', 'Tokens: top attended keys and predictions. Up and down arrows move between rows, Enter selects the query.');
  }

  reportedHead(): number | null {
    return this.ctx.state.head;
  }

  // ---- Rendering

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    fillRemainingHeight(this.box);
    const s = this.ctx.state;
    const layer = store.need(s.layer, 'f32');
    const what = `layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}`;
    this.caption.textContent = layer ? `Top-3 attended tokens for ${what}. Click a row to select the query.` : `Loading ${what}…`;
    if (store.id !== this.storeId) {
      // Another text: start at the top.
      this.storeId = store.id;
      this.clearRows();
      this.activeRow = 0;
      this.revealed = null;
      this.box.scrollTop = 0;
      this.scrollPos = 0;
      this.table.setAttribute('aria-rowcount', String(store.T + 1));
    }
    this.store = store;
    this.layer = layer;
    if (!layer) return false;
    if (this.box.scrollTop === 0 && this.scrollPos > 0) this.box.scrollTop = this.scrollPos;
    // Fonts and zoom can change between renders: measure the row height again.
    this.measured = false;
    const key = `${store.id}|${s.layer}|${s.head}|${layer.encoding}`;
    if (key !== this.dataKey) {
      this.dataKey = key;
      this.rowCache.clear();
      for (const [i, tr] of this.rendered) this.fillRow(tr, this.row(i));
    }
    this.activeRow = Math.min(this.activeRow, store.T - 1);
    const inTable = document.hasFocus() && this.tbody.contains(document.activeElement);
    // The Tab stop follows the query (and a new query is scrolled into view) unless focus is in the table.
    if (s.query !== null && s.query !== this.revealed && !inTable) {
      this.activeRow = s.query;
      this.scrollRowIntoView(s.query);
    }
    this.revealed = s.query;
    this.renderWindow();
    return true;
  }

  private row(i: number): TokenRow {
    let r = this.rowCache.get(i);
    if (!r) {
      r = computeRow(this.store!, this.layer!, this.ctx.state.head, i);
      this.rowCache.set(i, r);
    }
    return r;
  }

  private clearRows(): void {
    this.rendered.clear();
    this.spacers = [];
    this.rowCache.clear();
    this.dataKey = '';
    this.tbody.replaceChildren();
  }

  /** Header height: the sticky header covers the top of the scrolled rows. */
  private headerHeight(): number {
    return this.thead.getBoundingClientRect().height;
  }

  /** Build the rows in view (± OVERSCAN) and the active row; spacer rows stand for the rest. */
  private renderWindow(): void {
    const store = this.store;
    if (!store || !this.layer || !this.box.isConnected) return;
    const T = store.T;
    const view = Math.max(this.rowH, this.box.clientHeight - this.headerHeight());
    const first = Math.max(0, Math.floor(this.box.scrollTop / this.rowH) - OVERSCAN);
    const last = Math.min(T - 1, Math.ceil((this.box.scrollTop + view) / this.rowH) + OVERSCAN);
    const wanted: number[] = [];
    for (let i = first; i <= last; i++) wanted.push(i);
    if (this.activeRow < first) wanted.unshift(this.activeRow);
    else if (this.activeRow > last) wanted.push(this.activeRow);
    this.sync(wanted, T);
    this.markRows();
    if (!this.measured) this.measure();
  }

  /**
   * Make the tbody hold exactly `wanted` (ascending) with spacers for the gaps. Rows that stay are never
   * moved or re-inserted (a focused row keeps its focus); new rows and spacers are inserted around them.
   */
  private sync(wanted: number[], T: number): void {
    const keep = new Set(wanted);
    for (const [i, tr] of this.rendered) {
      if (!keep.has(i)) { tr.remove(); this.rendered.delete(i); }
    }
    for (const sp of this.spacers) sp.remove();
    this.spacers = [];
    let ref: ChildNode | null = this.tbody.firstChild;
    const place = (node: HTMLTableRowElement) => {
      if (node === ref) ref = ref.nextSibling;
      else this.tbody.insertBefore(node, ref);
    };
    let next = 0;
    for (const i of wanted) {
      if (i > next) place(this.spacer(i - next));
      let tr = this.rendered.get(i);
      if (!tr) {
        tr = this.rowElement(i);
        this.rendered.set(i, tr);
      }
      place(tr);
      next = i + 1;
    }
    if (T > next) place(this.spacer(T - next));
  }

  private spacer(rows: number): HTMLTableRowElement {
    const tr = el('tr', 'gap-row');
    tr.setAttribute('aria-hidden', 'true');
    const td = el('td');
    td.colSpan = 4;
    td.style.height = `${rows * this.rowH}px`;
    tr.append(td);
    this.spacers.push(tr);
    return tr;
  }

  /** Read the real row height once (fonts differ between themes and platforms) and re-lay the spacers. */
  private measure(): void {
    const tr = this.rendered.values().next().value as HTMLTableRowElement | undefined;
    if (!tr) return;
    const h = tr.getBoundingClientRect().height;
    if (h <= 0) return;
    this.measured = true;
    if (Math.abs(h - this.rowH) > 0.01) {
      this.rowH = h;
      this.renderWindow();
    }
  }

  private rowElement(i: number): HTMLTableRowElement {
    const tr = el('tr');
    tr.dataset.index = String(i);
    tr.setAttribute('aria-rowindex', String(i + 2));
    tr.tabIndex = -1;
    this.fillRow(tr, this.row(i));
    return tr;
  }

  private fillRow(tr: HTMLTableRowElement, r: TokenRow): void {
    const tok = el('td', 'tok');
    if (r.label.continues) tok.append(el('span', 'cont-mark', CONTINUATION_MARK));
    tok.append(r.token);
    const t = this.store!.tokens[r.index];
    const split = r.label.split;
    tok.title = `#${r.index} ${JSON.stringify(t.text)} (id ${t.id})${split ? ` · part ${split.part} of ${split.of} of ${describeChar(split.char)}` : ''}`;
    const att = el('td', 'attended');
    const attWrap = el('div', 'chips');
    for (const a of r.attended) {
      const chip = el('span', 'chip');
      const bar = el('span', 'bar');
      bar.style.width = `${Math.max(1, Math.round(a.weight * 100))}%`;
      chip.append(bar, el('span', 'tok', a.token), el('span', 'w', a.weight.toFixed(3)));
      chip.title = `key #${a.key} ${JSON.stringify(a.token)}: weight ${a.weight.toFixed(4)}`;
      attWrap.append(chip);
    }
    att.append(attWrap);
    const pred = el('td', 'pred');
    const predWrap = el('div', 'chips');
    for (const p of r.predictions) {
      const chip = el('span', 'chip pred-chip');
      chip.append(el('span', 'tok', p.token), el('span', 'w', `${(p.prob * 100).toFixed(1)}%`));
      chip.title = `${JSON.stringify(p.token)}: ${(p.prob * 100).toFixed(2)}%`;
      predWrap.append(chip);
    }
    pred.append(predWrap);
    tr.replaceChildren(el('td', 'num', String(r.index)), tok, att, pred);
  }

  /** Selection, aria-selected and the Tab stop on the rows in the DOM. */
  private markRows(): void {
    const q = this.ctx.state.query;
    for (const [i, tr] of this.rendered) {
      const sel = i === q;
      tr.classList.toggle('selected', sel);
      tr.setAttribute('aria-selected', String(sel));
      tr.tabIndex = i === this.activeRow ? 0 : -1;
    }
  }

  private scrollRowIntoView(i: number): void {
    const top = i * this.rowH;
    const view = this.box.clientHeight - this.headerHeight();
    if (view <= 0) return;
    if (top < this.box.scrollTop) this.box.scrollTop = top;
    else if (top + this.rowH > this.box.scrollTop + view) this.box.scrollTop = top + this.rowH - view;
  }

  // ---- Keyboard and mouse

  private onKey(e: KeyboardEvent): void {
    const store = this.store;
    if (!store) return;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.onRowActivate(e); return; }
    if (e.key === 'Escape') { e.preventDefault(); this.ctx.setQuery(null); return; }
    const row = (e.target as HTMLElement).closest('tr');
    const i = row ? Number(row.dataset.index) : NaN;
    if (!Number.isInteger(i)) return;
    const page = Math.max(1, Math.floor((this.box.clientHeight - this.headerHeight()) / this.rowH) - 1);
    let next: number;
    if (e.key === 'ArrowDown') next = i + 1;
    else if (e.key === 'ArrowUp') next = i - 1;
    else if (e.key === 'PageDown') next = i + page;
    else if (e.key === 'PageUp') next = i - page;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = store.T - 1;
    else return;
    e.preventDefault();
    this.moveTo(Math.max(0, Math.min(store.T - 1, next)));
  }

  /** Move the Tab stop and focus to row i (built if needed) and read it out. */
  private moveTo(i: number): void {
    this.activeRow = i;
    this.scrollRowIntoView(i);
    this.renderWindow();
    this.rendered.get(i)?.focus({ preventScroll: true });
    this.ctx.announce(this.readout(this.row(i)));
  }

  /** What the live region says for a row. */
  private readout(r: TokenRow): string {
    const s = this.ctx.state;
    const att = r.attended.map((a) => `"${a.token}" #${a.key} ${a.weight.toFixed(2)}`).join(', ');
    const pred = r.predictions.map((p) => `"${p.token}" ${(p.prob * 100).toFixed(1)}%`).join(', ');
    const where = `layer ${s.layer}, ${s.head === null ? 'mean of heads' : 'head ' + s.head}`;
    const mark = r.label.continues ? CONTINUATION_MARK : '';
    return `Row #${r.index} "${mark}${r.token}", ${where}: most attended ${att}; predicted next ${pred}`;
  }

  private onRowActivate(e: Event): void {
    const row = (e.target as HTMLElement).closest('tr');
    const i = row ? Number(row.dataset.index) : NaN;
    if (!Number.isInteger(i) || row?.classList.contains('gap-row')) return;
    this.activeRow = i;
    this.markRows();
    this.revealed = this.ctx.state.query === i ? null : i;
    this.ctx.setQuery(this.ctx.state.query === i ? null : i);
  }

  // ---- Exports: the whole table (or opts.range), every row computed

  private exportRows(opts: ExportOptions): TokenRow[] {
    const store = this.ctx.store();
    const layer = store?.peek(this.ctx.state.layer);
    if (!store || !layer) throw new Error('Nothing to export yet: the layer has not arrived');
    this.store = store;
    this.layer = layer;
    const start = Math.max(0, Math.min(store.T, opts.range?.start ?? 0));
    const end = Math.max(start, Math.min(store.T, opts.range?.end ?? store.T));
    if (end <= start) throw new Error(`Nothing to export: the token range ${opts.range?.start}–${opts.range?.end} is empty`);
    const head = this.ctx.state.head;
    const key = `${store.id}|${this.ctx.state.layer}|${head}|${layer.encoding}`;
    const rows: TokenRow[] = [];
    for (let i = start; i < end; i++) rows.push(key === this.dataKey ? this.row(i) : computeRow(store, layer, head, i));
    return rows;
  }

  private exportScene(opts: ExportOptions) {
    const s = this.ctx.state;
    return buildTokensExport(this.exportRows(opts), {
      theme: this.ctx.theme(), background: opts.background, title: opts.title,
      subtitle: `Top-3 attended tokens · layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}`,
      total: this.ctx.store()!.T, query: s.query, fonts: this.ctx.fonts(),
    });
  }

  exportPng(opts: ExportOptions): string {
    return sceneToPng(this.exportScene(opts), this.ctx.fonts(), opts.scale);
  }

  exportSvg(opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(opts), this.ctx.fonts());
  }
}
