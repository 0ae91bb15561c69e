// Exports of the heatmap view: the whole matrix (or the chosen token range) of one head or of every
// panel of a grid, with every cell at least one device pixel at the export scale, token labels when
// cells are big enough (token numbers otherwise), a title, a colour bar and the masked swatch, on the
// theme's or a white background. PNG draws the matrices as images; SVG uses vector cells for short
// ranges and embeds each matrix as a pixel-exact PNG beyond that (a million SVG rects helps nobody).
import { labelToken } from '../data';
import type { Token } from '../../../src/engine/types';
import type { ExportOptions } from '../context';
import { cssColorToRgb, exportTheme, headColors, isDarkTheme, type Theme } from '../colors';
import { fitText } from '../canvas';
import { addRangeToScene, fillRangeImage, renderImage, windowHatch, type WeightSource } from '../heatmapImage';
import { tokenTickStep } from '../heatmapViewport';
import { drawScene, fitPngScale, Scene, sceneToSvg, type SceneFonts } from '../scene';
import type { TokenRange } from '../state';
import { escapeXml } from '../svg';
import { addVerticalLegend } from '../heatmapLegend';

export interface ExportPanel {
  layer: number;
  head: number | null;
  title: string;
  src: WeightSource;
}

export interface HeatmapExportInput {
  panels: ExportPanel[];
  range: TokenRange;
  grid: boolean;
  opts: ExportOptions;
  tokens: Token[];
  gamma: number;
  theme: Theme;
  fonts: SceneFonts;
  H: number;
  subtitle: string;
}

interface Placed { x: number; y: number; size: number; panel: ExportPanel }

const M = 16;
const LEGEND_W = 96;
/** Up to this many tokens, an SVG export draws every cell as a vector rect. */
const SVG_VECTOR_MAX = 128;

let measureCtx: CanvasRenderingContext2D | null = null;
function measurer(): CanvasRenderingContext2D {
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  if (!measureCtx) throw new Error('This webview cannot create a 2D canvas context');
  return measureCtx;
}

/** Lay out the export: the scene (text, legend, hatching) and where each matrix goes. */
export function layoutExport(input: HeatmapExportInput): { scene: Scene; placed: Placed[]; theme: Theme } {
  const theme = exportTheme(input.theme, input.opts.background);
  const { range, opts } = input;
  const n = range.end - range.start;
  const scale = Math.max(1, opts.scale);
  const g = measurer();
  const fs = theme.fontSize;
  const headerH = (opts.title ? 26 : 0) + 22;
  const placed: Placed[] = [];
  const items: ((s: Scene) => void)[] = [];
  let width: number, height: number;

  if (!input.grid) {
    // Big enough for a label per token when the range is short; one device pixel per cell at least.
    const size = n <= 120 ? n * 12 : Math.max(480, Math.ceil(n / scale));
    const cell = size / n;
    const labelled = cell >= 8;
    const lfs = Math.min(fs - 1, Math.max(7, Math.floor(cell * 0.75)));
    g.font = `${lfs}px ${input.fonts.mono}`;
    let maxLabel = 0;
    if (labelled) for (let i = range.start; i < range.end; i++) maxLabel = Math.max(maxLabel, g.measureText(labelToken(input.tokens[i].text)).width);
    const gutter = labelled ? Math.min(160, Math.ceil(maxLabel) + 12) : 44;
    const x = M + gutter, y = M + headerH + gutter;
    placed.push({ x, y, size, panel: input.panels[0] });
    width = x + size + 20 + LEGEND_W + M;
    height = y + size + M;
    items.push((s) => {
      if (labelled) {
        g.font = `${lfs}px ${input.fonts.mono}`;
        for (let i = range.start; i < range.end; i++) {
          const t = fitText(g, labelToken(input.tokens[i].text), gutter - 8);
          const c = (i - range.start + 0.5) * cell;
          s.add({ kind: 'text', x: x - 5, y: y + c, text: t, color: theme.foreground, size: lfs, align: 'right', mono: true });
          s.add({ kind: 'text', x: x + c, y: y - 5, text: t, color: theme.foreground, size: lfs, align: 'left', mono: true, rotate: -90 });
        }
      } else addTicks(s, theme, range, x, y, size);
      s.add({ kind: 'text', x: x - 5, y: y - 22, text: 'key →', color: theme.muted, size: fs - 2, align: 'right' });
      s.add({ kind: 'text', x: x - 5, y: y - 9, text: 'query ↓', color: theme.muted, size: fs - 2, align: 'right' });
      addVerticalLegend(s, theme, input.gamma, x + size + 20, y + 14, Math.min(240, Math.max(80, size - 40)));
    });
  } else {
    const count = input.panels.length;
    const cols = Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / cols);
    const size = Math.max(96, n <= 64 ? n * 4 : Math.ceil(n / scale));
    const gap = 14, titleH = 20;
    const colors = headColors(input.H, isDarkTheme(theme));
    input.panels.forEach((p, i) => {
      const x = M + (i % cols) * (size + gap);
      const y = M + headerH + titleH + Math.floor(i / cols) * (size + gap + titleH);
      placed.push({ x, y, size, panel: p });
      items.push((s) => s.add({ kind: 'text', x: x + size / 2, y: y - 10, text: p.title, color: p.head === null || input.panels.every((q) => q.head === p.head) ? theme.foreground : colors[p.head], size: fs - 1, align: 'center', weight: '600' }));
    });
    width = M + cols * size + (cols - 1) * gap + 20 + LEGEND_W + M;
    height = M + headerH + rows * (size + gap + titleH) + M;
    items.push((s) => addVerticalLegend(s, theme, input.gamma, M + cols * size + (cols - 1) * gap + 20, M + headerH + titleH + 14, Math.min(240, Math.max(80, size - 40))));
  }

  g.font = `600 ${fs + 2}px ${input.fonts.ui}`;
  width = Math.max(width, Math.ceil(g.measureText(opts.title).width) + 2 * M, 360);
  const scene = new Scene(Math.ceil(width), Math.ceil(height), theme.background);
  let ty = M + 8;
  if (opts.title) {
    scene.add({ kind: 'text', x: M, y: ty, text: opts.title, color: theme.foreground, size: fs + 2, align: 'left', weight: '600' });
    ty += 24;
  }
  g.font = `${fs - 1}px ${input.fonts.ui}`;
  scene.add({ kind: 'text', x: M, y: ty, text: fitText(g, input.subtitle, width - 2 * M), color: theme.muted, size: fs - 1, align: 'left' });
  for (const add of items) add(scene);
  return { scene, placed, theme };
}

/** Token numbers at round intervals along the top and left edges. */
function addTicks(s: Scene, theme: Theme, range: TokenRange, x: number, y: number, size: number): void {
  const n = range.end - range.start;
  const cell = size / n;
  const step = tokenTickStep(cell, 40);
  const coords: number[] = [];
  for (let i = Math.ceil(range.start / step) * step; i < range.end; i += step) {
    const c = (i - range.start + 0.5) * cell;
    s.add({ kind: 'text', x: x - 7, y: y + c, text: String(i), color: theme.muted, size: theme.fontSize - 2, align: 'right' });
    s.add({ kind: 'text', x: x + c, y: y - 11, text: String(i), color: theme.muted, size: theme.fontSize - 2, align: 'center' });
    coords.push(x - 4, y + c, x, y + c, x + c, y - 4, x + c, y);
  }
  s.add({ kind: 'lines', color: theme.muted, alpha: 0.8, width: 1, coords });
}

function matrixImage(p: ExportPanel, range: TokenRange, gamma: number, masked: [number, number, number]): HTMLCanvasElement {
  const n = range.end - range.start;
  return renderImage(n, n, (img) => fillRangeImage(img, p.src, range.start, range.end, gamma, masked));
}

function addHatchAndFrames(scene: Scene, placed: Placed[], n: number, theme: Theme): void {
  for (const p of placed) {
    if (p.size >= 60) scene.add({ kind: 'lines', color: theme.muted, alpha: 0.35, width: 1, coords: windowHatch(p.x, p.y, p.size, p.size / n, p.size > 200 ? 7 : 5) });
    scene.add({ kind: 'lines', color: theme.contrastBorder ?? theme.border, alpha: 1, width: 1,
      coords: frame(p.x - 0.5, p.y - 0.5, p.size + 1) });
  }
}

function frame(x: number, y: number, s: number): number[] {
  return [x, y, x + s, y, x + s, y, x + s, y + s, x + s, y + s, x, y + s, x, y + s, x, y];
}

export function exportHeatmapPng(input: HeatmapExportInput): string {
  const { scene, placed, theme } = layoutExport(input);
  const n = input.range.end - input.range.start;
  addHatchAndFrames(scene, placed, n, theme);
  const scale = fitPngScale(scene.width, scene.height, input.opts.scale);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(scene.width * scale);
  canvas.height = Math.round(scene.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This webview cannot create a 2D canvas context');
  ctx.scale(scale, scale);
  ctx.fillStyle = scene.background;
  ctx.fillRect(0, 0, scene.width, scene.height);
  const masked = cssColorToRgb(theme.masked);
  for (const p of placed) {
    ctx.imageSmoothingEnabled = p.size * scale < n;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(matrixImage(p.panel, input.range, input.gamma, masked), p.x, p.y, p.size, p.size);
  }
  drawScene(ctx, scene, input.fonts, false);
  return canvas.toDataURL('image/png');
}

export function exportHeatmapSvg(input: HeatmapExportInput): string {
  const { scene, placed, theme } = layoutExport(input);
  const n = input.range.end - input.range.start;
  if (n <= SVG_VECTOR_MAX) {
    for (const p of placed) addRangeToScene(scene, p.x, p.y, p.size, p.panel.src, input.range.start, input.range.end, input.gamma, theme.masked, theme.muted);
    scene.add({ kind: 'lines', color: theme.contrastBorder ?? theme.border, alpha: 1, width: 1, coords: placed.flatMap((p) => frame(p.x - 0.5, p.y - 0.5, p.size + 1)) });
    return sceneToSvg(scene, input.fonts);
  }
  addHatchAndFrames(scene, placed, n, theme);
  const svg = sceneToSvg(scene, input.fonts);
  const masked = cssColorToRgb(theme.masked);
  const images = placed.map((p) => {
    const url = matrixImage(p.panel, input.range, input.gamma, masked).toDataURL('image/png');
    return `<image x="${p.x}" y="${p.y}" width="${p.size}" height="${p.size}" preserveAspectRatio="none" image-rendering="pixelated" style="image-rendering:pixelated" href="${escapeXml(url)}"><title>${escapeXml(p.panel.title)}</title></image>`;
  }).join('\n');
  // Right after the background rect: the matrices sit under the hatching, labels and frames.
  const at = svg.indexOf('/>', svg.indexOf('<rect')) + 2;
  return svg.slice(0, at) + '\n' + images + svg.slice(at);
}
