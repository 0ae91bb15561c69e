// Heatmaps: one head (or the mean over heads), or a grid — all heads of a layer ("by block") or
// one head index through all layers ("by layer"). ◀ ▶ step along the browsing axis. The causal
// mask is hatched; hovering a cell shows query, key and weight; clicking a row selects the query.
import { labelToken, type LayerData } from '../data';
import { el, fillRemainingHeight, hasFocus, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas, imageCanvas } from '../canvas';
import { cssColorToRgb, weightColor } from '../colors';
import { makeButton, makeSelect, type SelectControl } from '../controls';
import { addMatrixToScene, drawMatrixPanel, matrixToImage, type MatrixPanel } from '../heatmapImage';
import { drawScene, Scene, sceneToPng, sceneToSvg } from '../scene';

const MARGIN = 12;
const TITLE_H = 24;
const LEGEND_W = 84;
const MAX_LABELLED_T = 64;

interface Cell extends MatrixPanel {
  layer: number;
  head: number | null;
  title: string;
}

export class HeatmapView implements PanelView {
  readonly id = 'heatmap' as const;
  readonly label = 'Heatmaps';
  readonly element: HTMLElement;
  private readonly layoutSelect: SelectControl;
  private readonly browseSelect: SelectControl;
  private readonly scaleSelect: SelectControl;
  private readonly position: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private cells: Cell[] = [];
  private pool: HTMLCanvasElement[] = [];
  private hoverCell: { q: number; k: number } | null = null;
  /** Keyboard cursor: a cell (query row, key column) of the single heatmap, or a panel of the grid. */
  private cursor = { q: 0, k: 0, panel: 0 };
  private gridCols = 1;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view heatmap-view');
    const bar = el('div', 'view-toolbar');
    this.layoutSelect = makeSelect('Show', 'Heatmap layout', (v) => this.ctx.update({ heatmapLayout: v === 'grid' ? 'grid' : 'single' }));
    this.browseSelect = makeSelect('Browse', 'Browse by block or by layer', (v) => this.ctx.update({ browse: v === 'layer' ? 'layer' : 'block' }));
    this.browseSelect.element.classList.add('wide');
    this.scaleSelect = makeSelect('Scale', 'Colour scale', (v) => this.ctx.update({ gamma: v === 'sqrt' ? 0.5 : 1 }));
    const prev = makeButton('◀', 'Previous (by block: head, by layer: layer)', () => this.step(-1));
    const next = makeButton('▶', 'Next (by block: head, by layer: layer)', () => this.step(1));
    this.position = el('span', 'toolbar-hint');
    bar.append(this.layoutSelect.element, this.browseSelect.element, prev, next, this.position, this.scaleSelect.element);
    this.box = el('div', 'canvas-box');
    this.canvas = interactiveCanvas('heatmap-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => { this.hoverCell = null; this.ctx.tooltip.hide(); },
      click: (e) => this.onClick(e),
      key: (e) => this.onKey(e),
      focus: () => { this.announceCursor(); this.ctx.invalidate(); },
    });
    this.box.append(this.canvas);
    this.element.append(bar, this.box);
  }

  reportedHead(): number | null {
    return this.ctx.state.head;
  }

  /** ◀ ▶: by block steps through the heads of the layer (then the mean); by layer steps through layers. */
  step(delta: number): void {
    const store = this.ctx.store();
    if (!store) return;
    const s = this.ctx.state;
    if (s.browse === 'layer') {
      this.ctx.update({ layer: (s.layer + delta + store.L) % store.L });
    } else {
      const n = store.H + 1;
      const cur = s.head === null ? store.H : s.head;
      const nxt = (cur + delta + n) % n;
      this.ctx.update({ head: nxt === store.H ? null : nxt });
    }
  }

  private syncControls(): void {
    const s = this.ctx.state;
    this.layoutSelect.setOptions([{ value: 'single', label: 'One head' }, { value: 'grid', label: 'Grid' }], s.heatmapLayout);
    this.browseSelect.setOptions([
      { value: 'block', label: 'By block (heads of a layer)' },
      { value: 'layer', label: 'By layer (a head across layers)' },
    ], s.browse);
    this.scaleSelect.setOptions([{ value: 'linear', label: 'Linear' }, { value: 'sqrt', label: 'Square root' }], s.gamma === 1 ? 'linear' : 'sqrt');
    const headName = s.head === null ? 'mean of heads' : `head ${s.head}`;
    this.position.textContent = s.heatmapLayout === 'grid'
      ? (s.browse === 'block' ? `layer ${s.layer}: all heads` : `${headName}: all layers`)
      : `layer ${s.layer} · ${headName}`;
  }

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    this.syncControls();
    if (this.ctx.state.query !== null) this.cursor.q = this.ctx.state.query;
    const height = fillRemainingHeight(this.box);
    const width = this.box.clientWidth;
    const g = fitCanvas(this.canvas, width, height);
    const { scene, cells, complete } = this.layoutScene(width, height);
    this.cells = cells;
    drawScene(g, scene, this.ctx.fonts(), true);
    this.drawCells(g, cells);
    this.drawFrames(g, cells);
    this.drawSelection(g, cells);
    if (hasFocus(this.canvas)) this.drawCursor(g, cells);
    const s = this.ctx.state;
    this.canvas.setAttribute('aria-label', s.heatmapLayout === 'grid'
      ? `Grid of attention heatmaps (${cells.length} panels). Click one to open it; arrow keys move between panels, Enter opens one.`
      : `Attention heatmap, layer ${s.layer}, ${s.head === null ? 'mean of heads' : 'head ' + s.head}: rows are queries, columns keys; the masked upper triangle is hatched. ` +
        'Arrow keys move a cell and read its weight; Enter selects the query row; Page Up and Page Down step through heads or layers.');
    return complete;
  }

  /** The panels to show and their data: only cells whose layer is available get a matrix. */
  private wantedCells(): { layer: number; head: number | null; title: string }[] {
    const store = this.ctx.store()!;
    const s = this.ctx.state;
    if (s.heatmapLayout === 'single') {
      return [{ layer: s.layer, head: s.head, title: `Layer ${s.layer} · ${s.head === null ? 'mean of heads' : 'head ' + s.head}` }];
    }
    if (s.browse === 'block') {
      const cells: { layer: number; head: number | null; title: string }[] = [];
      for (let h = 0; h < store.H; h++) cells.push({ layer: s.layer, head: h, title: `H${h}` });
      cells.push({ layer: s.layer, head: null, title: 'mean' });
      return cells;
    }
    return Array.from({ length: store.L }, (_, l) => ({ layer: l, head: s.head, title: `L${l}` }));
  }

  private layerFor(layer: number, single: boolean): LayerData | undefined {
    const store = this.ctx.store()!;
    if (single || layer === this.ctx.state.layer) return store.need(layer, 'f32');
    return store.need(layer, 'u8');
  }

  private layoutScene(width: number, height: number): { scene: Scene; cells: Cell[]; complete: boolean } {
    const theme = this.ctx.theme();
    const store = this.ctx.store()!;
    const scene = new Scene(width, height, theme.background);
    const wanted = this.wantedCells();
    const single = wanted.length === 1;
    const cells: Cell[] = [];
    let complete = true;
    const T = store.T;
    if (single) {
      const labelled = T <= MAX_LABELLED_T;
      const labelW = labelled ? this.labelWidth() : 0;
      const avW = width - 2 * MARGIN - labelW - LEGEND_W;
      const avH = height - 2 * MARGIN - TITLE_H - labelW;
      const size = Math.max(40, Math.min(avW, avH));
      const x = MARGIN + labelW + Math.max(0, (avW - size) / 2);
      const y = MARGIN + TITLE_H + labelW;
      const w = wanted[0];
      const data = this.layerFor(w.layer, true);
      scene.add({ kind: 'text', x: x + size / 2, y: MARGIN + TITLE_H / 2 - 2, text: w.title, color: theme.foreground, size: theme.fontSize + 1, align: 'center', weight: '600' });
      if (data) cells.push({ x, y, size, T, matrix: data.matrix(w.head), layer: w.layer, head: w.head, title: w.title });
      else { complete = false; this.addLoading(scene, x, y, size); }
      if (labelled) this.addAxisLabels(scene, x, y, size, labelW);
      this.addLegend(scene, x + size + 16, y, Math.min(size, 240));
      return { scene, cells, complete };
    }
    const n = wanted.length;
    const { cols, size } = gridShape(n, width - 2 * MARGIN, height - 2 * MARGIN, 18, 10);
    this.gridCols = cols;
    const usedW = cols * size + (cols - 1) * 10;
    const left = MARGIN + Math.max(0, (width - 2 * MARGIN - LEGEND_W - usedW) / 2);
    wanted.forEach((w, i) => {
      const x = left + (i % cols) * (size + 10);
      const y = MARGIN + Math.floor(i / cols) * (size + 28) + 18;
      const color = w.head === null ? theme.foreground : this.ctx.headColors()[w.head];
      scene.add({ kind: 'text', x: x + size / 2, y: y - 9, text: w.title, color, size: theme.fontSize - 1, align: 'center', weight: '600' });
      const data = this.layerFor(w.layer, false);
      if (data) cells.push({ x, y, size, T, matrix: data.matrix(w.head), layer: w.layer, head: w.head, title: w.title });
      else { complete = false; this.addLoading(scene, x, y, size); }
    });
    this.addLegend(scene, left + usedW + 16, MARGIN + 18, Math.min(200, height - 2 * MARGIN - 18));
    return { scene, cells, complete };
  }

  private labelWidth(): number {
    const store = this.ctx.store()!;
    const g = this.canvas.getContext('2d')!;
    g.font = `${this.ctx.theme().fontSize - 1}px ${this.ctx.fonts().mono}`;
    let w = 0;
    for (const t of store.tokens) w = Math.max(w, g.measureText(labelToken(t.text)).width);
    return Math.min(120, Math.ceil(w) + 10);
  }

  private addAxisLabels(scene: Scene, x: number, y: number, size: number, labelW: number): void {
    const theme = this.ctx.theme();
    const store = this.ctx.store()!;
    const cell = size / store.T;
    const fs = Math.min(theme.fontSize - 1, Math.max(8, cell * 0.8));
    store.tokens.forEach((t, i) => {
      const text = labelToken(t.text);
      const selected = this.ctx.state.query === i;
      const color = selected ? theme.focus : theme.foreground;
      scene.add({ kind: 'text', x: x - 6, y: y + (i + 0.5) * cell, text, color, size: fs, align: 'right', mono: true, weight: selected ? 'bold' : undefined });
      scene.add({ kind: 'text', x: x + (i + 0.5) * cell, y: y - 6, text, color: theme.foreground, size: fs, align: 'left', mono: true, rotate: -90 });
    });
    scene.add({ kind: 'text', x: x - 8, y: y - labelW / 2, text: 'key →', color: theme.muted, size: theme.fontSize - 2, align: 'right' });
    scene.add({ kind: 'text', x: x - 8, y: y - 12, text: 'query ↓', color: theme.muted, size: theme.fontSize - 2, align: 'right' });
  }

  private addLegend(scene: Scene, x: number, y: number, h: number): void {
    const theme = this.ctx.theme();
    const gamma = this.ctx.state.gamma;
    const steps = 48;
    for (let i = 0; i < steps; i++) {
      const w = 1 - i / steps;
      scene.add({ kind: 'rect', x, y: y + (i * h) / steps, w: 12, h: h / steps + 0.5, fill: weightColor(w, gamma) });
    }
    for (const v of [1, 0.5, 0.25, 0]) {
      const frac = gamma === 1 ? v : Math.pow(v, gamma);
      scene.add({ kind: 'text', x: x + 16, y: y + (1 - frac) * h, text: v.toFixed(2), color: theme.muted, size: theme.fontSize - 2, align: 'left' });
    }
    scene.add({ kind: 'rect', x, y: y + h + 10, w: 12, h: 12, fill: theme.masked, stroke: theme.border });
    scene.add({ kind: 'text', x: x + 16, y: y + h + 16, text: 'masked', color: theme.muted, size: theme.fontSize - 2, align: 'left' });
  }

  private addLoading(scene: Scene, x: number, y: number, size: number): void {
    const theme = this.ctx.theme();
    scene.add({ kind: 'rect', x, y, w: size, h: size, fill: theme.masked });
    scene.add({ kind: 'text', x: x + size / 2, y: y + size / 2, text: 'loading…', color: theme.muted, size: theme.fontSize - 1, align: 'center' });
  }

  private drawCells(g: CanvasRenderingContext2D, cells: Cell[]): void {
    const theme = this.ctx.theme();
    const masked = cssColorToRgb(theme.masked);
    cells.forEach((c, i) => {
      const reuse = this.pool[i];
      const { canvas, ctx, image } = imageCanvas(c.T, c.T, reuse);
      this.pool[i] = canvas;
      matrixToImage(image, c.matrix, c.T, this.ctx.state.gamma, masked);
      ctx.putImageData(image, 0, 0);
      drawMatrixPanel(g, c, canvas, theme.muted);
    });
  }

  private drawSelection(g: CanvasRenderingContext2D, cells: Cell[]): void {
    const q = this.ctx.state.query;
    if (q === null || cells.length !== 1) return;
    const c = cells[0];
    const cell = c.size / c.T;
    const theme = this.ctx.theme();
    g.strokeStyle = theme.focus;
    g.lineWidth = 1.5;
    g.strokeRect(c.x - 1, c.y + q * cell - 0.5, Math.min(c.size, (q + 1) * cell) + 2, cell + 1);
    if (theme.highContrast) {
      // The focus colour alone is too close to the dark end of the colour map (High Contrast Light).
      g.strokeStyle = theme.background;
      g.lineWidth = 1;
      g.strokeRect(c.x + 0.5, c.y + q * cell + 1, Math.min(c.size, (q + 1) * cell) - 1, cell - 2);
    }
  }

  /** High contrast: a contrastBorder frame around each matrix (its dark colours meet a black background). */
  private drawFrames(g: CanvasRenderingContext2D, cells: Cell[]): void {
    const border = this.ctx.theme().contrastBorder;
    if (!this.ctx.theme().highContrast || !border) return;
    g.strokeStyle = border;
    g.lineWidth = 1;
    for (const c of cells) g.strokeRect(c.x - 0.5, c.y - 0.5, c.size + 1, c.size + 1);
  }

  /** The keyboard cursor: focus colour outside, background colour inside (visible on any weight colour). */
  private drawCursor(g: CanvasRenderingContext2D, cells: Cell[]): void {
    const theme = this.ctx.theme();
    let x: number, y: number, w: number;
    if (cells.length === 1) {
      const c = cells[0];
      const cell = c.size / c.T;
      const { q, k } = this.clampCursor(c.T);
      x = c.x + k * cell; y = c.y + q * cell; w = cell;
    } else {
      const c = cells[Math.min(this.cursor.panel, cells.length - 1)];
      if (!c) return;
      x = c.x; y = c.y; w = c.size;
    }
    g.lineWidth = 2;
    g.strokeStyle = theme.focus;
    g.strokeRect(x - 2, y - 2, w + 4, w + 4);
    g.lineWidth = 1;
    g.strokeStyle = theme.background;
    g.strokeRect(x - 0.5, y - 0.5, w + 1, w + 1);
  }

  private clampCursor(T: number): { q: number; k: number } {
    const q = Math.max(0, Math.min(T - 1, this.cursor.q));
    const k = Math.max(0, Math.min(q, this.cursor.k));
    this.cursor.q = q;
    this.cursor.k = k;
    return { q, k };
  }

  /** The tooltip of the cursor's cell or panel, for screen readers. */
  private announceCursor(): void {
    const store = this.ctx.store();
    if (!store || this.cells.length === 0) return;
    if (this.cells.length > 1) {
      const c = this.cells[Math.min(this.cursor.panel, this.cells.length - 1)];
      this.ctx.announce(`${this.describePanel(c)}. Enter opens it.`);
      return;
    }
    const c = this.cells[0];
    const { q, k } = this.clampCursor(c.T);
    this.ctx.announce(this.describeCell(c, q, k).join('; '));
  }

  private describePanel(c: Cell): string {
    return `Layer ${c.layer} · ${c.head === null ? 'mean of heads' : 'head ' + c.head}`;
  }

  private describeCell(c: Cell, q: number, k: number): string[] {
    const store = this.ctx.store()!;
    const qt = JSON.stringify(store.tokens[q].text), kt = JSON.stringify(store.tokens[k].text);
    const weight = k > q ? 'masked (causal: the key comes after the query)' : `weight ${c.matrix[q * c.T + k].toFixed(4)}`;
    return [`${qt} → ${kt}`, `query #${q} ${qt}`, `key #${k} ${kt}`, weight, this.describePanel(c).toLowerCase()];
  }

  private hit(e: MouseEvent): { cell: Cell; q: number; k: number } | null {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    for (const cell of this.cells) {
      if (x >= cell.x && x < cell.x + cell.size && y >= cell.y && y < cell.y + cell.size) {
        const s = cell.size / cell.T;
        return { cell, q: Math.min(cell.T - 1, Math.floor((y - cell.y) / s)), k: Math.min(cell.T - 1, Math.floor((x - cell.x) / s)) };
      }
    }
    return null;
  }

  private onMove(e: MouseEvent): void {
    const h = this.hit(e);
    const store = this.ctx.store();
    if (!h || !store) { this.ctx.tooltip.hide(); this.canvas.style.cursor = 'default'; return; }
    this.canvas.style.cursor = 'pointer';
    this.hoverCell = { q: h.q, k: h.k };
    this.ctx.tooltip.show(e.clientX, e.clientY, this.describeCell(h.cell, h.q, h.k));
  }

  private onClick(e: MouseEvent): void {
    const h = this.hit(e);
    if (!h) return;
    if (this.cells.length > 1) {
      this.ctx.update({ heatmapLayout: 'single', layer: h.cell.layer, head: h.cell.head });
      return;
    }
    this.ctx.setQuery(this.ctx.state.query === h.q ? null : h.q);
  }

  /**
   * One heatmap: ↑/↓ move the cursor row and select it as the query (as before), ←/→ move the key
   * column, Enter toggles the query, Escape clears it. Grid: arrows move between panels, Enter opens
   * one. Both: Page Up/Page Down step through heads (by block) or layers (by layer).
   */
  private onKey(e: KeyboardEvent): void {
    const store = this.ctx.store();
    if (!store) return;
    if (e.key === 'PageUp' || e.key === 'PageDown') {
      this.step(e.key === 'PageUp' ? -1 : 1);
    } else if (this.cells.length > 1) {
      if (!this.onGridKey(e.key)) return;
    } else if (!this.onCellKey(e.key, store.T)) {
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
      this.ctx.update({ heatmapLayout: 'single', layer: c.layer, head: c.head });
    } else return false;
    return true;
  }

  private onCellKey(key: string, T: number): boolean {
    const q = this.ctx.state.query;
    const c = this.clampCursor(T);
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      const from = q ?? (key === 'ArrowDown' ? -1 : T);
      const next = Math.max(0, Math.min(T - 1, from + (key === 'ArrowDown' ? 1 : -1)));
      this.cursor.q = next;
      this.cursor.k = Math.min(c.k, next);
      this.ctx.setQuery(next);
    } else if (key === 'ArrowRight') this.cursor.k = Math.min(c.q, c.k + 1);
    else if (key === 'ArrowLeft') this.cursor.k = Math.max(0, c.k - 1);
    else if (key === 'Home') this.cursor.k = 0;
    else if (key === 'End') this.cursor.k = c.q;
    else if (key === 'Enter' || key === ' ') this.ctx.setQuery(q === c.q ? null : c.q);
    else if (key === 'Escape') this.ctx.setQuery(null);
    else return false;
    return true;
  }

  private exportScene(): Scene {
    const store = this.ctx.store();
    if (!store) throw new Error('Nothing to export yet: no analysis has been received');
    const theme = this.ctx.theme();
    const { scene, cells } = this.layoutScene(Math.max(400, this.canvas.clientWidth), Math.max(300, this.canvas.clientHeight));
    for (const c of cells) addMatrixToScene(scene, c, this.ctx.state.gamma, theme.masked, theme.muted);
    return scene;
  }

  exportPng(_opts: ExportOptions): string {
    return this.canvas.toDataURL('image/png');
  }

  exportSvg(_opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(), this.ctx.fonts());
  }
}

/** Columns and square cell size that fit n panels (with a title row each) in a box. */
export function gridShape(n: number, width: number, height: number, titleH: number, gap: number): { cols: number; size: number } {
  let best = { cols: 1, size: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const size = Math.floor(Math.min((width - LEGEND_W - (cols - 1) * gap) / cols, (height - rows * (titleH + gap)) / rows));
    if (size > best.size) best = { cols, size };
  }
  return { cols: best.cols, size: Math.max(24, best.size) };
}

