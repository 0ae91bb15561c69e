// Head view (bertviz-style): queries on the left, keys on the right, a line from query to key for
// each visible head with opacity ∝ weight. Canvas only; the columns scroll together and only the
// rows in the viewport are drawn. Lines join rows of the viewport only: a query's weight on keys
// scrolled out above is a small marker (▲ + a bar per head) next to it, and edge notes say what a
// focused token sends out of view. Lines are batched per head and per opacity bucket so a frame is a
// few dozen stroke() calls. Exports draw the whole view (all rows or a range) with a title and legend.
import { labelToken, topKeys, type LayerData } from '../data';
import { el, fillRemainingHeight, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas, fitText } from '../canvas';
import { exportTheme, headColors, isDarkTheme, type Theme } from '../colors';
import { drawScene, Scene, sceneToPng, sceneToPngAsync, sceneToSvg } from '../scene';

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
/** Exports draw more lines before dropping the faintest (a file, not a frame). */
const EXPORT_MAX_LINES = 20000;
/** Strip at the start of the gap for the off-range marker (▲ + bar) of each query. */
const MARK_W = 34;
/** The narrowest gap between the columns (narrow panels shrink the columns first, down to this). */
const MIN_GAP = 96;
const EXPORT_GAP = 320;
const OFF_HINT = '▲ bar: weight on keys scrolled out above.';
const EXPORT_MARGIN = 16;
const TITLE_H = 28;
const LEGEND_ROW = 18;

type Side = 'query' | 'key';
interface Focus { side: Side; index: number }

interface Layout {
  width: number;
  colW: number;
  gap: number;
  x0: number;
}

/** Where a picture of the view is drawn: the screen window or a whole-view export. */
interface Frame {
  theme: Theme;
  colors: string[];
  layout: Layout;
  width: number;
  height: number;
  /** Rows inside the frame (inclusive): lines join only these; weight outside them goes to markers. */
  first: number;
  last: number;
  /** Rows whose labels are drawn (the frame plus partly visible rows at its edges). */
  drawFirst: number;
  drawLast: number;
  /** y extent of the rows area and top of the column header. */
  rowsTop: number;
  rowsBottom: number;
  headerTop: number;
  /** Centre y of row i. */
  y: (i: number) => number;
  maxLines: number;
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
  private lastVisible: { start: number; end: number } | null = null;
  /** What the last picture drew beyond lines (also test hooks): edge notes, off-range markers, heads with colour blocks. */
  private drawn = { notes: [] as string[], markers: 0, blockHeads: new Set<number>() };
  private measurer: CanvasRenderingContext2D | undefined;

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
    this.status = el('span', 'toolbar-hint head-hint', 'Hover a token to see its lines; click to pin it.');
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

  /**
   * Columns for a width: natural column width from the longest labels (sampled), narrowed so both
   * columns and a readable gap fit from 300 px up; labels are then ellipsized (full text on hover).
   */
  private computeLayout(width: number, theme: Theme, forExport: boolean): Layout {
    const store = this.ctx.store();
    const c = this.measureCtx(theme);
    let maxW = 40;
    if (store) {
      const step = Math.max(1, Math.floor(store.T / 400));
      for (let i = 0; i < store.T; i += step) maxW = Math.max(maxW, c.measureText(labelToken(store.tokens[i].text)).width);
    }
    const natural = Math.min(220, Math.ceil(maxW) + 16);
    if (forExport) {
      const gap = EXPORT_GAP;
      return { width: 2 * natural + gap + 2 * EXPORT_MARGIN, colW: natural, gap, x0: EXPORT_MARGIN };
    }
    const colW = Math.max(44, Math.min(natural, Math.floor((width - 2 * PAD - MIN_GAP) / 2)));
    const gap = Math.max(MIN_GAP, Math.min(420, width - 2 * colW - 80, width - 2 * PAD - 2 * colW));
    const x0 = Math.max(PAD, Math.floor((width - (2 * colW + gap)) / 2));
    return { width, colW, gap, x0 };
  }

  private measureCtx(theme: Theme): CanvasRenderingContext2D {
    if (!this.measurer) {
      const c = document.createElement('canvas').getContext('2d');
      if (!c) throw new Error('This webview cannot create a 2D canvas context');
      this.measurer = c;
    }
    this.measurer.font = `${theme.fontSize}px ${this.ctx.fonts().mono}`;
    return this.measurer;
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
    const theme = this.ctx.theme();
    this.layout = this.computeLayout(width, theme, false);
    const layer = store.need(this.ctx.state.layer, 'f32');
    this.canvas.setAttribute('aria-label', `Head view of layer ${this.ctx.state.layer}: ${store.T} tokens, lines from query tokens (left) to the key tokens they attend to (right). Up and down arrows move the query token.`);
    const g = fitCanvas(this.canvas, width, height);
    const frame = this.screenFrame(width, height, this.scroller.scrollTop, store.T, theme);
    this.lastVisible = { start: frame.first, end: frame.last + 1 };
    const scene = this.buildScene(frame, layer, this.focus());
    drawScene(g, scene, this.ctx.fonts(), true);
    const hint = frame.first > 0 ? `Hover a token to see its lines; click to pin it. ${OFF_HINT}` : 'Hover a token to see its lines; click to pin it.';
    const notes = this.drawn.notes.length ? ` ${this.drawn.notes.join('; ')}.` : '';
    this.status.textContent = (this.hiddenBelow === null ? hint : `${hint} Showing weights ≥ ${this.hiddenBelow} (many lines).`) + notes;
    const d = this.canvas.dataset;
    d.markers = String(this.drawn.markers);
    d.markX = String(this.layout.x0 + this.layout.colW + 3);
    d.keyX = String(this.layout.x0 + this.layout.colW + this.layout.gap);
    d.colW = String(this.layout.colW);
    d.blockHeads = [...this.drawn.blockHeads].sort((a, b) => a - b).join(',');
    d.rows = `${frame.first}-${frame.last}`;
    return layer !== undefined;
  }

  /** The on-screen window: rows whose centre lies between the column header and the bottom edge. */
  private screenFrame(width: number, height: number, scrollTop: number, T: number, theme: Theme): Frame {
    const y = (i: number): number => HEADER_H + PAD + i * ROW_H + ROW_H / 2 - scrollTop;
    const first = Math.max(0, Math.ceil((scrollTop - PAD - ROW_H / 2 + 2) / ROW_H));
    const last = Math.min(T - 1, Math.floor((height - 2 - HEADER_H - PAD - ROW_H / 2 + scrollTop) / ROW_H));
    return {
      theme, colors: this.ctx.headColors(), layout: this.layout, width, height, first, last: Math.max(first, last),
      drawFirst: Math.max(0, first - 1), drawLast: Math.min(T - 1, last + 1),
      rowsTop: HEADER_H, rowsBottom: height, headerTop: 0, y, maxLines: MAX_LINES,
    };
  }

  /**
   * One picture of rows [first, last]: lines only between rows of the frame (keys outside it are never
   * drawn as lines, so they cannot pile up at its edges); their weight is shown by off-range markers.
   */
  private buildScene(f: Frame, layer: LayerData | undefined, focus: Focus | null, title?: string): Scene {
    const scene = new Scene(f.width, f.height, f.theme.background);
    const heads = this.visibleHeads();
    this.drawn = { notes: [], markers: 0, blockHeads: new Set() };
    if (title !== undefined) this.addTitleAndLegend(scene, f, heads, focus, title);
    if (layer) {
      this.addTokenShading(scene, f, layer, heads, focus);
      this.addLines(scene, f, layer, heads, focus);
    }
    this.addTokens(scene, f, focus);
    this.addHeader(scene, f, layer === undefined);
    if (layer) this.addEdgeNotes(scene, f, layer, heads, focus);
    return scene;
  }

  /**
   * Lines of the frame, batched per head and weight bucket. Without a focused token: every query row
   * of the frame to its keys in the frame. If there are more than f.maxLines, the faintest buckets are
   * dropped (they would be nearly invisible and cost most of the rasterization time). A query's weight on
   * keys above the frame is a marker next to it (▲ and a bar, one segment per visible head).
   */
  private addLines(scene: Scene, f: Frame, layer: LayerData, heads: number[], focus: Focus | null): void {
    const { x0, colW, gap } = f.layout;
    const x1 = x0 + colW + MARK_W, x2 = x0 + colW + gap - 2;
    const T = layer.length;
    const v = layer.values, scale = layer.scale;
    const minRaw = THRESHOLD / scale;
    const width = focus ? 2 : 1;
    const batches = heads.map(() => Array.from({ length: BUCKET_EDGES.length - 1 }, () => [] as number[]));
    const counts = new Array<number>(BUCKET_EDGES.length - 1).fill(0);
    const markers: { q: number; off: number[] }[] = [];
    const queryRows = focus?.side === 'query' ? (focus.index >= f.first && focus.index <= f.last ? [focus.index] : [])
      : focus ? [] : Array.from({ length: f.last - f.first + 1 }, (_, i) => f.first + i);
    for (const q of queryRows) {
      const off = heads.map(() => 0);
      heads.forEach((h, hi) => {
        const o = layer.rowOffset(h, q);
        for (let k = 0; k < f.first; k++) off[hi] += v[o + k] * scale;
        for (let k = f.first; k <= q; k++) {
          const raw = v[o + k];
          if (raw > minRaw) {
            const b = bucketOf(raw * scale);
            batches[hi][b].push(x1, f.y(q), x2, f.y(k));
            counts[b]++;
          }
        }
      });
      markers.push({ q, off });
    }
    if (focus?.side === 'key' && focus.index >= f.first && focus.index <= f.last) {
      const k = focus.index;
      heads.forEach((h, hi) => {
        for (let q = Math.max(k, f.first); q <= f.last && q < T; q++) {
          const raw = v[layer.rowOffset(h, q) + k];
          if (raw > minRaw) {
            const b = bucketOf(raw * scale);
            batches[hi][b].push(x1, f.y(q), x2, f.y(k));
            counts[b]++;
          }
        }
      });
    }
    let from = 0, total = counts.reduce((a, b) => a + b, 0);
    while (total > f.maxLines && from < counts.length - 1) total -= counts[from++];
    this.hiddenBelow = from === 0 ? null : BUCKET_EDGES[from];
    heads.forEach((h, hi) => batches[hi].forEach((coords, b) => {
      if (b >= from && coords.length) scene.add({ kind: 'lines', color: f.colors[h], alpha: bucketAlpha(b), width, coords });
    }));
    for (const m of markers) this.addOffMarker(scene, f, m.q, heads, m.off, focus !== null);
  }

  /** ▲ + a bar (length ∝ mean weight over the visible heads, one coloured segment per head): weight on keys above the frame. */
  private addOffMarker(scene: Scene, f: Frame, q: number, heads: number[], off: number[], large: boolean): void {
    const n = Math.max(1, heads.length);
    const mean = off.reduce((a, b) => a + b, 0) / n;
    if (mean < THRESHOLD) return;
    this.drawn.markers++;
    const x = f.layout.x0 + f.layout.colW + 3, y = f.y(q);
    const barW = MARK_W - 14, barH = large ? 6 : 4;
    scene.add({ kind: 'polygon', points: [[x, y + 3], [x + 3.5, y - 3], [x + 7, y + 3]], fill: f.theme.muted, alpha: Math.min(1, 0.35 + mean) });
    scene.add({ kind: 'rect', x: x + 9, y: y - barH / 2, w: barW, h: barH, fill: f.theme.muted, alpha: 0.25 });
    let bx = x + 9;
    heads.forEach((h, hi) => {
      const w = (off[hi] / n) * barW;
      if (w <= 0) return;
      scene.add({ kind: 'rect', x: bx, y: y - barH / 2, w, h: barH, fill: f.colors[h] });
      bx += w;
    });
  }

  /**
   * Text notes at the frame's edges for what lies outside it: the focused query's weight on keys above,
   * a focused row that is scrolled away, or the queries below that attend to a focused key.
   */
  private addEdgeNotes(scene: Scene, f: Frame, layer: LayerData, heads: number[], focus: Focus | null): void {
    if (!focus || heads.length === 0) return;
    const { x0, colW, gap } = f.layout;
    const size = f.theme.fontSize - 2;
    /**
     * A note on a background: the first of `texts` (longest first) that fits `maxW`, else the last one cut
     * with an ellipsis. `right` = right-aligned at x (it then reaches left into the gap). The full text goes
     * to the status line.
     */
    const note = (x: number, y: number, maxW: number, texts: string[], right = false): void => {
      const c = this.measureCtx(f.theme);
      c.font = `${size}px ${this.ctx.fonts().ui}`;
      const fits = texts.find((t) => c.measureText(t).width + 8 <= maxW);
      const shown = fits ?? fitTextTo(c, texts[texts.length - 1], maxW - 8);
      const w = Math.min(maxW, c.measureText(shown).width + 8);
      const left = right ? x - w : x;
      this.drawn.notes.push(texts[0]);
      scene.add({ kind: 'rect', x: left, y: y - 8, w, h: 16, fill: f.theme.background, alpha: 0.92 });
      scene.add({ kind: 'text', x: left + 4, y, text: shown, color: f.theme.foreground, size, align: 'left' });
    };
    const topY = f.rowsTop + 9, bottomY = f.rowsBottom - 9;
    const keyX = x0 + colW + gap, qX = Math.max(0, x0 - 4);
    const keyW = f.width - keyX - 2, qW = colW + gap / 2;
    // Notes at the key column's top reach left into the gap (right-aligned to the column's end).
    const keyRight = Math.min(f.width - 2, keyX + colW), keyRightW = colW + gap - MARK_W - 4;
    const i = focus.index;
    if (focus.side === 'query') {
      if (i > f.last) note(qX, bottomY, qW, [`▼ query #${i} is below`, `▼ #${i} below`]);
      else if (i < f.first) note(qX, topY, qW, [`▲ query #${i} is above`, `▲ #${i} above`]);
      let off = 0;
      for (const h of heads) for (let k = 0; k < Math.min(f.first, i + 1); k++) off += layer.weight(h, i, k);
      off /= heads.length;
      const n = Math.min(f.first, i + 1);
      const keys = `key${n === 1 ? '' : 's'}`;
      if (n > 0 && off >= 0.005) {
        note(keyRight, topY, keyRightW, [`▲ ${off.toFixed(2)} of the weight on ${n} ${keys} above`, `▲ ${off.toFixed(2)} on ${n} ${keys} above`, `▲ ${off.toFixed(2)} above`], true);
      }
    } else {
      if (i > f.last) note(keyX, bottomY, keyW, [`▼ key #${i} is below`, `▼ #${i} below`]);
      else if (i < f.first) note(keyX, topY, keyW, [`▲ key #${i} is above`, `▲ #${i} above`]);
      const from = Math.max(i, f.last + 1), n = layer.length - from;
      if (n > 0) {
        let sum = 0;
        for (const h of heads) for (let q = from; q < layer.length; q++) sum += layer.weight(h, q, i);
        const mean = (sum / (n * heads.length)).toFixed(2);
        note(qX, bottomY, qW, [`▼ ${n} more quer${n === 1 ? 'y' : 'ies'} below, mean ${mean}`, `▼ ${n} below, mean ${mean}`, `▼ ${n} below`]);
      }
    }
  }

  /**
   * When a token is focused, each token of the frame on the other side gets one block per visible head
   * (bertviz style): the head's colour with opacity ∝ its weight; one visible head fills the whole box.
   */
  private addTokenShading(scene: Scene, f: Frame, layer: LayerData, heads: number[], focus: Focus | null): void {
    if (!focus || heads.length === 0) return;
    const { x0, colW, gap } = f.layout;
    const highContrast = f.theme.highContrast;
    const boxX = (focus.side === 'query' ? x0 + colW + gap : x0) + 2;
    const boxW = colW - 4;
    const lo = focus.side === 'query' ? f.drawFirst : Math.max(f.drawFirst, focus.index);
    const hi = focus.side === 'query' ? Math.min(f.drawLast, focus.index) : f.drawLast;
    const n = heads.length;
    const blockW = boxW / n;
    for (let i = lo; i <= hi; i++) {
      const y = f.y(i) - ROW_H / 2 + 1;
      let best = 0;
      heads.forEach((h, hi2) => {
        const w = focus.side === 'query' ? layer.weight(h, focus.index, i) : layer.weight(h, i, focus.index);
        best = Math.max(best, w);
        if (w < SHADE_MIN) return;
        this.drawn.blockHeads.add(h);
        const alpha = highContrast ? 0.08 + 0.3 * Math.min(1, w) : 0.12 + 0.55 * Math.min(1, w);
        scene.add({ kind: 'rect', x: boxX + hi2 * blockW, y, w: Math.max(1, blockW - (n > 1 && blockW > 3 ? 1 : 0)), h: ROW_H - 2, fill: f.colors[h], alpha });
      });
      // High contrast: text must stay readable, so fainter blocks and an outline.
      if (highContrast && best >= SHADE_MIN) {
        scene.add({ kind: 'rect', x: boxX + 0.5, y: y + 0.5, w: boxW - 1, h: ROW_H - 3, fill: 'transparent', stroke: f.theme.contrastBorder ?? f.theme.foreground });
      }
    }
  }

  private addTokens(scene: Scene, f: Frame, focus: Focus | null): void {
    const theme = f.theme;
    const store = this.ctx.store()!;
    const { x0, colW, gap } = f.layout;
    const query = this.ctx.state.query;
    const c = this.measureCtx(theme);
    for (let i = f.drawFirst; i <= f.drawLast; i++) {
      const y = f.y(i);
      const text = fitTextTo(c, labelToken(store.tokens[i].text), colW - 12);
      const leftFocused = focus?.side === 'query' && focus.index === i;
      const rightFocused = focus?.side === 'key' && focus.index === i;
      if (leftFocused) scene.add({ kind: 'rect', x: x0 + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: theme.selection });
      if (rightFocused) scene.add({ kind: 'rect', x: x0 + colW + gap + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: theme.selection });
      if (query === i) scene.add({ kind: 'rect', x: x0 + 2, y: y - ROW_H / 2 + 1, w: colW - 4, h: ROW_H - 2, fill: 'transparent', stroke: theme.focus });
      // Text on the selection colour uses its foreground (black on yellow in High Contrast).
      const left = leftFocused ? theme.selectionForeground : theme.foreground;
      const right = rightFocused ? theme.selectionForeground : theme.foreground;
      scene.add({ kind: 'text', x: x0 + colW - 6, y, text, color: left, size: theme.fontSize, align: 'right', mono: true });
      scene.add({ kind: 'text', x: x0 + colW + gap + 6, y, text, color: right, size: theme.fontSize, align: 'left', mono: true });
    }
  }

  private addHeader(scene: Scene, f: Frame, loading: boolean): void {
    const theme = f.theme;
    const { x0, colW, gap } = f.layout;
    scene.add({ kind: 'rect', x: 0, y: f.headerTop, w: f.width, h: HEADER_H, fill: theme.background });
    const y = f.headerTop + HEADER_H / 2 + 2;
    const size = theme.fontSize - 1;
    scene.add({ kind: 'text', x: x0 + colW - 6, y, text: 'Queries', color: theme.muted, size, align: 'right', weight: '600' });
    scene.add({ kind: 'text', x: x0 + colW + gap + 6, y, text: 'Keys', color: theme.muted, size, align: 'left', weight: '600' });
    const label = loading ? `L${this.ctx.state.layer} · loading…` : gap >= 120 ? `Layer ${this.ctx.state.layer}` : `L${this.ctx.state.layer}`;
    scene.add({ kind: 'text', x: x0 + colW + gap / 2, y, text: label, color: theme.muted, size, align: 'center' });
  }

  /** Export: the title, then a legend (one swatch per visible head and how to read lines and markers). */
  private addTitleAndLegend(scene: Scene, f: Frame, heads: number[], focus: Focus | null, title: string): void {
    const theme = f.theme;
    const items = this.legendItems(theme, heads, f.width);
    const store = this.ctx.store()!;
    if (title) scene.add({ kind: 'text', x: EXPORT_MARGIN, y: EXPORT_MARGIN + TITLE_H / 2, text: title, color: theme.foreground, size: theme.fontSize + 3, align: 'left', weight: '600' });
    const top = EXPORT_MARGIN + (title ? TITLE_H : 0);
    const size = theme.fontSize - 1;
    for (const it of items.swatches) {
      const y = top + it.row * LEGEND_ROW + LEGEND_ROW / 2;
      scene.add({ kind: 'rect', x: it.x, y: y - 5, w: 10, h: 10, fill: f.colors[it.head] });
      scene.add({ kind: 'text', x: it.x + 14, y, text: `H${it.head}`, color: theme.foreground, size, align: 'left' });
    }
    const what = focus?.side === 'query' ? `query #${focus.index} ${JSON.stringify(store.tokens[focus.index].text)} to the keys it attends to`
      : focus?.side === 'key' ? `queries attending to key #${focus.index} ${JSON.stringify(store.tokens[focus.index].text)}`
      : 'every query to the keys it attends to';
    const lines = [
      `Layer ${this.ctx.state.layer}: lines from ${what}; opacity ∝ attention weight (weights < ${this.hiddenBelow ?? THRESHOLD} omitted).`,
      f.first > 0 ? `▲ bar next to a query: its weight on keys before #${f.first} (outside this range), one segment per head.` : '',
    ].filter(Boolean);
    const c = this.measureCtx(theme);
    c.font = `${size}px ${this.ctx.fonts().ui}`;
    let y = top + items.rows * LEGEND_ROW + LEGEND_ROW / 2;
    for (const line of lines) {
      for (const part of wrapText(c, line, f.width - 2 * EXPORT_MARGIN)) {
        scene.add({ kind: 'text', x: EXPORT_MARGIN, y, text: part, color: theme.muted, size, align: 'left' });
        y += LEGEND_ROW;
      }
    }
  }

  private legendItems(theme: Theme, heads: number[], width: number): { swatches: { head: number; x: number; row: number }[]; rows: number } {
    const c = this.measureCtx(theme);
    c.font = `${theme.fontSize - 1}px ${this.ctx.fonts().ui}`;
    const swatches: { head: number; x: number; row: number }[] = [];
    let x = EXPORT_MARGIN, row = 0;
    for (const h of heads) {
      const w = 14 + c.measureText(`H${h}`).width + 12;
      if (x + w > width - EXPORT_MARGIN && x > EXPORT_MARGIN) { row++; x = EXPORT_MARGIN; }
      swatches.push({ head: h, x, row });
      x += w;
    }
    return { swatches, rows: heads.length ? row + 1 : 0 };
  }

  /** Height of title + legend in an export of this width. */
  private legendHeight(theme: Theme, heads: number[], width: number, title: string, rangeStart: number): number {
    const c = this.measureCtx(theme);
    const size = theme.fontSize - 1;
    c.font = `${size}px ${this.ctx.fonts().ui}`;
    const text = `Layer ${this.ctx.state.layer}: lines from every query to the keys it attends to; opacity ∝ attention weight (weights < 0.01 omitted). xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`;
    let rows = this.legendItems(theme, heads, width).rows + wrapText(c, text, width - 2 * EXPORT_MARGIN).length;
    if (rangeStart > 0) rows += wrapText(c, `▲ bar next to a query: its weight on keys before #${rangeStart} (outside this range), one segment per head.`, width - 2 * EXPORT_MARGIN).length;
    return EXPORT_MARGIN + (title ? TITLE_H : 0) + rows * LEGEND_ROW + 8;
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

  /**
   * Scroll so that row i is visible (used when the query is set from elsewhere too). A row far out of
   * view is centred, so the keys it attends to (above it) are in view too.
   */
  scrollIntoView(i: number): void {
    const top = HEADER_H + PAD + i * ROW_H;
    const s = this.scroller;
    const far = top + ROW_H < s.scrollTop - s.clientHeight / 2 || top > s.scrollTop + s.clientHeight * 1.5;
    if (far) s.scrollTop = Math.max(0, top - Math.floor(s.clientHeight * 2 / 3));
    else if (top - HEADER_H < s.scrollTop) s.scrollTop = top - HEADER_H - PAD;
    else if (top + ROW_H > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_H - s.clientHeight + PAD;
  }

  /** The range the user sees: the dialog offers it as the export range. */
  exportRange(): { start: number; end: number } | null {
    return this.lastVisible;
  }

  private exportFrame(opts: ExportOptions): { frame: Frame; layer: LayerData | undefined } {
    const store = this.ctx.store();
    if (!store) throw new Error('Nothing to export yet: no analysis has been received');
    const layer = store.peek(this.ctx.state.layer);
    if (!layer) throw new Error(`Layer ${this.ctx.state.layer} has not arrived yet: try again in a moment`);
    const theme = exportTheme(this.ctx.theme(), opts.background);
    const { start, end } = opts.range ?? { start: 0, end: store.T };
    const layout = this.computeLayout(0, theme, true);
    const heads = this.visibleHeads();
    const top = this.legendHeight(theme, heads, layout.width, opts.title, start);
    const height = top + HEADER_H + 2 * PAD + (end - start) * ROW_H;
    const frame: Frame = {
      theme, colors: headColors(store.H, isDarkTheme(theme)), layout, width: layout.width, height,
      first: start, last: end - 1, drawFirst: start, drawLast: end - 1,
      rowsTop: top + HEADER_H, rowsBottom: height, headerTop: top,
      y: (i) => top + HEADER_H + PAD + (i - start) * ROW_H + ROW_H / 2, maxLines: EXPORT_MAX_LINES,
    };
    return { frame, layer };
  }

  exportSize(opts: ExportOptions): { width: number; height: number } {
    const { frame } = this.exportFrame(opts);
    return { width: frame.width, height: frame.height };
  }

  /** The whole view (all tokens, or opts.range), with title and legend, on the chosen background. */
  private exportScene(opts: ExportOptions): Scene {
    const { frame, layer } = this.exportFrame(opts);
    const focus = this.focus();
    const inRange = focus && focus.index >= frame.first && focus.index <= frame.last ? focus : null;
    // The lines are computed first so the legend can say which weights were omitted.
    const probe = new Scene(1, 1, '');
    this.addLines(probe, frame, layer!, this.visibleHeads(), inRange);
    const scene = this.buildScene(frame, layer, inRange, opts.title);
    this.hiddenBelow = null;
    return scene;
  }

  exportPng(opts: ExportOptions): string {
    return sceneToPng(this.exportScene(opts), this.ctx.fonts(), opts.scale);
  }

  exportPngAsync(opts: ExportOptions): Promise<string> {
    return sceneToPngAsync(this.exportScene(opts), this.ctx.fonts(), opts.scale);
  }

  exportSvg(opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(opts), this.ctx.fonts());
  }
}

/** Truncate with an ellipsis to fit maxWidth (context font). */
function fitTextTo(c: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  return fitText(c, text, Math.max(8, maxWidth));
}

/** Greedy word wrap to a width (context font). */
function wrapText(c: CanvasRenderingContext2D, text: string, maxWidth: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && c.measureText(next).width > maxWidth) { out.push(line); line = word; } else line = next;
  }
  if (line) out.push(line);
  return out;
}
