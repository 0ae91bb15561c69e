// Head view (bertviz-style): queries on the left, keys on the right, a line from query to key for
// each visible head with opacity ∝ weight. Canvas only; the columns scroll together and only the
// rows in the viewport (and lines touching them) are drawn. Lines are batched per head and per
// opacity bucket so a frame is a few dozen stroke() calls.
import { labelToken, topKeys, type LayerData } from '../data';
import { el, fillRemainingHeight, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas } from '../canvas';
import { drawScene, Scene, sceneToPng, sceneToSvg } from '../scene';

const ROW_H = 20;
const HEADER_H = 26;
const PAD = 6;
const THRESHOLD = 0.01;
/** Weight buckets for batching lines (one path per head per bucket); finer for small weights. */
const BUCKET_EDGES = [THRESHOLD, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0001];
/** Token boxes are shaded only from this weight on (fainter shading is noise). */
const SHADE_MIN = 0.04;
/** Above this many lines the faintest buckets are left out. */
const MAX_LINES = 6000;

function bucketOf(w: number): number {
  let b = 0;
  while (b < BUCKET_EDGES.length - 2 && w >= BUCKET_EDGES[b + 1]) b++;
  return b;
}

/** Line opacity ∝ weight: the middle of the bucket, slightly lifted so faint lines stay visible. */
function bucketAlpha(b: number): number {
  const mid = (BUCKET_EDGES[b] + Math.min(1, BUCKET_EDGES[b + 1])) / 2;
  return Math.min(1, 0.06 + mid);
}
/** Exports include every row up to this many tokens; longer inputs export the visible window. */
const EXPORT_ALL_ROWS = 256;

type Side = 'query' | 'key';
interface Focus { side: Side; index: number }

interface Layout {
  width: number;
  colW: number;
  gap: number;
  x0: number;
}

export class HeadView implements PanelView {
  readonly id = 'head' as const;
  readonly label = 'Head view';
  readonly element: HTMLElement;
  private readonly toggles: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly inner: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly status: HTMLElement;
  private hover: Focus | null = null;
  private pinnedKey: number | null = null;
  /** Weight under which lines were left out in the last frame (too many lines), or null. */
  private hiddenBelow: number | null = null;
  private toggleKey = '';
  private layout: Layout = { width: 0, colW: 0, gap: 0, x0: 0 };

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view head-view');
    const bar = el('div', 'view-toolbar');
    bar.append(el('span', 'toolbar-label', 'Heads'));
    this.toggles = el('div', 'head-toggles');
    this.toggles.setAttribute('role', 'toolbar');
    this.toggles.setAttribute('aria-label', 'Heads shown: click or Enter toggles a head, double-click or Shift+Enter shows only that head');
    this.toggles.addEventListener('keydown', (e) => this.onToggleKey(e));
    bar.append(this.toggles);
    const all = el('vscode-button', 'small-button', 'All');
    all.setAttribute('secondary', '');
    all.addEventListener('click', () => this.ctx.update({ visibleHeads: null }));
    bar.append(all);
    this.status = el('span', 'toolbar-hint', 'Hover a token to see its lines; click to pin it.');
    bar.append(this.status);
    this.scroller = el('div', 'head-scroll');
    this.inner = el('div', 'head-inner');
    this.canvas = interactiveCanvas('head-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => { this.hover = null; this.ctx.tooltip.hide(); this.ctx.invalidate(); },
      click: (e) => this.onClick(e),
      key: (e) => this.onKey(e),
      focus: () => this.ctx.invalidate(),
    });
    this.inner.append(this.canvas);
    this.scroller.append(this.inner);
    this.element.append(bar, this.scroller);
    this.scroller.addEventListener('scroll', () => this.ctx.invalidate(), { passive: true });
  }

  private visibleHeads(): number[] {
    const store = this.ctx.store();
    if (!store) return [];
    const all = Array.from({ length: store.H }, (_, h) => h);
    const v = this.ctx.state.visibleHeads;
    return v === null ? all : all.filter((h) => v.includes(h));
  }

  reportedHead(): number | null {
    const heads = this.visibleHeads();
    return heads.length === 1 ? heads[0] : null;
  }

  /**
   * The head chips: built once per head count and colours, then only their pressed state changes
   * (rebuilding would drop keyboard focus). One Tab stop; ←/→ move between chips, Enter/Space
   * toggle (native buttons), Shift+Enter shows only that head.
   */
  private renderToggles(H: number): void {
    const colors = this.ctx.headColors();
    const visible = new Set(this.visibleHeads());
    const key = `${H}|${colors.join()}`;
    if (key !== this.toggleKey) {
      this.toggleKey = key;
      const buttons: HTMLButtonElement[] = [];
      for (let h = 0; h < H; h++) {
        const b = el('button', 'head-toggle', String(h));
        b.type = 'button';
        b.tabIndex = h === 0 ? 0 : -1;
        b.dataset.head = String(h);
        b.style.setProperty('--head-color', colors[h]);
        b.title = `Head ${h}: click or Enter toggles it, double-click or Shift+Enter shows only this head`;
        b.setAttribute('aria-label', `Head ${h}`);
        b.addEventListener('click', (e) => { if (e.detail <= 1) this.toggleHead(h); });
        b.addEventListener('dblclick', () => this.soloHead(h));
        buttons.push(b);
      }
      this.toggles.replaceChildren(...buttons);
    }
    for (const b of Array.from(this.toggles.children) as HTMLButtonElement[]) {
      b.setAttribute('aria-pressed', String(visible.has(Number(b.dataset.head))));
    }
  }

  private onToggleKey(e: KeyboardEvent): void {
    const buttons = Array.from(this.toggles.children) as HTMLButtonElement[];
    const i = buttons.indexOf(e.target as HTMLButtonElement);
    if (i < 0) return;
    if (e.shiftKey && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      this.soloHead(i);
      return;
    }
    let next: number;
    if (e.key === 'ArrowRight') next = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    else return;
    e.preventDefault();
    buttons[i].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  }

  private soloHead(h: number): void {
    this.ctx.update({ visibleHeads: [h] });
    this.ctx.announce(`Showing only head ${h}`);
  }

  private toggleHead(h: number): void {
    const set = new Set(this.visibleHeads());
    if (set.has(h)) set.delete(h);
    else set.add(h);
    const H = this.ctx.store()?.H ?? 0;
    this.ctx.update({ visibleHeads: set.size === H ? null : [...set].sort((a, b) => a - b) });
    this.ctx.announce(`Head ${h} ${set.has(h) ? 'shown' : 'hidden'}`);
  }

  private focus(): Focus | null {
    if (this.hover) return this.hover;
    if (this.pinnedKey !== null) return { side: 'key', index: this.pinnedKey };
    const q = this.ctx.state.query;
    return q === null ? null : { side: 'query', index: q };
  }

  private computeLayout(width: number): Layout {
    const store = this.ctx.store();
    const c = this.canvas.getContext('2d');
    let maxW = 40;
    if (store && c) {
      c.font = `${this.ctx.theme().fontSize}px ${this.ctx.fonts().mono}`;
      const step = Math.max(1, Math.floor(store.T / 400));
      for (let i = 0; i < store.T; i += step) maxW = Math.max(maxW, c.measureText(labelToken(store.tokens[i].text)).width);
    }
    const colW = Math.min(220, Math.ceil(maxW) + 16);
    const gap = Math.max(140, Math.min(420, width - 2 * colW - 80));
    const x0 = Math.max(PAD, Math.floor((width - (2 * colW + gap)) / 2));
    return { width, colW, gap, x0 };
  }

  private rowY(i: number, scrollTop: number): number {
    return HEADER_H + PAD + i * ROW_H + ROW_H / 2 - scrollTop;
  }

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    this.renderToggles(store.H);
    const viewH = fillRemainingHeight(this.scroller);
    const width = this.scroller.clientWidth;
    const totalH = HEADER_H + 2 * PAD + store.T * ROW_H;
    this.inner.style.height = `${totalH}px`;
    const height = Math.min(viewH, totalH);
    this.layout = this.computeLayout(width);
    const layer = store.need(this.ctx.state.layer, 'f32');
    this.canvas.setAttribute('aria-label', `Head view of layer ${this.ctx.state.layer}: ${store.T} tokens, lines from query tokens (left) to the key tokens they attend to (right). Up and down arrows move the query token.`);
    const g = fitCanvas(this.canvas, width, height);
    const scene = this.buildScene(width, height, this.scroller.scrollTop, layer);
    drawScene(g, scene, this.ctx.fonts(), true);
    this.status.textContent = this.hiddenBelow === null
      ? 'Hover a token to see its lines; click to pin it.'
      : `Hover a token to see its lines; click to pin it. Showing weights ≥ ${this.hiddenBelow} (many lines).`;
    return layer !== undefined;
  }

  /** Everything visible in a window [scrollTop, scrollTop + height) of the full column layout. */
  private buildScene(width: number, height: number, scrollTop: number, layer: LayerData | undefined): Scene {
    const theme = this.ctx.theme();
    const store = this.ctx.store()!;
    const scene = new Scene(width, height, theme.background);
    const T = store.T;
    const first = Math.max(0, Math.floor((scrollTop - PAD) / ROW_H) - 1);
    const last = Math.min(T - 1, Math.ceil((scrollTop + height - HEADER_H - PAD) / ROW_H));
    const focus = this.focus();
    const heads = this.visibleHeads();
    if (layer) {
      this.addTokenShading(scene, layer, heads, focus, first, last, scrollTop);
      this.addLines(scene, layer, heads, focus, first, last, scrollTop);
    }
    this.addTokens(scene, focus, first, last, scrollTop);
    this.addHeader(scene, layer === undefined);
    return scene;
  }

  /**
   * Lines of the visible window, batched per head and weight bucket. Without a focused token the
   * window is the visible query rows plus as many rows below (their lines cross the view). If
   * there are more than MAX_LINES, the faintest buckets are dropped (they would be nearly
   * invisible and cost most of the rasterization time).
   */
  private addLines(scene: Scene, layer: LayerData, heads: number[], focus: Focus | null, first: number, last: number, scrollTop: number): void {
    const { x0, colW, gap } = this.layout;
    const x1 = x0 + colW + 2, x2 = x0 + colW + gap - 2;
    const T = layer.length;
    const colors = this.ctx.headColors();
    const v = layer.values, scale = layer.scale;
    const minRaw = THRESHOLD / scale;
    const width = focus ? 2 : 1;
    const batches = heads.map(() => Array.from({ length: BUCKET_EDGES.length - 1 }, () => [] as number[]));
    const counts = new Array<number>(BUCKET_EDGES.length - 1).fill(0);
    heads.forEach((h, hi) => {
      const mine = batches[hi];
      const emit = (q: number, k: number, raw: number): void => {
        const b = bucketOf(raw * scale);
        mine[b].push(x1, this.rowY(q, scrollTop), x2, this.rowY(k, scrollTop));
        counts[b]++;
      };
      const queryLines = (q: number): void => {
        const off = layer.rowOffset(h, q);
        for (let k = 0; k <= q; k++) { const raw = v[off + k]; if (raw > minRaw) emit(q, k, raw); }
      };
      if (focus?.side === 'query') queryLines(focus.index);
      else if (focus?.side === 'key') {
        for (let q = focus.index; q < T; q++) { const raw = v[layer.rowOffset(h, q) + focus.index]; if (raw > minRaw) emit(q, focus.index, raw); }
      } else {
        const end = Math.min(T - 1, last + (last - first + 1));
        for (let q = first; q <= end; q++) queryLines(q);
      }
    });
    let from = 0, total = counts.reduce((a, b) => a + b, 0);
    while (total > MAX_LINES && from < counts.length - 1) total -= counts[from++];
    this.hiddenBelow = from === 0 ? null : BUCKET_EDGES[from];
    heads.forEach((h, hi) => batches[hi].forEach((coords, b) => {
      if (b >= from && coords.length) scene.add({ kind: 'lines', color: colors[h], alpha: bucketAlpha(b), width, coords });
    }));
  }

  /**
   * When a token is focused, each token on the other side gets a background in the colour of the
   * head that attends most, with opacity ∝ that weight (one head visible: just its weight).
   */
  private addTokenShading(scene: Scene, layer: LayerData, heads: number[], focus: Focus | null, first: number, last: number, scrollTop: number): void {
    if (!focus || heads.length === 0) return;
    const { x0, colW, gap } = this.layout;
    const colors = this.ctx.headColors();
    const highContrast = this.ctx.theme().highContrast;
    const boxX = focus.side === 'query' ? x0 + colW + gap : x0;
    const lo = focus.side === 'query' ? first : Math.max(first, focus.index);
    const hi = focus.side === 'query' ? Math.min(last, focus.index) : last;
    for (let i = lo; i <= hi; i++) {
      let best = 0, bestHead = heads[0];
      for (const h of heads) {
        const w = focus.side === 'query' ? layer.weight(h, focus.index, i) : layer.weight(h, i, focus.index);
        if (w > best) { best = w; bestHead = h; }
      }
      if (best < SHADE_MIN) continue;
      const y = this.rowY(i, scrollTop) - ROW_H / 2 + 1;
      if (highContrast) {
        // High contrast: text must stay readable, so a fainter fill and the head colour as an outline.
        scene.add({ kind: 'rect', x: boxX + 2, y, w: colW - 4, h: ROW_H - 2, fill: colors[bestHead], alpha: 0.08 + 0.3 * Math.min(1, best) });
        scene.add({ kind: 'rect', x: boxX + 2.5, y: y + 0.5, w: colW - 5, h: ROW_H - 3, fill: 'transparent', stroke: colors[bestHead] });
      } else {
        scene.add({ kind: 'rect', x: boxX + 2, y, w: colW - 4, h: ROW_H - 2, fill: colors[bestHead], alpha: 0.1 + 0.5 * Math.min(1, best) });
      }
    }
  }

  private addTokens(scene: Scene, focus: Focus | null, first: number, last: number, scrollTop: number): void {
    const theme = this.ctx.theme();
    const store = this.ctx.store()!;
    const { x0, colW, gap } = this.layout;
    const query = this.ctx.state.query;
    for (let i = first; i <= last; i++) {
      const y = this.rowY(i, scrollTop);
      const text = labelToken(store.tokens[i].text);
      const leftFocused = focus?.side === 'query' && focus.index === i;
      const rightFocused = focus?.side === 'key' && focus.index === i;
      if (leftFocused) scene.add({ kind: 'rect', x: x0 + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: theme.selection });
      if (rightFocused) scene.add({ kind: 'rect', x: x0 + colW + gap + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: theme.selection });
      if (query === i) scene.add({ kind: 'rect', x: x0 + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: 'transparent', stroke: theme.focus });
      // Text on the selection colour uses its foreground (black on yellow in High Contrast).
      const left = leftFocused ? theme.selectionForeground : theme.foreground;
      const right = rightFocused ? theme.selectionForeground : theme.foreground;
      scene.add({ kind: 'text', x: x0 + colW - 8, y, text, color: left, size: theme.fontSize, align: 'right', mono: true });
      scene.add({ kind: 'text', x: x0 + colW + gap + 8, y, text, color: right, size: theme.fontSize, align: 'left', mono: true });
    }
  }

  private addHeader(scene: Scene, loading: boolean): void {
    const theme = this.ctx.theme();
    const { x0, colW, gap, width } = this.layout;
    scene.add({ kind: 'rect', x: 0, y: 0, w: width, h: HEADER_H, fill: theme.background });
    const y = HEADER_H / 2 + 2;
    const size = theme.fontSize - 1;
    scene.add({ kind: 'text', x: x0 + colW - 8, y, text: 'Queries', color: theme.muted, size, align: 'right', weight: '600' });
    scene.add({ kind: 'text', x: x0 + colW + gap + 8, y, text: 'Keys', color: theme.muted, size, align: 'left', weight: '600' });
    const label = loading ? `Layer ${this.ctx.state.layer} · loading…` : `Layer ${this.ctx.state.layer}`;
    scene.add({ kind: 'text', x: x0 + colW + gap / 2, y, text: label, color: theme.muted, size, align: 'center' });
  }

  private hitTest(e: MouseEvent): Focus | null {
    const store = this.ctx.store();
    if (!store) return null;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    if (y < HEADER_H) return null;
    const i = Math.floor((y + this.scroller.scrollTop - HEADER_H - PAD) / ROW_H);
    if (i < 0 || i >= store.T) return null;
    const { x0, colW, gap } = this.layout;
    if (x >= x0 && x <= x0 + colW) return { side: 'query', index: i };
    if (x >= x0 + colW + gap && x <= x0 + 2 * colW + gap) return { side: 'key', index: i };
    return null;
  }

  private onMove(e: MouseEvent): void {
    const hit = this.hitTest(e);
    const same = hit?.side === this.hover?.side && hit?.index === this.hover?.index;
    this.canvas.style.cursor = hit ? 'pointer' : 'default';
    if (!same) {
      this.hover = hit;
      this.ctx.invalidate();
    }
    const store = this.ctx.store();
    if (hit && store) {
      const tok = JSON.stringify(store.tokens[hit.index].text);
      const what = hit.side === 'query' ? 'query: lines to the keys it attends to' : 'key: lines from the queries attending to it';
      this.ctx.tooltip.show(e.clientX, e.clientY, [`#${hit.index} ${tok}`, what, 'click to pin']);
    } else {
      this.ctx.tooltip.hide();
    }
  }

  private onClick(e: MouseEvent): void {
    const hit = this.hitTest(e);
    if (!hit) return;
    if (hit.side === 'query') {
      this.pinnedKey = null;
      this.ctx.setQuery(this.ctx.state.query === hit.index ? null : hit.index);
    } else {
      this.pinnedKey = this.pinnedKey === hit.index ? null : hit.index;
      if (this.ctx.state.query !== null) this.ctx.setQuery(null);
      this.ctx.invalidate();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const store = this.ctx.store();
    if (!store) return;
    const q = this.ctx.state.query;
    let next: number | null | undefined;
    if (e.key === 'ArrowDown') next = q === null ? 0 : Math.min(store.T - 1, q + 1);
    else if (e.key === 'ArrowUp') next = q === null ? store.T - 1 : Math.max(0, q - 1);
    else if (e.key === 'Escape') next = null;
    if (next === undefined) return;
    e.preventDefault();
    this.pinnedKey = null;
    this.ctx.setQuery(next);
    if (next !== null) this.scrollIntoView(next);
    this.ctx.announce(next === null ? 'No query token' : this.describeQuery(next));
  }

  /** What the lines of query q show, in words: its most attended keys (visible heads, or their mean). */
  private describeQuery(q: number): string {
    const store = this.ctx.store();
    const layer = store?.peek(this.ctx.state.layer);
    if (!store) return '';
    const tok = JSON.stringify(store.tokens[q].text);
    if (!layer) return `Query #${q} ${tok}; layer ${this.ctx.state.layer} is loading`;
    const heads = this.visibleHeads();
    const row = heads.length === 1 ? layer.row(heads[0], q) : layer.row(null, q);
    const top = topKeys(row, q, 3).map((t) => `${JSON.stringify(store.tokens[t.key].text)} #${t.key} ${t.weight.toFixed(2)}`).join(', ');
    const which = heads.length === 1 ? `head ${heads[0]}` : 'mean of heads';
    return `Query #${q} ${tok}, layer ${this.ctx.state.layer}, ${which}: most attended ${top}`;
  }

  /** Scroll so that row i is visible (used when the query is set from elsewhere too). */
  scrollIntoView(i: number): void {
    const top = HEADER_H + PAD + i * ROW_H;
    const s = this.scroller;
    if (top - HEADER_H < s.scrollTop) s.scrollTop = top - HEADER_H - PAD;
    else if (top + ROW_H > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_H - s.clientHeight + PAD;
  }

  private exportScene(): Scene {
    const store = this.ctx.store();
    if (!store) throw new Error('Nothing to export yet: no analysis has been received');
    const layer = store.peek(this.ctx.state.layer);
    const full = store.T <= EXPORT_ALL_ROWS;
    const height = full ? HEADER_H + 2 * PAD + store.T * ROW_H : this.scroller.clientHeight;
    const scrollTop = full ? 0 : this.scroller.scrollTop;
    return this.buildScene(this.layout.width || 800, height, scrollTop, layer);
  }

  exportPng(_opts: ExportOptions): string {
    return sceneToPng(this.exportScene(), this.ctx.fonts());
  }

  exportSvg(_opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(), this.ctx.fonts());
  }
}
