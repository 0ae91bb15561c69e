// Model view: a grid of layers × heads thumbnails ([L, H, S, S] u8 from the host), drawn from one
// atlas image with putImageData. Clicking a thumbnail opens that layer/head in the heatmap view.
import { el, fillRemainingHeight, hasFocus, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas, imageCanvas } from '../canvas';
import { cssColorToRgb, WEIGHT_LUT, weightIndex } from '../colors';
import { addMatrixToScene } from '../heatmapImage';
import { drawScene, Scene, sceneToSvg } from '../scene';

const LABEL_W = 40;
const HEADER_H = 24;
const GAP = 4;
const MARGIN = 10;
/** Thumbnail resolution requested from the host (S = min(T, this)). */
export const THUMBNAIL_SIZE = 48;

interface Layout { cell: number; x0: number; y0: number }

export class ModelView implements PanelView {
  readonly id = 'model' as const;
  readonly label = 'Model view';
  readonly element: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private atlas: HTMLCanvasElement | undefined;
  private atlasKey = '';
  private layout: Layout = { cell: 0, x0: 0, y0: 0 };
  /** Keyboard cursor (layer, head); starts at the heatmap's layer and head. */
  private cursor: { layer: number; head: number } | null = null;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view model-view');
    const bar = el('div', 'view-toolbar');
    bar.append(el('span', 'toolbar-hint', 'Every head of every layer (rows: layers, columns: heads). Click a thumbnail to open its heatmap.'));
    this.box = el('div', 'canvas-box scroll-y');
    this.canvas = interactiveCanvas('model-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => this.ctx.tooltip.hide(),
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

  private computeLayout(width: number, height: number, L: number, H: number): Layout {
    const byWidth = Math.floor((width - 2 * MARGIN - LABEL_W - (H - 1) * GAP) / H);
    const byHeight = Math.floor((height - 2 * MARGIN - HEADER_H - (L - 1) * GAP) / L);
    // Fit the window if thumbnails stay legible, otherwise scroll vertically.
    const cell = Math.max(18, Math.min(120, byWidth, Math.max(byHeight, 36)));
    const usedW = LABEL_W + H * cell + (H - 1) * GAP;
    return { cell, x0: MARGIN + Math.max(0, Math.floor((width - 2 * MARGIN - usedW) / 2)) + LABEL_W, y0: MARGIN + HEADER_H };
  }

  /** All thumbnails as one image: H*S wide, L*S tall, coloured with the weight colour map. */
  private buildAtlas(S: number, data: Uint8Array, L: number, H: number): HTMLCanvasElement {
    const theme = this.ctx.theme();
    const key = `${S}|${L}|${H}|${this.ctx.state.gamma}|${theme.masked}|${data.length}|${this.ctx.store()?.id}`;
    if (this.atlas && key === this.atlasKey) return this.atlas;
    const { canvas, ctx, image } = imageCanvas(H * S, L * S, this.atlas);
    const px = image.data;
    const masked = cssColorToRgb(theme.masked);
    const gamma = this.ctx.state.gamma;
    const pooled = S < (this.ctx.store()?.T ?? S);
    const lut = new Uint8Array(256);
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const base = (l * H + h) * S * S;
        // Mean pooling dilutes sharp patterns: pooled thumbnails are scaled to their own maximum.
        let max = 255;
        if (pooled) { max = 1; for (let i = 0; i < S * S; i++) if (data[base + i] > max) max = data[base + i]; }
        for (let v = 0; v < 256; v++) lut[v] = weightIndex(v / max, gamma);
        for (let q = 0; q < S; q++) {
          let p = ((l * S + q) * H * S + h * S) * 4;
          for (let k = 0; k < S; k++, p += 4) {
            if (k > q) { px[p] = masked[0]; px[p + 1] = masked[1]; px[p + 2] = masked[2]; }
            else {
              const i = lut[data[base + q * S + k]] * 3;
              px[p] = WEIGHT_LUT[i]; px[p + 1] = WEIGHT_LUT[i + 1]; px[p + 2] = WEIGHT_LUT[i + 2];
            }
            px[p + 3] = 255;
          }
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    this.atlas = canvas;
    this.atlasKey = key;
    return canvas;
  }

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    const thumbs = store.needThumbnails(THUMBNAIL_SIZE);
    const viewH = fillRemainingHeight(this.box);
    const width = this.box.clientWidth;
    const layout = this.computeLayout(width, viewH, store.L, store.H);
    this.layout = layout;
    const height = Math.max(viewH - 2, layout.y0 + store.L * (layout.cell + GAP) + MARGIN);
    const g = fitCanvas(this.canvas, width - (height > viewH ? 14 : 0), height);
    const scene = this.labelsScene(width, height, store.L, store.H, thumbs === undefined);
    drawScene(g, scene, this.ctx.fonts(), true);
    this.canvas.setAttribute('aria-label', `Model view: ${store.L} layers by ${store.H} heads of attention thumbnails. ` +
      'Click one to open its heatmap; arrow keys move between thumbnails and read their statistics, Enter opens one.');
    if (!thumbs) return false;
    const atlas = this.buildAtlas(thumbs.size, thumbs.data, store.L, store.H);
    const S = thumbs.size;
    g.imageSmoothingEnabled = S > layout.cell;
    for (let l = 0; l < store.L; l++) {
      for (let h = 0; h < store.H; h++) {
        const { x, y } = this.cellOrigin(l, h);
        g.drawImage(atlas, h * S, l * S, S, S, x, y, layout.cell, layout.cell);
      }
    }
    this.drawFocus(g);
    this.drawFrames(g, store.L, store.H);
    if (hasFocus(this.canvas)) this.drawCursor(g);
    return true;
  }

  /** High contrast: a contrastBorder frame around every thumbnail. */
  private drawFrames(g: CanvasRenderingContext2D, L: number, H: number): void {
    const theme = this.ctx.theme();
    if (!theme.highContrast || !theme.contrastBorder) return;
    g.strokeStyle = theme.contrastBorder;
    g.lineWidth = 1;
    const c = this.layout.cell;
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const { x, y } = this.cellOrigin(l, h);
        g.strokeRect(x - 0.5, y - 0.5, c + 1, c + 1);
      }
    }
  }

  /** The keyboard cursor: a dashed ring in the focus colour, outside the selection ring. */
  private drawCursor(g: CanvasRenderingContext2D): void {
    const cur = this.currentCursor();
    if (!cur) return;
    const { x, y } = this.cellOrigin(cur.layer, cur.head);
    g.save();
    g.strokeStyle = this.ctx.theme().focus;
    g.lineWidth = 2;
    g.setLineDash([4, 2]);
    g.strokeRect(x - 3.5, y - 3.5, this.layout.cell + 7, this.layout.cell + 7);
    g.restore();
  }

  private currentCursor(): { layer: number; head: number } | null {
    const store = this.ctx.store();
    if (!store) return null;
    const s = this.ctx.state;
    const cur = this.cursor ?? { layer: s.layer, head: s.head ?? 0 };
    this.cursor = { layer: Math.min(store.L - 1, cur.layer), head: Math.min(store.H - 1, cur.head) };
    return this.cursor;
  }

  private describe(layer: number, head: number): string[] {
    const store = this.ctx.store()!;
    const self = store.flow[(layer * store.H + head) * 2];
    const prev = store.flow[(layer * store.H + head) * 2 + 1];
    return [`Layer ${layer} · head ${head}`, `self ${self.toFixed(3)} · previous token ${prev.toFixed(3)}`];
  }

  private announceCursor(): void {
    const cur = this.currentCursor();
    if (cur) this.ctx.announce(`${this.describe(cur.layer, cur.head).join('; ')}. Enter opens the heatmap.`);
  }

  /** Arrows move the cursor over the layers × heads grid; Enter or Space opens that heatmap. */
  private onKey(e: KeyboardEvent): void {
    const store = this.ctx.store();
    const cur = this.currentCursor();
    if (!store || !cur) return;
    const { layer, head } = cur;
    if (e.key === 'ArrowRight') cur.head = Math.min(store.H - 1, head + 1);
    else if (e.key === 'ArrowLeft') cur.head = Math.max(0, head - 1);
    else if (e.key === 'ArrowDown') cur.layer = Math.min(store.L - 1, layer + 1);
    else if (e.key === 'ArrowUp') cur.layer = Math.max(0, layer - 1);
    else if (e.key === 'Home') cur.head = 0;
    else if (e.key === 'End') cur.head = store.H - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.open(layer, head);
      return;
    } else return;
    e.preventDefault();
    this.scrollIntoView(cur.layer);
    this.announceCursor();
    this.ctx.invalidate();
  }

  /** Keep the cursor's row visible when the grid scrolls. */
  private scrollIntoView(layer: number): void {
    const { y } = this.cellOrigin(layer, 0);
    const box = this.box;
    if (y - 8 < box.scrollTop) box.scrollTop = y - 8;
    else if (y + this.layout.cell + 8 > box.scrollTop + box.clientHeight) box.scrollTop = y + this.layout.cell + 8 - box.clientHeight;
  }

  private open(layer: number, head: number): void {
    this.ctx.tooltip.hide();
    this.ctx.update({ layer, head, heatmapLayout: 'single' });
    this.ctx.showTab('heatmap');
  }

  private cellOrigin(l: number, h: number): { x: number; y: number } {
    const { cell, x0, y0 } = this.layout;
    return { x: x0 + h * (cell + GAP), y: y0 + l * (cell + GAP) };
  }

  private labelsScene(width: number, height: number, L: number, H: number, loading: boolean): Scene {
    const theme = this.ctx.theme();
    const colors = this.ctx.headColors();
    const scene = new Scene(width, height, theme.background);
    const { cell } = this.layout;
    const fs = theme.fontSize - 2;
    for (let h = 0; h < H; h++) {
      const { x } = this.cellOrigin(0, h);
      scene.add({ kind: 'rect', x, y: this.layout.y0 - 6, w: cell, h: 3, fill: colors[h] });
      scene.add({ kind: 'text', x: x + cell / 2, y: this.layout.y0 - 15, text: `H${h}`, color: theme.muted, size: fs, align: 'center' });
    }
    for (let l = 0; l < L; l++) {
      const { y } = this.cellOrigin(l, 0);
      scene.add({ kind: 'text', x: this.layout.x0 - 8, y: y + cell / 2, text: `L${l}`, color: theme.muted, size: fs, align: 'right' });
      if (loading) {
        for (let h = 0; h < H; h++) {
          const o = this.cellOrigin(l, h);
          scene.add({ kind: 'rect', x: o.x, y: o.y, w: cell, h: cell, fill: theme.masked });
        }
      }
    }
    return scene;
  }

  private drawFocus(g: CanvasRenderingContext2D): void {
    const s = this.ctx.state;
    if (s.head === null) return;
    const { x, y } = this.cellOrigin(s.layer, s.head);
    g.strokeStyle = this.ctx.theme().focus;
    g.lineWidth = 2;
    g.strokeRect(x - 1.5, y - 1.5, this.layout.cell + 3, this.layout.cell + 3);
  }

  private hit(e: MouseEvent): { layer: number; head: number } | null {
    const store = this.ctx.store();
    if (!store) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left - this.layout.x0, y = e.clientY - r.top - this.layout.y0;
    const step = this.layout.cell + GAP;
    const h = Math.floor(x / step), l = Math.floor(y / step);
    if (x < 0 || y < 0 || h >= store.H || l >= store.L || x % step > this.layout.cell || y % step > this.layout.cell) return null;
    return { layer: l, head: h };
  }

  private onMove(e: MouseEvent): void {
    const hit = this.hit(e);
    this.canvas.style.cursor = hit ? 'pointer' : 'default';
    if (!hit) { this.ctx.tooltip.hide(); return; }
    this.ctx.tooltip.show(e.clientX, e.clientY, [...this.describe(hit.layer, hit.head), 'click to open the heatmap']);
  }

  private onClick(e: MouseEvent): void {
    const hit = this.hit(e);
    if (!hit) return;
    this.cursor = { ...hit };
    this.open(hit.layer, hit.head);
  }

  exportPng(_opts: ExportOptions): string {
    return this.canvas.toDataURL('image/png');
  }

  exportSvg(_opts: ExportOptions): string {
    const store = this.ctx.store();
    if (!store?.thumbnails) throw new Error('Nothing to export yet: the thumbnails have not arrived');
    const theme = this.ctx.theme();
    const scene = this.labelsScene(this.canvas.clientWidth, this.canvas.clientHeight, store.L, store.H, false);
    const { size: S, data } = store.thumbnails;
    for (let l = 0; l < store.L; l++) {
      for (let h = 0; h < store.H; h++) {
        const m = new Float32Array(S * S);
        const base = (l * store.H + h) * S * S;
        for (let i = 0; i < S * S; i++) m[i] = data[base + i] / 255;
        const { x, y } = this.cellOrigin(l, h);
        addMatrixToScene(scene, { x, y, size: this.layout.cell, T: S, matrix: m }, this.ctx.state.gamma, theme.masked, theme.muted);
      }
    }
    return sceneToSvg(scene, this.ctx.fonts());
  }
}
