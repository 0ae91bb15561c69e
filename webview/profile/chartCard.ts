// One chart on screen: a titled figure with export buttons, a hi-DPI canvas, hover tooltip and click handling.
import type { ProfileChartId, ProfileExportFormat } from '../../src/protocol';
import type { BuiltChart, ChartDef, ChartInput, Hit } from './chart';
import { h } from './dom';
import { paintCanvas, sceneToSvg, withTitle } from './scene';

export class Tooltip {
  readonly el = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  show(lines: string[], clientX: number, clientY: number): void {
    this.el.replaceChildren(...lines.map((l, i) => h('div', { class: i === 0 ? 'tip-head' : undefined }, l)));
    this.el.hidden = false;
    const { width, height } = this.el.getBoundingClientRect();
    const x = Math.min(clientX + 12, window.innerWidth - width - 4);
    const y = clientY + 14 + height > window.innerHeight ? clientY - height - 10 : clientY + 14;
    this.el.style.left = `${Math.max(4, x)}px`;
    this.el.style.top = `${Math.max(4, y)}px`;
  }
  hide(): void { this.el.hidden = true; }
}

export interface CardEnv {
  tooltip: Tooltip;
  exportChart(format: ProfileExportFormat, chart: ProfileChartId, data: string): void;
  openHead(layer: number, head: number): void;
}

const FORMATS: ProfileExportFormat[] = ['png', 'svg', 'csv'];

export class ChartCard {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private built: BuiltChart | null = null;

  constructor(readonly def: ChartDef, private readonly env: CardEnv, controls?: HTMLElement) {
    this.canvas = h('canvas', { role: 'img', 'aria-label': def.title, 'data-chart': def.id });
    const buttons = FORMATS.map((f) => h('button', {
      type: 'button', class: 'export', 'data-format': f, title: `Export ${def.title} as ${f.toUpperCase()}`,
      'aria-label': `Export ${def.title} as ${f.toUpperCase()}`, onclick: () => this.exportAs(f),
    }, f.toUpperCase()));
    this.el = h('figure', { class: 'chart', 'data-chart': def.id },
      h('figcaption', {}, h('span', { class: 'chart-title', title: def.title }, def.title), h('span', { class: 'exports' }, ...buttons)),
      ...(controls ? [controls] : []),
      h('div', { class: 'canvas-wrap' }, this.canvas));
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('click', (e) => {
      const hit = this.hitAt(e);
      if (hit?.head) env.openHead(hit.head.layer, hit.head.head);
    });
  }

  /** Build and paint for the current width; skipped while the card is not laid out (collapsed section). */
  render(input: Omit<ChartInput, 'width'>): void {
    const width = Math.floor(this.el.clientWidth);
    if (width <= 0) return;
    this.built = this.def.build({ ...input, width });
    paintCanvas(this.canvas, this.built.scene, window.devicePixelRatio || 1);
    this.canvas.setAttribute('aria-label', `${this.def.title}. ${this.built.summary}`);
  }

  exportAs(format: ProfileExportFormat): void {
    if (!this.built) return;
    const fg = getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim() || '#888';
    const titled = withTitle(this.built.scene, this.def.title, fg);
    let data: string;
    if (format === 'csv') data = this.built.csv;
    else if (format === 'svg') data = sceneToSvg(titled);
    else {
      const c = document.createElement('canvas');
      paintCanvas(c, titled, 2);
      data = c.toDataURL('image/png');
    }
    this.env.exportChart(format, this.def.id, data);
  }

  private hitAt(e: MouseEvent): Hit | null {
    if (!this.built) return null;
    const rect = this.canvas.getBoundingClientRect();
    return this.built.hit(e.clientX - rect.left, e.clientY - rect.top);
  }

  private onMove(e: MouseEvent): void {
    const hit = this.hitAt(e);
    this.canvas.classList.toggle('clickable', !!hit?.head);
    if (hit) this.env.tooltip.show(hit.lines, e.clientX, e.clientY);
    else this.env.tooltip.hide();
  }
}
