// Flow ("Self vs previous-token attention per layer"): per layer, mean self-attention (diagonal) and mean attention to the previous token, averaged
// over heads (summary.flow), with the per-head spread as a band and dots. Canvas line chart.
import { el, fillRemainingHeight, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas, fitText } from '../canvas';
import { makeCheckbox } from '../controls';
import { exportTheme, isDarkTheme, type Theme } from '../colors';
import { drawScene, Scene, sceneToPng, sceneToSvg } from '../scene';

const M = { bottom: 44 };

export class FlowView implements PanelView {
  readonly id = 'flow' as const;
  readonly label = 'Flow';
  readonly element: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly spread: { element: HTMLElement; set(v: boolean): void };
  private plot = { x0: 0, x1: 0, y0: 0, y1: 0, max: 1 };
  /** What the last scene drew: tick labels and the legend's extent (exposed on the canvas for tests). */
  private drawn = { ticks: [] as string[], legendRight: 0, legendBottom: 0, top: 0 };

  constructor(private readonly ctx: PanelContext) {
    this.element = el('div', 'view flow-view');
    const bar = el('div', 'view-toolbar');
    this.spread = makeCheckbox('Show per-head spread', (v) => this.ctx.update({ showHeadSpread: v }));
    bar.append(this.spread.element, el('span', 'toolbar-hint', 'Mean over heads of the attention each token pays to itself and to the previous token, per layer.'));
    this.box = el('div', 'canvas-box');
    this.canvas = interactiveCanvas('flow-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => this.ctx.tooltip.hide(),
      click: (e) => {
        const l = this.layerAt(e);
        if (l !== null) this.ctx.update({ layer: l });
      },
      key: (e) => this.onKey(e),
      focus: () => this.announceLayer(this.ctx.state.layer),
      blur: () => undefined,
    });
    this.box.append(this.canvas);
    this.element.append(bar, this.box);
  }

  /** ←/→ (Home/End) select the previous/next layer and read its values. */
  private onKey(e: KeyboardEvent): void {
    const store = this.ctx.store();
    if (!store) return;
    const l = this.ctx.state.layer;
    let next: number;
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') next = Math.min(store.L - 1, l + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') next = Math.max(0, l - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = store.L - 1;
    else return;
    e.preventDefault();
    this.ctx.update({ layer: next });
    this.announceLayer(next);
  }

  private describeLayer(l: number): string[] {
    const store = this.ctx.store()!;
    const a = store.flowStats(l, 0), b = store.flowStats(l, 1);
    return [`Layer ${l}`,
      `self: mean ${a.mean.toFixed(3)} (heads ${a.min.toFixed(2)}–${a.max.toFixed(2)})`,
      `previous token: mean ${b.mean.toFixed(3)} (heads ${b.min.toFixed(2)}–${b.max.toFixed(2)})`];
  }

  private announceLayer(l: number): void {
    if (this.ctx.store()) this.ctx.announce(this.describeLayer(l).join('; '));
  }

  reportedHead(): number | null {
    return this.ctx.state.head;
  }

  render(): boolean {
    const store = this.ctx.store();
    if (!store) return false;
    this.spread.set(this.ctx.state.showHeadSpread);
    const height = Math.min(fillRemainingHeight(this.box), 560);
    const width = Math.min(this.box.clientWidth, 1100);
    const g = fitCanvas(this.canvas, width, height);
    drawScene(g, this.buildScene(width, height), this.ctx.fonts(), true);
    this.canvas.dataset.ticks = this.drawn.ticks.join(',');
    this.canvas.dataset.legend = `${this.drawn.legendRight},${this.drawn.legendBottom},${this.drawn.top}`;
    const self = Array.from({ length: store.L }, (_, l) => store.flowStats(l, 0).mean.toFixed(2)).join(', ');
    const prev = Array.from({ length: store.L }, (_, l) => store.flowStats(l, 1).mean.toFixed(2)).join(', ');
    this.canvas.setAttribute('aria-label', `${FLOW_TITLE}. Mean self attention: ${self}. Mean previous-token attention: ${prev}. Left and right arrows select a layer and read its values.`);
    return true;
  }

  /**
   * The chart: title (wrapped), legend (entries wrap onto more lines, never clipped), axes with nice
   * ticks, per-layer means and the per-head spread. `exportTitle` adds a first line (exports).
   */
  private buildScene(width: number, height: number, theme: Theme = this.ctx.theme(), exportTitle?: string): Scene {
    const store = this.ctx.store()!;
    const scene = new Scene(width, height, theme.background);
    const g = this.measure();
    const fonts = this.ctx.fonts();
    const L = store.L;
    const showSpread = this.ctx.state.showHeadSpread;
    const fs = theme.fontSize - 2;
    let y = 12;
    if (exportTitle) {
      g.font = `600 ${theme.fontSize + 2}px ${fonts.ui}`;
      for (const line of wrapText(g, exportTitle, width - 24)) {
        scene.add({ kind: 'text', x: 12, y: y + 8, text: line, color: theme.foreground, size: theme.fontSize + 2, align: 'left', weight: '600' });
        y += theme.fontSize + 8;
      }
    }
    g.font = `600 ${theme.fontSize + 1}px ${fonts.ui}`;
    for (const line of wrapText(g, FLOW_TITLE, width - 24)) {
      scene.add({ kind: 'text', x: 12, y: y + 8, text: line, color: theme.foreground, size: theme.fontSize + 1, align: 'left', weight: '600' });
      y += theme.fontSize + 7;
    }
    // Legend: entries flow left to right and wrap; the block's height pushes the plot down.
    const series = [
      { c: 0 as const, name: 'self (diagonal)', color: theme.series.primary },
      { c: 1 as const, name: 'previous token', color: theme.series.secondary },
    ];
    g.font = `${fs + 1}px ${fonts.ui}`;
    const entries: { w: number; draw: (x: number, y: number) => void }[] = series.map((s) => ({
      w: 24 + g.measureText(s.name).width,
      draw: (x, ly) => {
        scene.add({ kind: 'rect', x, y: ly - 2, w: 18, h: 4, fill: s.color });
        scene.add({ kind: 'text', x: x + 24, y: ly, text: s.name, color: theme.foreground, size: fs + 1, align: 'left' });
      },
    }));
    if (showSpread) {
      const note = 'dots: single heads · bars: their min–max';
      g.font = `${fs}px ${fonts.ui}`;
      entries.push({
        w: 16 + g.measureText(note).width,
        draw: (x, ly) => {
          scene.add({ kind: 'lines', color: theme.muted, alpha: 0.6, width: 2, coords: [x + 5, ly - 6, x + 5, ly + 6] });
          scene.add({ kind: 'circle', x: x + 5, y: ly, r: 2.2, fill: theme.muted });
          scene.add({ kind: 'text', x: x + 16, y: ly, text: fitText(g, note, width - 40), color: theme.muted, size: fs, align: 'left' });
        },
      });
    }
    let lx = 12, ly = y + 10, right = 0;
    for (const e of entries) {
      if (lx > 12 && lx + e.w > width - 12) { lx = 12; ly += fs + 10; }
      e.draw(lx, ly);
      right = Math.max(right, Math.min(lx + e.w, width - 12));
      lx += e.w + 22;
    }
    const top = ly + 18;
    let max = 0;
    for (let l = 0; l < L; l++) for (const c of [0, 1] as const) {
      const st = store.flowStats(l, c);
      max = Math.max(max, showSpread ? st.max : st.mean);
    }
    const y0 = height - M.bottom, y1 = top;
    const ticks = niceTicks(max, Math.max(2, Math.min(5, Math.floor((y0 - y1) / 36))));
    // Left margin: the rotated axis label's band, then the widest tick label, so the two never overlap.
    g.font = `${fs}px ${fonts.ui}`;
    const tickW = Math.max(...ticks.values.map((v) => g.measureText(v.toFixed(ticks.decimals)).width));
    const x0 = Math.ceil(fs + 8 + tickW + 8), x1 = width - (width < 420 ? 12 : 24);
    this.plot = { x0, x1, y0, y1, max: ticks.max };
    this.drawn = { ticks: ticks.values.map((v) => v.toFixed(ticks.decimals)), legendRight: Math.ceil(right), legendBottom: Math.ceil(ly + fs / 2 + 2), top: y1 };
    const px = (l: number) => (L === 1 ? (x0 + x1) / 2 : x0 + ((x1 - x0) * l) / (L - 1));
    const py = (v: number) => y0 - ((y0 - y1) * v) / ticks.max;
    // grid and axes
    for (const v of ticks.values) {
      scene.add({ kind: 'lines', color: theme.grid, alpha: theme.gridAlpha, width: 1, coords: [x0, py(v), x1, py(v)] });
      scene.add({ kind: 'text', x: x0 - 8, y: py(v), text: v.toFixed(ticks.decimals), color: theme.muted, size: fs, align: 'right' });
    }
    g.font = `${fs}px ${fonts.ui}`;
    const labelEvery = Math.max(1, Math.ceil((g.measureText(String(L - 1)).width + 10) / Math.max(1, (x1 - x0) / Math.max(1, L - 1))));
    for (let l = 0; l < L; l += labelEvery) scene.add({ kind: 'text', x: px(l), y: y0 + 14, text: String(l), color: theme.muted, size: fs, align: 'center' });
    scene.add({ kind: 'text', x: (x0 + x1) / 2, y: y0 + 32, text: 'layer', color: theme.muted, size: fs, align: 'center' });
    scene.add({ kind: 'text', x: 12, y: (y0 + y1) / 2, text: fitText(g, 'mean attention weight', y0 - y1), color: theme.muted, size: fs, align: 'center', rotate: -90 });
    scene.add({ kind: 'lines', color: theme.focus, alpha: 0.5, width: 1, coords: [px(this.ctx.state.layer), y1, px(this.ctx.state.layer), y0], dash: [3, 3] });
    // Light backgrounds wash out translucent marks: the per-head spread is drawn stronger there.
    const spreadAlpha = isDarkTheme(theme) ? { dots: 0.5, whiskers: 0.35 } : { dots: 0.75, whiskers: 0.55 };
    for (const s of series) {
      const stats = Array.from({ length: L }, (_, l) => store.flowStats(l, s.c));
      if (showSpread) {
        // Per-head spread: a min–max whisker and one dot per head, offset so the two series don't overlap.
        const dx = s.c === 0 ? -4 : 4;
        const whiskers: number[] = [];
        stats.forEach((st, l) => {
          whiskers.push(px(l) + dx, py(st.min), px(l) + dx, py(st.max));
          st.perHead.forEach((v) => {
            if (Number.isFinite(v)) scene.add({ kind: 'circle', x: px(l) + dx, y: py(v), r: 2.2, fill: s.color, alpha: spreadAlpha.dots });
          });
        });
        scene.add({ kind: 'lines', color: s.color, alpha: spreadAlpha.whiskers, width: 2, coords: whiskers });
      }
      scene.add({ kind: 'polyline', points: stats.map((st, l) => [px(l), py(st.mean)]), color: s.color, width: 2.5 });
      stats.forEach((st, l) => scene.add({ kind: 'circle', x: px(l), y: py(st.mean), r: 3.5, fill: s.color }));
    }
    return scene;
  }

  private measure(): CanvasRenderingContext2D {
    const g = this.canvas.getContext('2d');
    if (!g) throw new Error('This webview cannot create a 2D canvas context');
    return g;
  }

  private layerAt(e: MouseEvent): number | null {
    const store = this.ctx.store();
    if (!store) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const { x0, x1 } = this.plot;
    if (x < x0 - 10 || x > x1 + 10) return null;
    return store.L === 1 ? 0 : Math.max(0, Math.min(store.L - 1, Math.round(((x - x0) / (x1 - x0)) * (store.L - 1))));
  }

  private onMove(e: MouseEvent): void {
    const l = this.layerAt(e);
    const store = this.ctx.store();
    if (l === null || !store) { this.ctx.tooltip.hide(); return; }
    this.ctx.tooltip.show(e.clientX, e.clientY, [...this.describeLayer(l), 'click to select this layer']);
  }

  /** Exports: the whole chart at a print size (not the panel's), with the export title, on the chosen background. */
  private exportScene(opts: ExportOptions): Scene {
    if (!this.ctx.store()) throw new Error('Nothing to export yet: no analysis has been received');
    const { plot, drawn } = this;
    try {
      return this.buildScene(EXPORT_SIZE.width, EXPORT_SIZE.height, exportTheme(this.ctx.theme(), opts.background), opts.title || undefined);
    } finally {
      // The on-screen geometry (hit testing) is the panel's, not the export's.
      this.plot = plot;
      this.drawn = drawn;
    }
  }

  exportPng(opts: ExportOptions): string {
    return sceneToPng(this.exportScene(opts), this.ctx.fonts(), opts.scale);
  }

  exportSvg(opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(opts), this.ctx.fonts());
  }
}

export const FLOW_TITLE = 'Self vs previous-token attention per layer';
const EXPORT_SIZE = { width: 900, height: 540 };

/**
 * Axis ticks at round values: a step of 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5 or 1 (the
 * smallest giving at most `maxIntervals` intervals), from 0 to the first tick at or above `maxValue`.
 */
export function niceTicks(maxValue: number, maxIntervals = 5): { step: number; max: number; values: number[]; decimals: number } {
  const v = Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 0.05;
  const steps = [0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1];
  const step = steps.find((s) => Math.ceil(v / s - 1e-9) <= maxIntervals) ?? 1;
  const n = Math.max(1, Math.ceil(v / step - 1e-9));
  const decimals = step >= 1 ? 0 : step === 0.025 ? 3 : step === 0.1 || step === 0.2 || step === 0.5 ? 1 : 2;
  const values = Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1000) / 1000);
  return { step, max: n * step, values, decimals };
}

/** Greedy word wrap to `maxWidth` (the context's current font); a too-long word gets an ellipsis. */
export function wrapText(g: CanvasRenderingContext2D, text: string, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && g.measureText(next).width > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.map((l) => fitText(g, l, maxWidth));
}

