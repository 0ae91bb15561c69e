// Heatmaps: one head (or the mean over heads) with zoom, pan, a minimap and token labels once cells
// are big enough; or a grid — all heads of a layer ("by block") or one head index through all layers
// ("by layer"). Both can be cropped to a token range (shared with exports). The causal mask is
// hatched; hovering a cell shows query, key and weight; clicking a row selects the query.
import { labelToken, type AnalysisStore, type LayerData } from '../data';
import { el, fillRemainingHeight, hasFocus, interactiveCanvas, type ExportOptions, type PanelContext, type PanelView } from '../context';
import { fitCanvas, fitText } from '../canvas';
import { cssColorToRgb, type Theme } from '../colors';
import { addHorizontalLegend, addVerticalLegend } from '../heatmapLegend';
import { fillFullImage, fillPooledImage, MatrixImageCache, weightAt, strokeLines, windowHatch, type WeightSource } from '../heatmapImage';
import {
  centreOn, clampViewport, ensureVisible, formatTokenRange, fullViewport, isZoomed, panBy, parseTokenRange,
  tokenTickStep, viewportRange, visibleTokens, zoomAt, zoomFactor, type Viewport,
} from '../heatmapViewport';
import { drawScene, Scene } from '../scene';
import type { TokenRange } from '../state';
import { exportHeatmapPng, exportHeatmapSvg, type ExportPanel } from './heatmapExport';
import { HeatmapToolbar, type ShowMode } from './heatmapToolbar';

const M = 10;
const TITLE_H = 22;
/** Side column (wide layout): minimap above the colour bar. */
const SIDE_W = 112;
/** Below the plot (narrow layout): horizontal colour bar and minimap. */
const BOTTOM_H = 64;
const NARROW_W = 520;
/** Token labels appear when a cell is at least this many px. */
const LABEL_CELL_PX = 10;
const POOL_MAX = 256;
const LEGEND_W = 84;
const WHEEL_ZOOM = 0.0022;

interface Rect { x: number; y: number; size: number }

interface GridCell extends Rect {
  layer: number;
  head: number | null;
  title: string;
}

interface SingleLayout {
  plot: Rect;
  gutter: number;
  minimap: Rect | null;
  narrow: boolean;
}

type Drag =
  | { kind: 'pan'; x: number; y: number; start: Viewport; moved: boolean }
  | { kind: 'minimap'; moved: boolean }
  | { kind: 'axis'; axis: 'q' | 'k'; from: number; to: number; moved: boolean; x: number; y: number };


/** Weights of one head (or the mean) of a layer, without copying u8 layers to floats. */
export function weightSource(layer: LayerData, head: number | null): WeightSource {
  const T = layer.length;
  if (head === null) return { values: layer.values, offset: 0, scale: layer.scale / layer.heads, T, heads: layer.heads };
  return { values: layer.values, offset: head * T * T, scale: layer.scale, T };
}

export class HeatmapView implements PanelView {
  readonly id = 'heatmap' as const;
  readonly label = 'Heatmaps';
  readonly element: HTMLElement;
  private readonly toolbar: HeatmapToolbar;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly cache = new MatrixImageCache();
  private cells: GridCell[] = [];
  private single: (SingleLayout & { src: WeightSource; layer: number; head: number | null }) | null = null;
  private viewport: Viewport | null = null;
  private viewportKey = '';
  private drag: Drag | null = null;
  private suppressClick = false;
  private lastQuery: number | null = null;
  private labelWidths = { key: '', width: 0 };
  /** Keyboard cursor: a cell (query row, key column) of the single heatmap, or a panel of the grid. */
  private cursor = { q: 0, k: 0, panel: 0 };
  private gridCols = 1;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view heatmap-view');
    this.toolbar = new HeatmapToolbar({
      setMode: (m) => this.setMode(m),
      setGamma: (gamma) => this.ctx.update({ gamma }),
      zoomBy: (f) => this.zoomBy(f),
      resetZoom: () => this.setViewport(null),
      cropToView: () => this.cropToView(),
      applyRange: (text) => this.applyRangeText(text),
      clearRange: () => this.setRange(null),
    });
    this.box = el('div', 'canvas-box');
    this.canvas = interactiveCanvas('heatmap-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => this.ctx.tooltip.hide(),
      click: (e) => this.onClick(e),
      key: (e) => this.onKey(e),
      focus: () => { this.announceCursor(); this.ctx.invalidate(); },
    });
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.canvas.addEventListener('pointerup', (e) => this.onPointerUp(e));
    this.canvas.addEventListener('pointercancel', () => { this.drag = null; this.ctx.invalidate(); });
    this.box.append(this.canvas);
    this.element.append(this.toolbar.element, this.box);
  }

  reportedHead(): number | null {
    return this.ctx.state.head;
  }

  /** The shared Layer/Head controls act only where they change this view. */
  navControls(): { layer: boolean; head: boolean } {
    const s = this.ctx.state;
    if (s.heatmapLayout === 'single') return { layer: true, head: true };
    return s.browse === 'block' ? { layer: true, head: false } : { layer: false, head: true };
  }

  mode(): ShowMode {
    const s = this.ctx.state;
    return s.heatmapLayout === 'single' ? 'single' : s.browse;
  }

  private setMode(mode: ShowMode): void {
    if (mode === 'single') this.ctx.update({ heatmapLayout: 'single' });
    else this.ctx.update({ heatmapLayout: 'grid', browse: mode === 'layer' ? 'layer' : 'block' });
  }

  /** Page Up/Down: the next head (one heatmap or a head across layers) or layer (heads of a layer). */
  step(delta: number): void {
    const store = this.ctx.store();
    if (!store) return;
    const s = this.ctx.state;
    if (this.mode() === 'block') {
      this.ctx.update({ layer: (s.layer + delta + store.L) % store.L });
    } else {
      const n = store.H + 1;
      const cur = s.head === null ? store.H : s.head;
      const nxt = (cur + delta + n) % n;
      this.ctx.update({ head: nxt === store.H ? null : nxt });
    }
  }

  // ---- Range (crop) and viewport

  /** The tokens shown: the crop, or all. */
  range(): TokenRange {
    const T = this.ctx.store()?.T ?? 1;
    const r = this.ctx.state.heatmapRange;
    return r && r.end <= T && r.end - r.start >= 2 ? r : { start: 0, end: T };
  }

  private rangeText(): string {
    return this.ctx.state.heatmapRange ? formatTokenRange(this.range()) : '';
  }

  private setRange(r: TokenRange | null): void {
    const T = this.ctx.store()?.T ?? 0;
    const full = !r || (r.start <= 0 && r.end >= T);
    this.toolbar.showError('');
    this.ctx.update({ heatmapRange: full ? null : r });
    this.toolbar.setRangeText(this.rangeText());
    this.ctx.announce(full ? 'Showing all tokens' : `Cropped to tokens ${formatTokenRange(r!)}`);
  }

  /** A range typed in the toolbar: applied, or the reason it cannot be. */
  private applyRangeText(text: string): string {
    const store = this.ctx.store();
    if (!store) return '';
    if (text === '') { this.setRange(null); return ''; }
    const r = parseTokenRange(text, store.T);
    if (typeof r === 'string') return r;
    this.setRange(r);
    return '';
  }

  private cropToView(): void {
    if (this.viewport) this.setRange(viewportRange(this.viewport));
  }

  /** The current window (the whole range after a new analysis or crop). */
  private currentViewport(): Viewport {
    const store = this.ctx.store()!;
    const r = this.range();
    const key = `${store.id}|${r.start}-${r.end}`;
    if (!this.viewport || key !== this.viewportKey) {
      this.viewportKey = key;
      this.viewport = fullViewport(r);
    }
    return this.viewport;
  }

  private setViewport(v: Viewport | null): void {
    if (!this.ctx.store()) return;
    const r = this.range();
    this.currentViewport();
    this.viewport = v ? clampViewport(v, r) : fullViewport(r);
    this.ctx.invalidate();
  }

  /** Zoom around the keyboard cursor when it is in view, else around the centre. */
  private zoomBy(factor: number): void {
    if (!this.ctx.store()) return;
    const v = this.currentViewport();
    const { q, k } = this.cursor;
    const inView = k >= v.k0 && k < v.k0 + v.n && q >= v.q0 && q < v.q0 + v.n;
    const fx = inView ? (k + 0.5 - v.k0) / v.n : 0.5, fy = inView ? (q + 0.5 - v.q0) / v.n : 0.5;
    this.setViewport(zoomAt(v, this.range(), factor, fx, fy));
    this.announceZoom();
  }

  private announceZoom(): void {
    if (!this.viewport) return;
    const t = visibleTokens(this.viewport);
    this.ctx.announce(`Zoom ${formatZoom(zoomFactor(this.viewport, this.range()))}: keys ${t.k[0]}–${t.k[1]}, queries ${t.q[0]}–${t.q[1]}`);
  }

  // ---- Controls

  private syncControls(store: AnalysisStore): void {
    const s = this.ctx.state;
    const mode = this.mode();
    const headName = s.head === null ? 'mean of heads' : `head ${s.head}`;
    const r = this.range();
    const v = this.viewport && this.viewportKey === `${store.id}|${r.start}-${r.end}` ? this.viewport : fullViewport(r);
    const zoomed = isZoomed(v, r);
    const t = visibleTokens(v);
    this.toolbar.sync({
      mode, gamma: s.gamma, T: store.T, zoomed, cropped: s.heatmapRange !== null, rangeText: this.rangeText(),
      position: mode === 'block' ? `layer ${s.layer}: all heads` : mode === 'layer' ? `${headName}: all layers` : `layer ${s.layer} · ${headName}`,
      zoomText: formatZoom(zoomFactor(v, r)),
      zoomTitle: zoomed ? `keys ${t.k[0]}–${t.k[1]}, queries ${t.q[0]}–${t.q[1]}` : 'whole range',
    });
  }

  // ---- Rendering

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    this.syncControls(store);
    if (this.ctx.state.query !== null) this.cursor.q = this.ctx.state.query;
    const height = fillRemainingHeight(this.box);
    const width = this.box.clientWidth;
    const g = fitCanvas(this.canvas, width, height);
    const complete = this.mode() === 'single' ? this.renderSingle(g, store, width, height) : this.renderGrid(g, store, width, height);
    const s = this.ctx.state;
    this.canvas.setAttribute('aria-label', this.mode() !== 'single'
      ? `Grid of attention heatmaps (${this.cells.length} panels${s.heatmapRange ? ', tokens ' + formatTokenRange(this.range()) : ''}). Click one to open it; arrow keys move between panels, Enter opens one.`
      : `Attention heatmap, layer ${s.layer}, ${s.head === null ? 'mean of heads' : 'head ' + s.head}: rows are queries, columns keys; the masked upper triangle is hatched. ` +
        'Arrow keys move a cell and read its weight; Enter selects the query row; plus and minus zoom, 0 resets, Shift+arrows pan; Page Up and Page Down step through heads.');
    return complete;
  }

  private masked(theme: Theme): [number, number, number] {
    return cssColorToRgb(theme.masked);
  }

  /** The full-resolution [T, T] image of one head (cached: zoom and pan only redraw it). */
  fullImage(store: AnalysisStore, layer: LayerData, head: number | null, gamma: number, theme: Theme): HTMLCanvasElement {
    const masked = this.masked(theme);
    const key = `full|${store.id}|${layer.layer}|${head}|${layer.encoding}|${gamma}|${masked.join(',')}`;
    return this.cache.get(key, store.T, store.T, (img) => fillFullImage(img, weightSource(layer, head), gamma, masked));
  }

  private pooledImage(store: AnalysisStore, layer: LayerData, head: number | null, r: TokenRange, theme: Theme): HTMLCanvasElement {
    const gamma = this.ctx.state.gamma;
    const masked = this.masked(theme);
    const S = Math.min(POOL_MAX, r.end - r.start);
    const key = `pool|${store.id}|${layer.layer}|${head}|${layer.encoding}|${gamma}|${masked.join(',')}|${r.start}-${r.end}|${S}`;
    return this.cache.get(key, S, S, (img) => fillPooledImage(img, weightSource(layer, head), r.start, r.end, S, gamma, masked));
  }

  /**
   * A mean-pooled picture of the range with 2^j tokens per pixel, the coarsest that still has at
   * least one pixel per device pixel at `tokensPerPx`; undefined when full resolution is needed.
   */
  private pooledLevel(store: AnalysisStore, layer: LayerData, head: number | null, r: TokenRange, tokensPerPx: number, theme: Theme): HTMLCanvasElement | undefined {
    const j = Math.floor(Math.log2(Math.max(1, tokensPerPx)));
    if (j < 1) return undefined;
    const len = r.end - r.start;
    const S = Math.ceil(len / 2 ** j);
    const gamma = this.ctx.state.gamma;
    const masked = this.masked(theme);
    const key = `level|${store.id}|${layer.layer}|${head}|${layer.encoding}|${gamma}|${masked.join(',')}|${r.start}-${r.end}|${S}`;
    return this.cache.get(key, S, S, (img) => fillPooledImage(img, weightSource(layer, head), r.start, r.end, S, gamma, masked));
  }

  /** Width of the token label gutter: the longest label, within limits (measured once per analysis). */
  private gutterWidth(store: AnalysisStore, narrow: boolean): number {
    const theme = this.ctx.theme();
    const font = `${theme.fontSize - 1}px ${this.ctx.fonts().mono}`;
    const key = `${store.id}|${font}`;
    if (this.labelWidths.key !== key) {
      const g = this.canvas.getContext('2d')!;
      g.font = font;
      let w = 0;
      for (const t of store.tokens) w = Math.max(w, g.measureText(labelToken(t.text)).width);
      this.labelWidths = { key, width: w };
    }
    return Math.round(Math.max(36, Math.min(narrow ? 58 : 84, this.labelWidths.width + 10)));
  }

  private singleLayout(store: AnalysisStore, width: number, height: number, zoomed: boolean): SingleLayout {
    const narrow = width < NARROW_W;
    const gutter = this.gutterWidth(store, narrow);
    const avW = width - 2 * M - gutter - (narrow ? 0 : SIDE_W);
    const avH = height - 2 * M - TITLE_H - gutter - (narrow ? BOTTOM_H : 0);
    const size = Math.max(40, Math.floor(Math.min(avW, avH)));
    const x = M + gutter, y = M + TITLE_H + gutter;
    let minimap: Rect | null = null;
    if (zoomed) {
      minimap = narrow
        ? { x: x + size - 56, y: y + size + 8, size: 56 }
        : { x: x + size + 14, y, size: Math.min(SIDE_W - 16, 96) };
    }
    return { plot: { x, y, size }, gutter, minimap, narrow };
  }

  private renderSingle(g: CanvasRenderingContext2D, store: AnalysisStore, width: number, height: number): boolean {
    const theme = this.ctx.theme();
    const s = this.ctx.state;
    this.cells = [];
    const r = this.range();
    // A query picked elsewhere (token strip, editor) that is out of view: bring its row into view.
    if (s.query !== this.lastQuery) {
      this.lastQuery = s.query;
      if (s.query !== null && s.query >= r.start && s.query < r.end) {
        const cur = this.currentViewport();
        if (s.query < cur.q0 || s.query + 1 > cur.q0 + cur.n) this.viewport = ensureVisible(cur, r, s.query, Math.max(r.start, Math.min(s.query, Math.floor(cur.k0))));
      }
    }
    const v = this.currentViewport();
    const zoomed = isZoomed(v, r);
    const layout = this.singleLayout(store, width, height, zoomed);
    const { plot } = layout;
    const scene = new Scene(width, height, theme.background);
    const headName = s.head === null ? 'mean of heads' : 'head ' + s.head;
    const title = `Layer ${s.layer} · ${headName}${s.heatmapRange ? ` · tokens ${formatTokenRange(r)}` : ''}`;
    g.font = `600 ${theme.fontSize + 1}px ${this.ctx.fonts().ui}`;
    scene.add({ kind: 'text', x: M, y: M + TITLE_H / 2 - 2, text: fitText(g, title, width - 2 * M), color: theme.foreground, size: theme.fontSize + 1, align: 'left', weight: '600' });
    this.addAxes(scene, g, store, layout, v);
    this.addLegend(scene, layout);
    const data = store.need(s.layer, 'f32');
    if (!data) {
      this.single = null;
      scene.add({ kind: 'rect', x: plot.x, y: plot.y, w: plot.size, h: plot.size, fill: theme.masked });
      scene.add({ kind: 'text', x: plot.x + plot.size / 2, y: plot.y + plot.size / 2, text: 'loading…', color: theme.muted, size: theme.fontSize - 1, align: 'center' });
      drawScene(g, scene, this.ctx.fonts(), true);
      return false;
    }
    drawScene(g, scene, this.ctx.fonts(), true);
    const image = () => this.fullImage(store, data, s.head, s.gamma, theme);
    this.single = { ...layout, src: weightSource(data, s.head), layer: s.layer, head: s.head };
    const cell = plot.size / v.n;
    g.save();
    g.beginPath();
    g.rect(plot.x, plot.y, plot.size, plot.size);
    g.clip();
    // More tokens than device pixels: draw a mean-pooled level (cached) instead of resampling a
    // million-pixel image on every frame; each pooled pixel still covers at most one device pixel.
    const level = this.pooledLevel(store, data, s.head, r, v.n / (plot.size * (window.devicePixelRatio || 1)), theme);
    if (level) {
      const f = level.width / (r.end - r.start);
      g.imageSmoothingEnabled = true;
      g.imageSmoothingQuality = 'low';
      g.drawImage(level, (v.k0 - r.start) * f, (v.q0 - r.start) * f, v.n * f, v.n * f, plot.x, plot.y, plot.size, plot.size);
    } else {
      g.imageSmoothingEnabled = false;
      g.drawImage(image(), v.k0, v.q0, v.n, v.n, plot.x, plot.y, plot.size, plot.size);
    }
    if (plot.size >= 60) strokeLines(g, windowHatch(plot.x, plot.y, plot.size, (v.q0 - v.k0 + 1) * cell, 7), theme.muted, 0.35);
    this.drawSelection(g, plot, v);
    this.drawAxisDrag(g, plot, v, theme);
    g.restore();
    if (theme.highContrast && theme.contrastBorder) {
      g.strokeStyle = theme.contrastBorder;
      g.lineWidth = 1;
      g.strokeRect(plot.x - 0.5, plot.y - 0.5, plot.size + 1, plot.size + 1);
    }
    if (layout.minimap) {
      const mm = layout.minimap;
      const small = this.pooledLevel(store, data, s.head, r, (r.end - r.start) / (mm.size * (window.devicePixelRatio || 1)), theme);
      this.drawMinimap(g, mm, small ?? image(), small ? { start: 0, end: small.width } : r, r, v, theme);
    }
    if (hasFocus(this.canvas)) this.drawCursor(g, plot, v);
    // What is on screen, for tests and tools (the canvas pixels alone do not say it).
    const t = visibleTokens(v);
    const d = this.canvas.dataset;
    d.zoom = zoomFactor(v, r).toFixed(2);
    d.window = `${t.k[0]}-${t.k[1]},${t.q[0]}-${t.q[1]}`;
    d.labels = cell >= LABEL_CELL_PX ? 'tokens' : 'numbers';
    d.minimap = layout.minimap ? 'shown' : 'hidden';
    d.plot = `${plot.x},${plot.y},${plot.size}`;
    return true;
  }

  /** Token labels on both axes when cells are big enough, else token numbers at round intervals. */
  private addAxes(scene: Scene, g: CanvasRenderingContext2D, store: AnalysisStore, layout: SingleLayout, v: Viewport): void {
    const theme = this.ctx.theme();
    const { plot, gutter } = layout;
    const cell = plot.size / v.n;
    const t = visibleTokens(v);
    const inside = (centre: number) => centre >= -0.5 && centre <= plot.size + 0.5;
    const muted = theme.muted;
    const small = theme.fontSize - 2;
    g.font = `${small}px ${this.ctx.fonts().ui}`;
    scene.add({ kind: 'text', x: plot.x - 10, y: plot.y - 34, text: fitText(g, 'key →', gutter - 12), color: muted, size: small, align: 'right' });
    scene.add({ kind: 'text', x: plot.x - 10, y: plot.y - 21, text: fitText(g, 'query ↓', gutter - 12), color: muted, size: small, align: 'right' });
    if (cell >= LABEL_CELL_PX) {
      const fs = Math.min(theme.fontSize - 1, Math.max(8, Math.floor(cell * 0.75)));
      g.font = `${fs}px ${this.ctx.fonts().mono}`;
      const max = gutter - 8;
      for (let q = t.q[0]; q <= t.q[1]; q++) {
        const cy = (q - v.q0 + 0.5) * cell;
        if (!inside(cy)) continue;
        const selected = this.ctx.state.query === q;
        scene.add({ kind: 'text', x: plot.x - 4, y: plot.y + cy, text: fitText(g, labelToken(store.tokens[q].text), max), color: selected ? theme.focus : theme.foreground, size: fs, align: 'right', mono: true, weight: selected ? 'bold' : undefined });
      }
      for (let k = t.k[0]; k <= t.k[1]; k++) {
        const cx = (k - v.k0 + 0.5) * cell;
        if (!inside(cx)) continue;
        scene.add({ kind: 'text', x: plot.x + cx, y: plot.y - 4, text: fitText(g, labelToken(store.tokens[k].text), max), color: theme.foreground, size: fs, align: 'left', mono: true, rotate: -90 });
      }
      return;
    }
    const step = tokenTickStep(cell, 34);
    const ticks: number[] = [];
    for (let i = Math.ceil(t.q[0] / step) * step; i <= t.q[1]; i += step) {
      const cy = (i - v.q0 + 0.5) * cell;
      if (!inside(cy)) continue;
      scene.add({ kind: 'text', x: plot.x - 6, y: plot.y + cy, text: String(i), color: muted, size: small, align: 'right' });
      ticks.push(plot.x - 4, plot.y + cy, plot.x, plot.y + cy);
    }
    for (let i = Math.ceil(t.k[0] / step) * step; i <= t.k[1]; i += step) {
      const cx = (i - v.k0 + 0.5) * cell;
      if (!inside(cx)) continue;
      scene.add({ kind: 'text', x: plot.x + cx, y: plot.y - 11, text: String(i), color: muted, size: small, align: 'center' });
      ticks.push(plot.x + cx, plot.y - 4, plot.x + cx, plot.y);
    }
    scene.add({ kind: 'lines', color: muted, alpha: 0.8, width: 1, coords: ticks });
  }

  private addLegend(scene: Scene, layout: SingleLayout): void {
    const { plot, narrow } = layout;
    if (narrow) {
      const w = Math.max(60, Math.min(200, plot.size - (layout.minimap ? 70 : 0) - 10));
      addHorizontalLegend(scene, this.ctx.theme(), this.ctx.state.gamma, plot.x, plot.y + plot.size + 10, w);
    } else {
      const top = layout.minimap ? layout.minimap.y + layout.minimap.size + 30 : plot.y;
      addVerticalLegend(scene, this.ctx.theme(), this.ctx.state.gamma, plot.x + plot.size + 16, top, Math.max(60, Math.min(200, plot.y + plot.size - top - 30)));
    }
  }

  /** `source` holds the range at pixels [src.start, src.end) on both axes. */
  private drawMinimap(g: CanvasRenderingContext2D, mm: Rect, image: HTMLCanvasElement, src: TokenRange, r: TokenRange, v: Viewport, theme: Theme): void {
    const len = r.end - r.start;
    g.save();
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'low';
    g.drawImage(image, src.start, src.start, src.end - src.start, src.end - src.start, mm.x, mm.y, mm.size, mm.size);
    g.strokeStyle = theme.contrastBorder ?? theme.border;
    g.lineWidth = 1;
    g.strokeRect(mm.x - 0.5, mm.y - 0.5, mm.size + 1, mm.size + 1);
    const f = mm.size / len;
    const wx = mm.x + (v.k0 - r.start) * f, wy = mm.y + (v.q0 - r.start) * f, ws = Math.max(3, v.n * f);
    g.lineWidth = 2;
    g.strokeStyle = theme.focus;
    g.strokeRect(wx, wy, ws, ws);
    g.lineWidth = 1;
    g.strokeStyle = theme.background;
    g.strokeRect(wx + 1.5, wy + 1.5, Math.max(0, ws - 3), Math.max(0, ws - 3));
    g.restore();
  }

  private drawSelection(g: CanvasRenderingContext2D, plot: Rect, v: Viewport): void {
    const q = this.ctx.state.query;
    if (q === null || q < v.q0 - 1 || q > v.q0 + v.n) return;
    const cell = plot.size / v.n;
    const theme = this.ctx.theme();
    const y = plot.y + (q - v.q0) * cell;
    const w = Math.min(plot.size, (q + 1 - v.k0) * cell);
    if (w <= 0) return;
    g.strokeStyle = theme.focus;
    g.lineWidth = 1.5;
    g.strokeRect(plot.x - 1, y - 0.5, w + 2, cell + 1);
    if (theme.highContrast) {
      // The focus colour alone is too close to the dark end of the colour map (High Contrast Light).
      g.strokeStyle = theme.background;
      g.lineWidth = 1;
      g.strokeRect(plot.x + 0.5, y + 1, w - 1, cell - 2);
    }
  }

  /** While dragging along an axis: the rows (or columns) that will be the crop. */
  private drawAxisDrag(g: CanvasRenderingContext2D, plot: Rect, v: Viewport, theme: Theme): void {
    const d = this.drag;
    if (!d || d.kind !== 'axis' || !d.moved) return;
    const cell = plot.size / v.n;
    const a = Math.min(d.from, d.to), b = Math.max(d.from, d.to) + 1;
    g.fillStyle = theme.focus;
    g.globalAlpha = 0.25;
    if (d.axis === 'q') g.fillRect(plot.x, plot.y + (a - v.q0) * cell, plot.size, (b - a) * cell);
    else g.fillRect(plot.x + (a - v.k0) * cell, plot.y, (b - a) * cell, plot.size);
    g.globalAlpha = 1;
  }

  /** The keyboard cursor: focus colour outside, background colour inside (visible on any weight colour). */
  private drawCursor(g: CanvasRenderingContext2D, plot: Rect, v: Viewport): void {
    const theme = this.ctx.theme();
    const { q, k } = this.clampCursor();
    const cell = plot.size / v.n;
    const x = plot.x + (k - v.k0) * cell, y = plot.y + (q - v.q0) * cell;
    const w = Math.max(cell, 2);
    g.lineWidth = 2;
    g.strokeStyle = theme.focus;
    g.strokeRect(x - 2, y - 2, w + 4, w + 4);
    g.lineWidth = 1;
    g.strokeStyle = theme.background;
    g.strokeRect(x - 0.5, y - 0.5, w + 1, w + 1);
  }

  // ---- Grid

  private renderGrid(g: CanvasRenderingContext2D, store: AnalysisStore, width: number, height: number): boolean {
    const theme = this.ctx.theme();
    const s = this.ctx.state;
    const r = this.range();
    this.single = null;
    const scene = new Scene(width, height, theme.background);
    const wanted = gridPanels(store, s.layer, s.head, this.mode() === 'layer' ? 'layer' : 'block');
    const n = wanted.length;
    const narrow = width < NARROW_W;
    const legendW = narrow ? 0 : LEGEND_W;
    const legendH = narrow ? 50 : 0;
    const { cols, size } = gridShape(n, width - 2 * M, height - 2 * M - legendH, 18, 10, legendW);
    this.gridCols = cols;
    const usedW = cols * size + (cols - 1) * 10;
    const left = M + Math.max(0, (width - 2 * M - legendW - usedW) / 2);
    const cells: GridCell[] = [];
    const images: (HTMLCanvasElement | null)[] = [];
    let complete = true;
    wanted.forEach((w, i) => {
      const x = left + (i % cols) * (size + 10);
      const y = M + Math.floor(i / cols) * (size + 28) + 18;
      const color = w.head === null ? theme.foreground : this.ctx.headColors()[w.head];
      scene.add({ kind: 'text', x: x + size / 2, y: y - 9, text: w.title, color, size: theme.fontSize - 1, align: 'center', weight: '600' });
      const data = this.layerFor(store, w.layer);
      cells.push({ x, y, size, layer: w.layer, head: w.head, title: w.title });
      if (data) images.push(this.pooledImage(store, data, w.head, r, theme));
      else {
        complete = false;
        images.push(null);
        scene.add({ kind: 'rect', x, y, w: size, h: size, fill: theme.masked });
        scene.add({ kind: 'text', x: x + size / 2, y: y + size / 2, text: 'loading…', color: theme.muted, size: theme.fontSize - 1, align: 'center' });
      }
    });
    const rows = Math.ceil(n / cols);
    if (narrow) addHorizontalLegend(scene, theme, s.gamma, left, M + rows * (size + 28) + 8, Math.min(200, usedW));
    else addVerticalLegend(scene, theme, s.gamma, left + usedW + 16, M + 18, Math.min(200, height - 2 * M - 48));
    drawScene(g, scene, this.ctx.fonts(), true);
    cells.forEach((c, i) => {
      const img = images[i];
      if (!img) return;
      g.imageSmoothingEnabled = c.size < img.width;
      g.imageSmoothingQuality = 'high';
      g.drawImage(img, c.x, c.y, c.size, c.size);
      if (c.size >= 60) {
        g.save();
        g.beginPath();
        g.rect(c.x, c.y, c.size, c.size);
        g.clip();
        strokeLines(g, windowHatch(c.x, c.y, c.size, c.size / (r.end - r.start), c.size > 200 ? 7 : 5), theme.muted, 0.35);
        g.restore();
      }
      if (theme.highContrast && theme.contrastBorder) {
        g.strokeStyle = theme.contrastBorder;
        g.lineWidth = 1;
        g.strokeRect(c.x - 0.5, c.y - 0.5, c.size + 1, c.size + 1);
      }
    });
    this.cells = cells;
    if (hasFocus(this.canvas)) {
      const c = cells[Math.min(this.cursor.panel, cells.length - 1)];
      if (c) {
        g.lineWidth = 2;
        g.strokeStyle = theme.focus;
        g.strokeRect(c.x - 2, c.y - 2, c.size + 4, c.size + 4);
        g.lineWidth = 1;
        g.strokeStyle = theme.background;
        g.strokeRect(c.x - 0.5, c.y - 0.5, c.size + 1, c.size + 1);
      }
    }
    return complete;
  }

  /** The layer on screen in full precision; the others of a grid as u8 (a quarter of the bytes). */
  private layerFor(store: AnalysisStore, layer: number): LayerData | undefined {
    return store.need(layer, layer === this.ctx.state.layer ? 'f32' : 'u8');
  }

  // ---- Pointer

  private pos(e: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  /** What is under a point of the single heatmap: a cell, an axis label, or the minimap. */
  private hitSingle(x: number, y: number):
    | { kind: 'cell'; q: number; k: number }
    | { kind: 'axis'; axis: 'q' | 'k'; t: number }
    | { kind: 'minimap'; k: number; q: number }
    | null {
    const s = this.single;
    const store = this.ctx.store();
    if (!s || !store || !this.viewport) return null;
    const { plot, gutter, minimap } = s;
    const v = this.viewport;
    const cell = plot.size / v.n;
    const r = this.range();
    const clampT = (t: number) => Math.max(r.start, Math.min(r.end - 1, Math.floor(t)));
    if (minimap && x >= minimap.x && x < minimap.x + minimap.size && y >= minimap.y && y < minimap.y + minimap.size) {
      const f = (r.end - r.start) / minimap.size;
      return { kind: 'minimap', k: r.start + (x - minimap.x) * f, q: r.start + (y - minimap.y) * f };
    }
    const inX = x >= plot.x && x < plot.x + plot.size, inY = y >= plot.y && y < plot.y + plot.size;
    if (inX && inY) return { kind: 'cell', q: clampT(v.q0 + (y - plot.y) / cell), k: clampT(v.k0 + (x - plot.x) / cell) };
    if (inY && x >= plot.x - gutter && x < plot.x) return { kind: 'axis', axis: 'q', t: clampT(v.q0 + (y - plot.y) / cell) };
    if (inX && y >= plot.y - gutter && y < plot.y) return { kind: 'axis', axis: 'k', t: clampT(v.k0 + (x - plot.x) / cell) };
    return null;
  }

  private hitGrid(x: number, y: number): GridCell | null {
    return this.cells.find((c) => x >= c.x && x < c.x + c.size && y >= c.y && y < c.y + c.size) ?? null;
  }

  private onWheel(e: WheelEvent): void {
    if (this.mode() !== 'single' || !this.single || !this.viewport) return;
    e.preventDefault();
    const { x, y } = this.pos(e);
    const { plot } = this.single;
    const inPlot = x >= plot.x && x < plot.x + plot.size && y >= plot.y && y < plot.y + plot.size;
    const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1;
    const factor = Math.exp(-e.deltaY * unit * WHEEL_ZOOM);
    const fx = inPlot ? (x - plot.x) / plot.size : 0.5, fy = inPlot ? (y - plot.y) / plot.size : 0.5;
    this.setViewport(zoomAt(this.viewport, this.range(), factor, fx, fy));
    this.ctx.tooltip.hide();
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.mode() !== 'single') return;
    const { x, y } = this.pos(e);
    const h = this.hitSingle(x, y);
    if (!h || !this.viewport) return;
    if (h.kind === 'cell') this.drag = { kind: 'pan', x, y, start: { ...this.viewport }, moved: false };
    else if (h.kind === 'minimap') {
      this.drag = { kind: 'minimap', moved: true };
      this.setViewport(centreOn(this.viewport, this.range(), h.k, h.q));
    } else this.drag = { kind: 'axis', axis: h.axis, from: h.t, to: h.t, moved: false, x, y };
    this.canvas.setPointerCapture(e.pointerId);
  }

  private onPointerMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d || !this.single || !this.viewport) return;
    const { x, y } = this.pos(e);
    if (d.kind === 'pan') {
      if (!d.moved && Math.hypot(x - d.x, y - d.y) < 4) return;
      d.moved = true;
      const cell = this.single.plot.size / d.start.n;
      this.viewport = panBy(d.start, this.range(), -(x - d.x) / cell, -(y - d.y) / cell);
      this.canvas.style.cursor = 'grabbing';
      this.ctx.tooltip.hide();
      this.ctx.invalidate();
    } else if (d.kind === 'minimap') {
      const mm = this.single.minimap;
      if (!mm) return;
      const r = this.range();
      const f = (r.end - r.start) / mm.size;
      this.setViewport(centreOn(this.viewport, r, r.start + (x - mm.x) * f, r.start + (y - mm.y) * f));
    } else {
      if (!d.moved && Math.hypot(x - d.x, y - d.y) < 4) return;
      d.moved = true;
      const v = this.viewport;
      const { plot } = this.single;
      const cell = plot.size / v.n;
      const r = this.range();
      const t = d.axis === 'q' ? v.q0 + (y - plot.y) / cell : v.k0 + (x - plot.x) / cell;
      d.to = Math.max(r.start, Math.min(r.end - 1, Math.floor(t)));
      this.ctx.tooltip.show(e.clientX, e.clientY, [`Crop to tokens ${Math.min(d.from, d.to)}–${Math.max(d.from, d.to)}`, 'release to crop']);
      this.ctx.invalidate();
    }
  }

  private onPointerUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.canvas.style.cursor = 'default';
    if (!d) return;
    if (d.moved) this.suppressClick = true;
    if (d.kind === 'axis' && d.moved && d.from !== d.to) {
      this.ctx.tooltip.hide();
      this.setRange({ start: Math.min(d.from, d.to), end: Math.max(d.from, d.to) + 1 });
    } else if (d.kind === 'pan' && d.moved) this.announceZoom();
    this.ctx.invalidate();
  }

  private onMove(e: MouseEvent): void {
    if (this.drag) return;
    const store = this.ctx.store();
    if (!store) return;
    const { x, y } = this.pos(e);
    if (this.mode() !== 'single') {
      const c = this.hitGrid(x, y);
      this.canvas.style.cursor = c ? 'pointer' : 'default';
      if (!c) { this.ctx.tooltip.hide(); return; }
      this.ctx.tooltip.show(e.clientX, e.clientY, [this.describePanel(c), 'click to open it']);
      return;
    }
    const h = this.hitSingle(x, y);
    if (!h) { this.ctx.tooltip.hide(); this.canvas.style.cursor = 'default'; return; }
    if (h.kind === 'cell') {
      this.canvas.style.cursor = 'crosshair';
      this.ctx.tooltip.show(e.clientX, e.clientY, this.describeCell(h.q, h.k));
    } else if (h.kind === 'axis') {
      this.canvas.style.cursor = h.axis === 'q' ? 'row-resize' : 'col-resize';
      const text = JSON.stringify(store.tokens[h.t].text);
      this.ctx.tooltip.show(e.clientX, e.clientY, [`${h.axis === 'q' ? 'query' : 'key'} #${h.t} ${text}`,
        h.axis === 'q' ? 'click: select this query · drag: crop to a range' : 'drag: crop to a range']);
    } else {
      this.canvas.style.cursor = 'move';
      this.ctx.tooltip.show(e.clientX, e.clientY, ['Minimap', 'click or drag to move the view']);
    }
  }

  private onClick(e: MouseEvent): void {
    if (this.suppressClick) { this.suppressClick = false; return; }
    const { x, y } = this.pos(e);
    if (this.mode() !== 'single') {
      const c = this.hitGrid(x, y);
      if (c) this.ctx.update({ heatmapLayout: 'single', layer: c.layer, head: c.head });
      return;
    }
    const h = this.hitSingle(x, y);
    if (!h || h.kind === 'minimap' || (h.kind === 'axis' && h.axis === 'k')) return;
    const q = h.kind === 'cell' ? h.q : h.t;
    if (h.kind === 'cell') { this.cursor.q = h.q; this.cursor.k = h.k; }
    this.ctx.setQuery(this.ctx.state.query === q ? null : q);
  }

  // ---- Keyboard

  /**
   * One heatmap: ↑/↓ move the cursor row and select it as the query, ←/→ move the key column, Enter
   * toggles the query, Escape clears it; + / − zoom around the cursor, 0 resets, Shift+arrows pan.
   * Grid: arrows move between panels, Enter opens one. Both: Page Up/Page Down step through heads
   * (or layers, in the grid of a layer's heads).
   */
  private onKey(e: KeyboardEvent): void {
    const store = this.ctx.store();
    if (!store) return;
    if (e.key === 'PageUp' || e.key === 'PageDown') {
      this.step(e.key === 'PageUp' ? -1 : 1);
    } else if (this.mode() !== 'single') {
      if (!this.onGridKey(e.key)) return;
    } else {
      const did = this.onCellKey(e);
      if (!did) return;
      e.preventDefault();
      this.ctx.invalidate();
      // Zoom and pan keys read out the window; the others the cell under the cursor.
      requestAnimationFrame(() => (did === 'view' ? this.announceZoom() : this.announceCursor()));
      return;
    }
    e.preventDefault();
    this.ctx.invalidate();
    requestAnimationFrame(() => this.announceCursor());
  }

  private onGridKey(key: string): boolean {
    const n = this.cells.length, cols = this.gridCols;
    const i = Math.min(this.cursor.panel, n - 1);
    if (key === 'ArrowRight') this.cursor.panel = Math.min(n - 1, i + 1);
    else if (key === 'ArrowLeft') this.cursor.panel = Math.max(0, i - 1);
    else if (key === 'ArrowDown') this.cursor.panel = i + cols < n ? i + cols : i;
    else if (key === 'ArrowUp') this.cursor.panel = i - cols >= 0 ? i - cols : i;
    else if (key === 'Home') this.cursor.panel = 0;
    else if (key === 'End') this.cursor.panel = n - 1;
    else if (key === 'Enter' || key === ' ') {
      const c = this.cells[i];
      if (c) this.ctx.update({ heatmapLayout: 'single', layer: c.layer, head: c.head });
    } else return false;
    return true;
  }

  /** A key on the single heatmap: 'view' when it zoomed or panned, 'cell' when it moved the cursor or query. */
  private onCellKey(e: KeyboardEvent): 'view' | 'cell' | false {
    const key = e.key;
    const r = this.range();
    const v = this.currentViewport();
    if (e.shiftKey && key.startsWith('Arrow')) {
      const d = Math.max(1, v.n / 8);
      const [dk, dq] = key === 'ArrowLeft' ? [-d, 0] : key === 'ArrowRight' ? [d, 0] : key === 'ArrowUp' ? [0, -d] : [0, d];
      this.setViewport(panBy(v, r, dk, dq));
      return 'view';
    }
    if (key === '+' || key === '=') { this.zoomBy(1.5); return 'view'; }
    if (key === '-' || key === '_') { this.zoomBy(1 / 1.5); return 'view'; }
    if (key === '0') { this.setViewport(null); return 'view'; }
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    const q = this.ctx.state.query;
    const c = this.clampCursor();
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      const from = q ?? (key === 'ArrowDown' ? r.start - 1 : r.end);
      const next = Math.max(r.start, Math.min(r.end - 1, from + (key === 'ArrowDown' ? 1 : -1)));
      this.cursor.q = next;
      this.cursor.k = Math.max(r.start, Math.min(c.k, next));
      this.ctx.setQuery(next);
    } else if (key === 'ArrowRight') this.cursor.k = Math.min(c.q, c.k + 1);
    else if (key === 'ArrowLeft') this.cursor.k = Math.max(r.start, c.k - 1);
    else if (key === 'Home') this.cursor.k = r.start;
    else if (key === 'End') this.cursor.k = c.q;
    else if (key === 'Enter' || key === ' ') this.ctx.setQuery(q === c.q ? null : c.q);
    else if (key === 'Escape') this.ctx.setQuery(null);
    else return false;
    const cur = this.clampCursor();
    this.viewport = ensureVisible(this.currentViewport(), r, cur.q, cur.k);
    return 'cell';
  }

  /** The cursor inside the range and on or below the diagonal. */
  private clampCursor(): { q: number; k: number } {
    const r = this.range();
    const q = Math.max(r.start, Math.min(r.end - 1, this.cursor.q));
    const k = Math.max(r.start, Math.min(q, this.cursor.k));
    this.cursor.q = q;
    this.cursor.k = k;
    return { q, k };
  }

  /** The tooltip of the cursor's cell or panel, for screen readers. */
  private announceCursor(): void {
    const store = this.ctx.store();
    if (!store) return;
    if (this.mode() !== 'single') {
      const c = this.cells[Math.min(this.cursor.panel, this.cells.length - 1)];
      if (c) this.ctx.announce(`${this.describePanel(c)}. Enter opens it.`);
      return;
    }
    if (!this.single) return;
    const { q, k } = this.clampCursor();
    this.ctx.announce(this.describeCell(q, k).join('; '));
  }

  private describePanel(c: { layer: number; head: number | null }): string {
    return `Layer ${c.layer} · ${c.head === null ? 'mean of heads' : 'head ' + c.head}`;
  }

  private describeCell(q: number, k: number): string[] {
    const store = this.ctx.store()!;
    const s = this.single!;
    const qt = JSON.stringify(store.tokens[q].text), kt = JSON.stringify(store.tokens[k].text);
    const weight = k > q ? 'masked (causal: the key comes after the query)' : `weight ${weightAt(s.src, q, k).toFixed(4)}`;
    return [`${qt} → ${kt}`, `query #${q} ${qt}`, `key #${k} ${kt}`, weight, this.describePanel(s).toLowerCase()];
  }

  // ---- Exports: the whole matrix (or range), every cell at least one device pixel, labels where they fit.

  private exportPanels(): { panels: ExportPanel[]; range: TokenRange; grid: boolean } {
    const store = this.ctx.store();
    if (!store) throw new Error('Nothing to export yet: no analysis has been received');
    const s = this.ctx.state;
    const grid = this.mode() !== 'single';
    const wanted = grid ? gridPanels(store, s.layer, s.head, this.mode() === 'layer' ? 'layer' : 'block')
      : [{ layer: s.layer, head: s.head, title: `Layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}` }];
    const panels = wanted.map((w) => {
      const data = grid ? this.layerFor(store, w.layer) : store.need(w.layer, 'f32');
      if (!data) throw new Error(`Layer ${w.layer} is still loading: export again once the heatmap is drawn`);
      return { ...w, src: weightSource(data, w.head) };
    });
    return { panels, range: this.range(), grid };
  }

  private resolveExportRange(opts: ExportOptions, fallback: TokenRange): TokenRange {
    const T = this.ctx.store()!.T;
    const r = opts.range;
    if (!r) return fallback;
    const start = Math.max(0, Math.min(T - 2, Math.floor(r.start)));
    return { start, end: Math.max(start + 2, Math.min(T, Math.ceil(r.end))) };
  }

  /** The export dialog offers the crop, when there is one. */
  exportRange(): { start: number; end: number } | null {
    return this.ctx.state.heatmapRange ?? null;
  }

  exportPng(opts: ExportOptions): string {
    const { panels, range, grid } = this.exportPanels();
    return exportHeatmapPng(this.exportInput(panels, this.resolveExportRange(opts, range), grid, opts));
  }

  exportSvg(opts: ExportOptions): string {
    const { panels, range, grid } = this.exportPanels();
    return exportHeatmapSvg(this.exportInput(panels, this.resolveExportRange(opts, range), grid, opts));
  }

  private exportInput(panels: ExportPanel[], range: TokenRange, grid: boolean, opts: ExportOptions) {
    const store = this.ctx.store()!;
    return {
      panels, range, grid, opts, tokens: store.tokens, gamma: this.ctx.state.gamma, theme: this.ctx.theme(),
      fonts: this.ctx.fonts(), H: store.H, subtitle: this.exportSubtitle(range, grid),
    };
  }

  private exportSubtitle(range: TokenRange, grid: boolean): string {
    const s = this.ctx.state;
    const what = !grid ? `layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}`
      : this.mode() === 'block' ? `layer ${s.layer}: all heads` : `${s.head === null ? 'mean of heads' : 'head ' + s.head}: all layers`;
    return `${what} · tokens ${formatTokenRange(range)} · rows: queries, columns: keys`;
  }
}

/** The panels of a grid: every head of a layer and their mean, or one head (or the mean) per layer. */
export function gridPanels(store: { L: number; H: number }, layer: number, head: number | null, browse: 'block' | 'layer'): { layer: number; head: number | null; title: string }[] {
  if (browse === 'block') {
    const cells: { layer: number; head: number | null; title: string }[] = [];
    for (let h = 0; h < store.H; h++) cells.push({ layer, head: h, title: `H${h}` });
    cells.push({ layer, head: null, title: 'mean' });
    return cells;
  }
  return Array.from({ length: store.L }, (_, l) => ({ layer: l, head, title: `L${l}` }));
}

/** Columns and square cell size that fit n panels (with a title row each) in a box. */
export function gridShape(n: number, width: number, height: number, titleH: number, gap: number, legendW = LEGEND_W): { cols: number; size: number } {
  let best = { cols: 1, size: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const size = Math.floor(Math.min((width - legendW - (cols - 1) * gap) / cols, (height - rows * (titleH + gap)) / rows));
    if (size > best.size) best = { cols, size };
  }
  return { cols: best.cols, size: Math.max(24, best.size) };
}

export function formatZoom(z: number): string {
  return `${z < 9.95 ? (Math.round(z * 10) / 10).toString() : Math.round(z)}×`;
}

