// Tokens: for the chosen layer and head (or the mean over heads), each token's three most attended
// keys with their weights, and the model's top next-token predictions. Clicking a row selects it.
import { labelToken, topKeys, type AnalysisStore, type LayerData } from '../data';
import { el, fillRemainingHeight, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { Scene, sceneToPng, sceneToSvg } from '../scene';

const TOP_N = 3;
const ROW_H = 22;

interface RowData {
  index: number;
  token: string;
  attended: { token: string; key: number; weight: number }[];
  predictions: { token: string; prob: number }[];
}

export class TokensView implements PanelView {
  readonly id = 'tokens' as const;
  readonly label = 'Tokens';
  readonly element: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private renderedKey = '';
  private rows: RowData[] = [];
  /** The row that holds the table's single Tab stop (roving tabindex). */
  private activeRow = 0;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view tokens-view');
    const bar = el('div', 'view-toolbar');
    this.caption = el('span', 'toolbar-hint');
    bar.append(this.caption);
    this.box = el('div', 'table-box');
    this.table = el('table', 'tokens-table');
    const head = el('thead');
    const tr = el('tr');
    for (const [text, cls] of [['#', 'num'], ['Token', ''], ['Top-3 attended tokens (weight)', ''], ['Predicted next token', '']]) {
      const th = el('th', cls, text);
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    this.tbody = el('tbody');
    this.table.append(head, this.tbody);
    this.box.append(this.table);
    this.element.append(bar, this.box);
    this.tbody.addEventListener('click', (e) => this.onRowActivate(e));
    this.tbody.addEventListener('keydown', (e) => this.onKey(e));
    this.table.setAttribute('aria-label', 'Tokens: top attended keys and predictions. Up and down arrows move between rows, Enter selects the query.');
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.onRowActivate(e); return; }
    const rows = this.tbody.rows;
    const row = (e.target as HTMLElement).closest('tr');
    const i = row ? Number(row.dataset.index) : NaN;
    if (!Number.isInteger(i) || rows.length === 0) return;
    let next: number;
    if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, i + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    else if (e.key === 'Escape') { this.ctx.setQuery(null); e.preventDefault(); return; }
    else return;
    e.preventDefault();
    this.setActiveRow(next);
    rows[next].focus();
  }

  private setActiveRow(i: number): void {
    const rows = this.tbody.rows;
    if (rows[this.activeRow]) rows[this.activeRow].tabIndex = -1;
    this.activeRow = Math.max(0, Math.min(rows.length - 1, i));
    if (rows[this.activeRow]) rows[this.activeRow].tabIndex = 0;
  }

  reportedHead(): number | null {
    return this.ctx.state.head;
  }

  private onRowActivate(e: Event): void {
    const row = (e.target as HTMLElement).closest('tr');
    const i = row ? Number(row.dataset.index) : NaN;
    if (!Number.isInteger(i)) return;
    this.setActiveRow(i);
    this.ctx.setQuery(this.ctx.state.query === i ? null : i);
  }

  private computeRows(store: AnalysisStore, layer: LayerData): RowData[] {
    const head = this.ctx.state.head;
    const rows: RowData[] = [];
    for (let q = 0; q < store.T; q++) {
      const row = layer.row(head, q);
      rows.push({
        index: q,
        token: labelToken(store.tokens[q].text),
        attended: topKeys(row, q, TOP_N).map((t) => ({ key: t.key, weight: t.weight, token: labelToken(store.tokens[t.key].text) })),
        predictions: store.topPredictions(q, 3).map((p) => ({ token: labelToken(p.token), prob: p.prob })),
      });
    }
    return rows;
  }

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    fillRemainingHeight(this.box);
    const s = this.ctx.state;
    const layer = store.need(s.layer, 'f32');
    const what = `layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}`;
    this.caption.textContent = layer ? `Top-3 attended tokens for ${what}. Click a row to select the query.` : `Loading ${what}…`;
    if (!layer) return false;
    const key = `${store.id}|${s.layer}|${s.head}|${layer.encoding}`;
    if (key !== this.renderedKey) {
      this.renderedKey = key;
      const hadFocus = this.tbody.contains(document.activeElement);
      this.rows = this.computeRows(store, layer);
      this.tbody.replaceChildren(...this.rows.map((r) => this.rowElement(r)));
      this.activeRow = Math.min(this.activeRow, this.rows.length - 1);
      this.tbody.rows[this.activeRow]?.setAttribute('tabindex', '0');
      if (hadFocus) this.tbody.rows[this.activeRow]?.focus();
    }
    // The Tab stop follows the query unless focus is already in the table.
    if (s.query !== null && s.query !== this.activeRow && !this.tbody.contains(document.activeElement)) this.setActiveRow(s.query);
    this.markSelected();
    return true;
  }

  private rowElement(r: RowData): HTMLTableRowElement {
    const tr = el('tr');
    tr.dataset.index = String(r.index);
    tr.tabIndex = -1;
    tr.append(el('td', 'num', String(r.index)), el('td', 'tok', r.token));
    const att = el('td', 'attended');
    for (const a of r.attended) {
      const chip = el('span', 'chip');
      const bar = el('span', 'bar');
      bar.style.width = `${Math.max(1, Math.round(a.weight * 100))}%`;
      chip.append(bar, el('span', 'tok', a.token), el('span', 'w', a.weight.toFixed(3)));
      chip.title = `key #${a.key} ${JSON.stringify(a.token)}: weight ${a.weight.toFixed(4)}`;
      att.append(chip);
    }
    const pred = el('td', 'pred');
    for (const p of r.predictions) {
      const chip = el('span', 'chip pred-chip');
      chip.append(el('span', 'tok', p.token), el('span', 'w', `${(p.prob * 100).toFixed(1)}%`));
      pred.append(chip);
    }
    tr.append(att, pred);
    return tr;
  }

  private markSelected(): void {
    const q = this.ctx.state.query;
    for (const tr of Array.from(this.tbody.rows)) {
      const sel = Number(tr.dataset.index) === q;
      tr.classList.toggle('selected', sel);
      tr.setAttribute('aria-selected', String(sel));
    }
  }

  /** The table as a scene (for PNG/SVG export): index, token, top-3 with weight bars, predictions. */
  private exportScene(): Scene {
    if (this.rows.length === 0) throw new Error('Nothing to export yet: the layer has not arrived');
    const theme = this.ctx.theme();
    const cols = [16, 70, 230, 640];
    const width = 900;
    const height = 40 + this.rows.length * ROW_H + 10;
    const scene = new Scene(width, height, theme.background);
    const fs = theme.fontSize - 1;
    const s = this.ctx.state;
    scene.add({ kind: 'text', x: cols[0], y: 16, text: `Top-3 attended tokens · layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}`, color: theme.foreground, size: fs + 1, align: 'left', weight: '600' });
    ['#', 'Token', 'Top-3 attended (weight)', 'Predicted next'].forEach((t, i) => scene.add({ kind: 'text', x: cols[i], y: 38, text: t, color: theme.muted, size: fs, align: 'left', weight: '600' }));
    this.rows.forEach((r, i) => {
      const y = 40 + (i + 0.5) * ROW_H + 8;
      if (r.index === s.query) scene.add({ kind: 'rect', x: 8, y: y - ROW_H / 2, w: width - 16, h: ROW_H, fill: theme.selection });
      scene.add({ kind: 'text', x: cols[0], y, text: String(r.index), color: theme.muted, size: fs, align: 'left' });
      scene.add({ kind: 'text', x: cols[1], y, text: r.token, color: theme.foreground, size: fs, align: 'left', mono: true });
      r.attended.forEach((a, j) => {
        const x = cols[2] + j * 135;
        scene.add({ kind: 'rect', x, y: y + 6, w: 120 * a.weight, h: 3, fill: theme.series.primary });
        scene.add({ kind: 'text', x, y: y - 2, text: `${a.token.slice(0, 10)} ${a.weight.toFixed(2)}`, color: theme.foreground, size: fs, align: 'left', mono: true });
      });
      scene.add({ kind: 'text', x: cols[3], y, text: r.predictions.map((p) => `${p.token} ${(p.prob * 100).toFixed(0)}%`).join('   '), color: theme.muted, size: fs, align: 'left', mono: true });
    });
    return scene;
  }

  exportPng(_opts: ExportOptions): string {
    return sceneToPng(this.exportScene(), this.ctx.fonts());
  }

  exportSvg(_opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(), this.ctx.fonts());
  }
}
