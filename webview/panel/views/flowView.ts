// Flow: per layer, mean self-attention (diagonal) and mean attention to the previous token, averaged
// over heads (summary.flow), with the per-head spread as a band and dots. Canvas line chart.
import { el, fillRemainingHeight, interactiveCanvas, type PanelContext, type PanelView, type ExportOptions } from '../context';
import { fitCanvas } from '../canvas';
import { makeCheckbox } from '../controls';
import { isDarkTheme } from '../colors';
import { drawScene, Scene, sceneToPng, sceneToSvg } from '../scene';

const M = { left: 56, right: 24, top: 40, bottom: 44 };

export class FlowView implements PanelView {
  readonly id = 'flow' as const;
  readonly label = 'Flow';
  readonly element: HTMLElement;
  private readonly box: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly spread: { element: HTMLElement; set(v: boolean): void };
  private plot = { x0: 0, x1: 0, y0: 0, y1: 0, max: 1 };

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
    const self = Array.from({ length: store.L }, (_, l) => store.flowStats(l, 0).mean.toFixed(2)).join(', ');
    const prev = Array.from({ length: store.L }, (_, l) => store.flowStats(l, 1).mean.toFixed(2)).join(', ');
    this.canvas.setAttribute('aria-label', `Attention flow by layer. Mean self attention: ${self}. Mean previous-token attention: ${prev}. Left and right arrows select a layer and read its values.`);
    return true;
  }

  private buildScene(width: number, height: number): Scene {
    const store = this.ctx.store()!;
    const theme = this.ctx.theme();
    const scene = new Scene(width, height, theme.background);
    const L = store.L;
    const showSpread = this.ctx.state.showHeadSpread;
    let max = 0;
    for (let l = 0; l < L; l++) for (const c of [0, 1] as const) {
      const s = store.flowStats(l, c);
      max = Math.max(max, showSpread ? s.max : s.mean);
    }
    max = niceCeil(Math.max(0.05, max));
    const x0 = M.left, x1 = width - M.right, y0 = height - M.bottom, y1 = M.top;
    this.plot = { x0, x1, y0, y1, max };
    const px = (l: number) => (L === 1 ? (x0 + x1) / 2 : x0 + ((x1 - x0) * l) / (L - 1));
    const py = (v: number) => y0 - ((y0 - y1) * v) / max;
    const fs = theme.fontSize - 2;
    // grid and axes
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      scene.add({ kind: 'lines', color: theme.grid, alpha: theme.gridAlpha, width: 1, coords: [x0, py(v), x1, py(v)] });
      scene.add({ kind: 'text', x: x0 - 8, y: py(v), text: v.toFixed(2), color: theme.muted, size: fs, align: 'right' });
    }
    const labelEvery = Math.ceil(L / 24);
    for (let l = 0; l < L; l += labelEvery) scene.add({ kind: 'text', x: px(l), y: y0 + 14, text: String(l), color: theme.muted, size: fs, align: 'center' });
    scene.add({ kind: 'text', x: (x0 + x1) / 2, y: y0 + 32, text: 'layer', color: theme.muted, size: fs, align: 'center' });
    scene.add({ kind: 'text', x: 14, y: (y0 + y1) / 2, text: 'mean attention weight', color: theme.muted, size: fs, align: 'center', rotate: -90 });
    scene.add({ kind: 'lines', color: theme.focus, alpha: 0.5, width: 1, coords: [px(this.ctx.state.layer), y1, px(this.ctx.state.layer), y0], dash: [3, 3] });
    // Light backgrounds wash out translucent marks: the per-head spread is drawn stronger there.
    const spreadAlpha = isDarkTheme(theme) ? { dots: 0.5, whiskers: 0.35 } : { dots: 0.75, whiskers: 0.55 };
    const series = [
      { c: 0 as const, name: 'self (diagonal)', color: theme.series.primary },
      { c: 1 as const, name: 'previous token', color: theme.series.secondary },
    ];
    for (const s of series) {
      const stats = Array.from({ length: L }, (_, l) => store.flowStats(l, s.c));
      if (showSpread) {
        // Per-head spread: a min–max whisker and one dot per head, offset so the two series don't overlap.
        const dx = s.c === 0 ? -5 : 5;
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
    // legend
    let lx = x0;
    for (const s of series) {
      scene.add({ kind: 'rect', x: lx, y: 14, w: 18, h: 4, fill: s.color });
      scene.add({ kind: 'text', x: lx + 24, y: 16, text: s.name, color: theme.foreground, size: fs + 1, align: 'left' });
      lx += 150;
    }
    if (showSpread) scene.add({ kind: 'text', x: lx, y: 16, text: 'dots and whiskers: individual heads (min–max)', color: theme.muted, size: fs, align: 'left' });
    return scene;
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

  exportPng(_opts: ExportOptions): string {
    return sceneToPng(this.buildScene(this.canvas.clientWidth || 900, this.canvas.clientHeight || 500), this.ctx.fonts());
  }

  exportSvg(_opts: ExportOptions): string {
    return sceneToSvg(this.buildScene(this.canvas.clientWidth || 900, this.canvas.clientHeight || 500), this.ctx.fonts());
  }
}

/** Round up to 1, 2, 2.5 or 5 × 10^n. */
export function niceCeil(v: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
