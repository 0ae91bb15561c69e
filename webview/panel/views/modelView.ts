// Model view: a grid of layers × heads thumbnails ([L, H, S, S] sqrt-encoded u8 from the host), drawn
// from one atlas image with putImageData. A legend says what the colours mean and which scale is in
// force: each thumbnail to its own maximum (patterns of diluted, mean-pooled heads stay visible) or one
// maximum shared by all (heads compare). Clicking a thumbnail opens that layer/head in the heatmap view.
import { el, fillRemainingHeight, hasFocus, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas, fitText, imageCanvas } from '../canvas';
import { cssColorToRgb, exportTheme, headColors, isDarkTheme, weightHex, WEIGHT_LUT, weightIndex, type Theme } from '../colors';
import { makeSelect, type SelectControl } from '../controls';
import { addMatrixToScene } from '../heatmapImage';
import { drawScene, Scene, sceneToPng, sceneToPngAsync, sceneToSvg } from '../scene';
import type { Thumbnails } from '../data';

const LABEL_W = 40;
const HEADER_H = 24;
const MARGIN = 10;
const LEGEND_ROW = 16;
const BAR_W = 140;
const BAR_STEPS = 48;
const EXPORT_CELL = 72;
const EXPORT_MARGIN = 16;
const TITLE_H = 28;

/** Mean attention of a thumbnail byte (the host's sqrt-u8 encoding: byte = round(255·sqrt(mean))). */
export function thumbnailMean(byte: number): number {
  const r = byte / 255;
  return r * r;
}

/**
 * Thumbnails use a square-root colour scale (the panel's gamma applies on top): mean pooling dilutes
 * sharp patterns, and a linear scale would leave long inputs nearly blank.
 */
export function thumbColorValue(fractionOfMax: number): number {
  return Math.sqrt(Math.max(0, Math.min(1, fractionOfMax)));
}

/** Per-thumbnail maxima ([L*H] decoded means) and their maximum. */
export function thumbnailMaxima(t: Thumbnails, count: number): { each: Float32Array; shared: number } {
  const S2 = t.size * t.size;
  const each = new Float32Array(count);
  let shared = 0;
  for (let m = 0; m < count; m++) {
    let max = 0;
    const base = m * S2;
    for (let i = 0; i < S2; i++) if (t.data[base + i] > max) max = t.data[base + i];
    each[m] = thumbnailMean(max);
    if (each[m] > shared) shared = each[m];
  }
  return { each, shared };
}
/** Thumbnail resolution requested from the host (S = min(T, this)). */
export const THUMBNAIL_SIZE = 48;

interface Layout { cell: number; gap: number; x0: number; y0: number }

/** Where the grid is drawn: on screen, or in an export (its theme, head colours, title and legend). */
interface Sheet { width: number; height: number; theme: Theme; colors: string[]; layout: Layout; legendTop: number; legend: string[]; title: string }

export class ModelView implements PanelView {
  readonly id = 'model' as const;
  readonly label = 'Model view';
  readonly element: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private atlas: HTMLCanvasElement | undefined;
  private atlasKey = '';
  private layout: Layout = { cell: 0, gap: 4, x0: 0, y0: 0 };
  private readonly scaleSelect: SelectControl;
  private maxima: { key: string; each: Float32Array; shared: number } | undefined;
  private measurer: CanvasRenderingContext2D | undefined;
  /** Keyboard cursor (layer, head); starts at the heatmap's layer and head. */
  private cursor: { layer: number; head: number } | null = null;

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view model-view');
    const bar = el('div', 'view-toolbar');
    this.scaleSelect = makeSelect('Scale', 'Colour scale of the thumbnails', (v) => this.ctx.update({ thumbScale: v === 'shared' ? 'shared' : 'each' }));
    this.scaleSelect.setOptions([
      { value: 'each', label: 'Per thumbnail' }, { value: 'shared', label: 'Shared' },
    ], this.ctx.state.thumbScale);
    this.scaleSelect.element.classList.add('thumb-scale');
    bar.append(this.scaleSelect.element,
      el('span', 'toolbar-hint', 'Every head of every layer (rows: layers, columns: heads). Click a thumbnail to open its heatmap.'));
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

  private computeLayout(width: number, height: number, L: number, H: number, top: number): Layout {
    const fit = (gap: number): number => Math.floor((width - 2 * MARGIN - LABEL_W - (H - 1) * gap) / H);
    const gap = fit(4) >= 24 ? 4 : 2;
    const byWidth = fit(gap);
    const byHeight = Math.floor((height - top - MARGIN - HEADER_H - (L - 1) * gap) / L);
    // Fit the window if thumbnails stay legible, otherwise scroll vertically.
    const cell = Math.max(14, Math.min(120, byWidth, Math.max(byHeight, 36)));
    const usedW = LABEL_W + H * cell + (H - 1) * gap;
    return { cell, gap, x0: MARGIN + Math.max(0, Math.floor((width - 2 * MARGIN - usedW) / 2)) + LABEL_W, y0: top + HEADER_H };
  }

  private getMaxima(t: Thumbnails, count: number): { each: Float32Array; shared: number } {
    const key = `${this.ctx.store()?.id}|${t.size}|${t.data.length}`;
    if (this.maxima?.key !== key) this.maxima = { key, ...thumbnailMaxima(t, count) };
    return this.maxima;
  }

  /** The scale maximum of thumbnail m under the current setting (never 0). */
  private scaleMax(t: Thumbnails, m: number, count: number): number {
    const mx = this.getMaxima(t, count);
    const v = this.ctx.state.thumbScale === 'shared' ? mx.shared : mx.each[m];
    return v > 0 ? v : 1;
  }

  /** What the colours mean, in words (the legend under its colour bar). */
  private legendText(t: Thumbnails | undefined): string[] {
    const store = this.ctx.store()!;
    const pooled = t !== undefined && t.size < store.T;
    const block = t ? Math.ceil(store.T / t.size) : 1;
    const what = pooled ? `mean attention over blocks of ≈${block}×${block} tokens (${t!.size}×${t!.size} per thumbnail)` : 'attention weight';
    const root = this.ctx.state.gamma === 1 ? 'square-root' : `power ${0.5 * this.ctx.state.gamma}`;
    if (!t) return ['Loading thumbnails…'];
    const mx = this.getMaxima(t, store.L * store.H);
    return this.ctx.state.thumbScale === 'shared'
      ? [`Shared scale: one maximum (${mx.shared.toFixed(3)}) for all thumbnails.`, `Colour (${root} scale): ${what}.`]
      : [`Per-thumbnail scale: each thumbnail from 0 to its own maximum (hover for it).`, `Colour (${root} scale): ${what}.`];
  }

  /** All thumbnails as one image: H*S wide, L*S tall, coloured with the weight colour map. */
  private buildAtlas(S: number, data: Uint8Array, L: number, H: number): HTMLCanvasElement {
    const theme = this.ctx.theme();
    const key = `${S}|${L}|${H}|${this.ctx.state.gamma}|${theme.masked}|${data.length}|${this.ctx.store()?.id}|${this.ctx.state.thumbScale}`;
    if (this.atlas && key === this.atlasKey) return this.atlas;
    const { canvas, ctx, image } = imageCanvas(H * S, L * S, this.atlas);
    const px = image.data;
    const masked = cssColorToRgb(theme.masked);
    const gamma = this.ctx.state.gamma;
    const thumbs = { size: S, data };
    const lut = new Uint8Array(256);
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const base = (l * H + h) * S * S;
        const max = this.scaleMax(thumbs, l * H + h, L * H);
        for (let v = 0; v < 256; v++) lut[v] = weightIndex(thumbColorValue(thumbnailMean(v) / max), gamma);
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
    this.scaleSelect.setValue(this.ctx.state.thumbScale);
    const thumbs = store.needThumbnails(THUMBNAIL_SIZE);
    const viewH = fillRemainingHeight(this.box);
    const width = this.box.clientWidth;
    const theme = this.ctx.theme();
    const legend = this.legendText(thumbs);
    const top = MARGIN + this.legendHeight(theme, legend, width - 14, '', true);
    const layout = this.computeLayout(width - 14, viewH, store.L, store.H, top);
    this.layout = layout;
    this.canvas.dataset.grid = `${layout.x0},${layout.y0},${layout.cell},${layout.gap}`;
    const height = Math.max(viewH - 2, layout.y0 + store.L * (layout.cell + layout.gap) + MARGIN);
    const g = fitCanvas(this.canvas, width - (height > viewH ? 14 : 0), height);
    const sheet: Sheet = { width: width - 14, height, theme, colors: this.ctx.headColors(), layout, legendTop: MARGIN, legend, title: '' };
    const scene = this.labelsScene(sheet, store.L, store.H, thumbs === undefined, true);
    drawScene(g, scene, this.ctx.fonts(), true);
    this.canvas.setAttribute('aria-label', `Model view: ${store.L} layers by ${store.H} heads of attention thumbnails. ${legend.join(' ')} ` +
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
    const lines = [`Layer ${layer} · head ${head}`, `self ${self.toFixed(3)} · previous token ${prev.toFixed(3)}`];
    if (store.thumbnails) {
      const mx = this.getMaxima(store.thumbnails, store.L * store.H);
      lines.push(`thumbnail max ${mx.each[layer * store.H + head].toFixed(3)} (shared max ${mx.shared.toFixed(3)})`);
    }
    return lines;
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

  private cellOrigin(l: number, h: number, layout = this.layout): { x: number; y: number } {
    const { cell, gap, x0, y0 } = layout;
    return { x: x0 + h * (cell + gap), y: y0 + l * (cell + gap) };
  }

  private measureCtx(theme: Theme, size: number): CanvasRenderingContext2D {
    if (!this.measurer) {
      const c = document.createElement('canvas').getContext('2d');
      if (!c) throw new Error('This webview cannot create a 2D canvas context');
      this.measurer = c;
    }
    this.measurer.font = `${size}px ${theme.fontFamily}`;
    return this.measurer;
  }

  /** Legend lines wrapped to a width (exports) or ellipsized (screen: the full text is the aria-label). */
  private legendLines(theme: Theme, legend: string[], width: number, wrap: boolean): string[] {
    const c = this.measureCtx(theme, theme.fontSize - 2);
    const max = Math.max(40, width - 2 * MARGIN);
    if (!wrap) return legend.map((t) => fitText(c, t, max));
    const out: string[] = [];
    for (const text of legend) {
      let line = '';
      for (const word of text.split(' ')) {
        const next = line ? `${line} ${word}` : word;
        if (line && c.measureText(next).width > max) { out.push(line); line = word; } else line = next;
      }
      if (line) out.push(line);
    }
    return out;
  }

  private legendHeight(theme: Theme, legend: string[], width: number, title: string, wrap = false): number {
    return (title ? TITLE_H : 0) + LEGEND_ROW + 4 + this.legendLines(theme, legend, width, wrap).length * LEGEND_ROW + 4;
  }

  /** Title, legend (colour bar with its range, the scale in force) and the layer/head labels. */
  private labelsScene(sh: Sheet, L: number, H: number, loading: boolean, wrap = false): Scene {
    const theme = sh.theme;
    const scene = new Scene(sh.width, sh.height, theme.background);
    const { cell } = sh.layout;
    const fs = theme.fontSize - 2;
    let y = sh.legendTop;
    if (sh.title) {
      scene.add({ kind: 'text', x: MARGIN, y: y + TITLE_H / 2, text: sh.title, color: theme.foreground, size: theme.fontSize + 3, align: 'left', weight: '600' });
      y += TITLE_H;
    }
    // Colour bar: 0 … max (shared: the number; per thumbnail: "own max").
    const store = this.ctx.store()!;
    const t = store.thumbnails;
    const shared = this.ctx.state.thumbScale === 'shared';
    const maxLabel = !t ? 'max' : shared ? this.getMaxima(t, L * H).shared.toFixed(3) : 'own max';
    const c = this.measureCtx(theme, fs);
    const barW = Math.max(60, Math.min(BAR_W, sh.width - 2 * MARGIN - c.measureText(`0 ${maxLabel}`).width - 16));
    const barY = y + 4, barH = LEGEND_ROW - 6;
    scene.add({ kind: 'text', x: MARGIN, y: barY + barH / 2, text: '0', color: theme.muted, size: fs, align: 'left' });
    const bx = MARGIN + c.measureText('0').width + 6;
    for (let i = 0; i < BAR_STEPS; i++) {
      scene.add({ kind: 'rect', x: bx + (i * barW) / BAR_STEPS, y: barY, w: barW / BAR_STEPS + 0.5, h: barH, fill: weightHex(thumbColorValue(i / (BAR_STEPS - 1)), this.ctx.state.gamma) });
    }
    if (theme.highContrast && theme.contrastBorder) scene.add({ kind: 'rect', x: bx - 1, y: barY - 1, w: barW + 2, h: barH + 2, fill: 'transparent', stroke: theme.contrastBorder });
    scene.add({ kind: 'text', x: bx + barW + 6, y: barY + barH / 2, text: maxLabel, color: theme.foreground, size: fs, align: 'left' });
    y += LEGEND_ROW + 4;
    for (const line of this.legendLines(theme, sh.legend, sh.width, wrap)) {
      scene.add({ kind: 'text', x: MARGIN, y: y + LEGEND_ROW / 2, text: line, color: theme.muted, size: fs, align: 'left' });
      y += LEGEND_ROW;
    }
    for (let h = 0; h < H; h++) {
      const { x } = this.cellOrigin(0, h, sh.layout);
      scene.add({ kind: 'rect', x, y: sh.layout.y0 - 6, w: cell, h: 3, fill: sh.colors[h] });
      if (cell >= 20 || h % 2 === 0) scene.add({ kind: 'text', x: x + cell / 2, y: sh.layout.y0 - 15, text: `H${h}`, color: theme.muted, size: fs, align: 'center' });
    }
    for (let l = 0; l < L; l++) {
      const { y: ly } = this.cellOrigin(l, 0, sh.layout);
      scene.add({ kind: 'text', x: sh.layout.x0 - 8, y: ly + cell / 2, text: `L${l}`, color: theme.muted, size: fs, align: 'right' });
      if (loading) {
        for (let h = 0; h < H; h++) {
          const o = this.cellOrigin(l, h, sh.layout);
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
    const step = this.layout.cell + this.layout.gap;
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

  /** The export sheet: all layers × heads at EXPORT_CELL px, title and legend, on the chosen background. */
  private exportSheet(opts: ExportOptions): { sheet: Sheet; thumbs: Thumbnails } {
    const store = this.ctx.store();
    if (!store?.thumbnails) throw new Error('Nothing to export yet: the thumbnails have not arrived');
    const theme = exportTheme(this.ctx.theme(), opts.background);
    const { L, H } = store;
    const gap = 6;
    // Whole pixels per thumbnail cell: no seams between the rows of rects.
    const S = store.thumbnails.size;
    const cell = S * Math.max(1, Math.round(EXPORT_CELL / S));
    const width = Math.max(480, 2 * EXPORT_MARGIN + LABEL_W + H * cell + (H - 1) * gap);
    const legend = this.legendText(store.thumbnails).map((t) => t.replace(' (hover for it)', ''));
    const top = EXPORT_MARGIN + this.legendHeight(theme, legend, width, opts.title, true) + 4;
    const usedW = LABEL_W + H * cell + (H - 1) * gap;
    const layout: Layout = { cell, gap, x0: Math.floor((width - usedW) / 2) + LABEL_W, y0: top + HEADER_H };
    const height = layout.y0 + L * (cell + gap) - gap + EXPORT_MARGIN;
    const colors = headColors(H, isDarkTheme(theme));
    return { sheet: { width, height, theme, colors, layout, legendTop: EXPORT_MARGIN, legend, title: opts.title }, thumbs: store.thumbnails };
  }

  exportSize(opts: ExportOptions): { width: number; height: number } {
    const { sheet } = this.exportSheet(opts);
    return { width: sheet.width, height: sheet.height };
  }

  private exportScene(opts: ExportOptions): Scene {
    const store = this.ctx.store()!;
    const { sheet, thumbs } = this.exportSheet(opts);
    const scene = this.labelsScene(sheet, store.L, store.H, false, true);
    const { size: S, data } = thumbs;
    const m = new Float32Array(S * S);
    for (let l = 0; l < store.L; l++) {
      for (let h = 0; h < store.H; h++) {
        const base = (l * store.H + h) * S * S;
        const max = this.scaleMax(thumbs, l * store.H + h, store.L * store.H);
        for (let i = 0; i < S * S; i++) m[i] = thumbColorValue(thumbnailMean(data[base + i]) / max);
        const { x, y } = this.cellOrigin(l, h, sheet.layout);
        addMatrixToScene(scene, { x, y, size: sheet.layout.cell, T: S, matrix: m }, this.ctx.state.gamma, sheet.theme.masked, sheet.theme.muted);
      }
    }
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
