// One chart on screen: a titled figure with export buttons, a hi-DPI canvas, hover tooltip and click handling.
import type { ProfileChartId, ProfileExportFormat } from '../../src/protocol';
import type { BuiltChart, ChartDef, ChartInput, Hit, KeyGrid } from './chart';
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

/** A visually hidden, polite aria-live region: keyboard users hear what the tooltip shows. */
export class Announcer {
  readonly el = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  say(text: string): void { this.el.textContent = text; }
}

export interface CardEnv {
  tooltip: Tooltip;
  announce(text: string): void;
  exportChart(format: ProfileExportFormat, chart: ProfileChartId, data: string): void;
  openHead(layer: number, head: number): void;
}

const FORMATS: ProfileExportFormat[] = ['png', 'svg', 'csv'];

export class ChartCard {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private built: BuiltChart | null = null;
  /** Keyboard cursor over the chart's KeyGrid (charts without one are not focusable). */
  private cursor = { row: 0, col: 0 };

  constructor(readonly def: ChartDef, private readonly env: CardEnv, controls?: HTMLElement) {
    this.canvas = h('canvas', { role: 'img', 'aria-label': def.title, 'data-chart': def.id });
    const buttons = FORMATS.map((f) => h('button', {
      type: 'button', class: 'export', 'data-format': f, title: `Export ${def.title} as ${f.toUpperCase()}`,
      'aria-label': `Export ${def.title} as ${f.toUpperCase()}`, onclick: () => this.exportAs(f),
    }, f.toUpperCase()));
    this.el = h('figure', { class: 'chart', 'data-chart': def.id },
      h('figcaption', {}, h('span', { class: 'chart-title' }, def.title), h('span', { class: 'exports' }, ...buttons)),
      ...(controls ? [controls] : []),
      h('div', { class: 'canvas-wrap' }, this.canvas));
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => { env.tooltip.hide(); this.canvas.classList.remove('clickable'); });
    this.canvas.addEventListener('click', (e) => {
      const hit = this.hitAt(e);
      if (hit?.head) env.openHead(hit.head.layer, hit.head.head);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('focus', () => { this.paint(); this.announceCursor(); });
    this.canvas.addEventListener('blur', () => this.paint());
  }

  /** Build and paint for the current width; skipped while the card is not laid out (collapsed section). */
  render(input: Omit<ChartInput, 'width'>): void {
    const width = Math.floor(this.el.clientWidth);
    if (width <= 0) return;
    this.built = this.def.build({ ...input, width });
    this.focusColor = input.theme.focus;
    this.paint();
    this.canvas.setAttribute('aria-label', `${this.def.title}. ${this.built.summary}`);
    if (this.built.keys) this.canvas.tabIndex = 0;
    else this.canvas.removeAttribute('tabindex');
  }

  private focusColor = '#0078d4';

  /** Paint the built scene, plus the keyboard cursor while the canvas has focus. */
  private paint(): void {
    if (!this.built) return;
    paintCanvas(this.canvas, this.built.scene, window.devicePixelRatio || 1);
    const keys = this.built.keys;
    if (!keys || document.activeElement !== this.canvas) return;
    const { row, col } = this.clampCursor(keys);
    const [px, py] = keys.point(row, col);
    const b = keys.box?.(row, col) ?? { x: px - 6, y: py - 6, w: 12, h: 12 };
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.save();
    ctx.lineWidth = 2;
    ctx.strokeStyle = this.focusColor;
    ctx.strokeRect(b.x - 1, b.y - 1, b.w + 2, b.h + 2);
    ctx.restore();
  }

  private clampCursor(keys: KeyGrid): { row: number; col: number } {
    this.cursor.row = Math.max(0, Math.min(keys.rows - 1, this.cursor.row));
    this.cursor.col = Math.max(0, Math.min(keys.cols - 1, this.cursor.col));
    return this.cursor;
  }

  private cursorHit(): Hit | null {
    const keys = this.built?.keys;
    if (!keys || !this.built) return null;
    const { row, col } = this.clampCursor(keys);
    const [x, y] = keys.point(row, col);
    return this.built.hit(x, y);
  }

  private announceCursor(): void {
    const hit = this.cursorHit();
    if (!hit) return;
    const lines = hit.lines.filter((l) => !l.startsWith('click'));
    this.env.announce(`${lines.join('; ')}${hit.head ? '. Enter opens this head.' : ''}`);
  }

  /** Arrows move the cursor (↑ = next row: row 0 is drawn at the bottom), Enter opens a head. */
  private onKey(e: KeyboardEvent): void {
    const keys = this.built?.keys;
    if (!keys) return;
    const c = this.clampCursor(keys);
    if (e.key === 'ArrowRight') c.col = Math.min(keys.cols - 1, c.col + 1);
    else if (e.key === 'ArrowLeft') c.col = Math.max(0, c.col - 1);
    else if (e.key === 'ArrowUp') c.row = Math.min(keys.rows - 1, c.row + 1);
    else if (e.key === 'ArrowDown') c.row = Math.max(0, c.row - 1);
    else if (e.key === 'Home') c.col = 0;
    else if (e.key === 'End') c.col = keys.cols - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      const hit = this.cursorHit();
      if (!hit?.head) return;
      e.preventDefault();
      this.env.openHead(hit.head.layer, hit.head.head);
      return;
    } else return;
    e.preventDefault();
    this.paint();
    this.announceCursor();
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
