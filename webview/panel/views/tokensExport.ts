// The tokens table as an export scene: every row given (all tokens or the chosen range), laid out in
// side-by-side blocks of at most ROWS_PER_BLOCK rows so a 1024-token table stays a printable shape,
// with the title, a subtitle (layer and head), column headers per block and a legend.
import { exportTheme, type Theme } from '../colors';
import { fitText, font } from '../canvas';
import { CONTINUATION_MARK } from '../data';
import { Scene, type SceneFonts } from '../scene';
import type { TokenRow } from './tokensView';

const ROWS_PER_BLOCK = 256;
const ROW_H = 20;
const PAD = 16;
const BLOCK_GAP = 28;
/** Column widths: index, token, three attended chips, three predictions. */
const COL = { num: 40, tok: 96, chip: 104, pred: 100 };
const BLOCK_W = COL.num + COL.tok + 3 * COL.chip + 3 * COL.pred + 12;

export interface TokensExportOptions {
  theme: Theme;
  background: 'theme' | 'white';
  title: string;
  subtitle: string;
  /** Tokens in the analysis (for "rows a–b of T"). */
  total: number;
  query: number | null;
  fonts: SceneFonts;
}

let measureCtx: CanvasRenderingContext2D | null | undefined;
function measurer(): CanvasRenderingContext2D | null {
  if (measureCtx === undefined) measureCtx = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  return measureCtx;
}

/** Width of text in a font (estimated without a canvas). */
function textWidth(text: string, px: number, family: string): number {
  const m = measurer();
  if (!m) return text.length * px * 0.6;
  m.font = font(px, family);
  return m.measureText(text).width;
}

/** Fit text to a width in a font (an ellipsis when it is cut). */
function fit(text: string, width: number, px: number, family: string): string {
  const m = measurer();
  if (!m) return text.length * px * 0.6 <= width ? text : text.slice(0, Math.max(1, Math.floor(width / (px * 0.6)) - 1)) + '…';
  m.font = font(px, family);
  return fitText(m, text, width);
}

export function buildTokensExport(rows: TokenRow[], o: TokensExportOptions): Scene {
  const t = exportTheme(o.theme, o.background);
  const fs = Math.max(10, t.fontSize - 1);
  const blocks = Math.max(1, Math.ceil(rows.length / ROWS_PER_BLOCK));
  const perBlock = Math.ceil(rows.length / blocks);
  const first = rows[0]?.index ?? 0;
  const last = rows.at(-1)?.index ?? 0;
  const hasContinuation = rows.some((r) => r.label.continues || r.attended.some((a) => a.token.startsWith(CONTINUATION_MARK)));
  const width = PAD * 2 + blocks * BLOCK_W + (blocks - 1) * BLOCK_GAP;
  // Legend entries (a swatch and a text each), laid out left to right, wrapping at the picture's width.
  const showQuery = o.query !== null && o.query >= first && o.query <= last;
  const legend: { swatch?: 'bar' | 'selection'; text: string }[] = [
    { swatch: 'bar', text: 'bar and number: attention weight of the key (0–1)' },
    { text: '%: probability of the next token' },
    ...(hasContinuation ? [{ text: `${CONTINUATION_MARK}: rest of a character split across tokens (it shows on the first)` }] : []),
    ...(showQuery ? [{ swatch: 'selection' as const, text: `selected query (#${o.query})` }] : []),
  ];
  const placed: { x: number; y: number; swatch?: 'bar' | 'selection'; text: string }[] = [];
  let lx = PAD, ly = PAD + 52;
  for (const item of legend) {
    const w = (item.swatch ? 44 : 0) + textWidth(item.text, fs, o.fonts.ui);
    if (lx > PAD && lx + w > width - PAD) { lx = PAD; ly += 22; }
    placed.push({ x: lx, y: ly, ...item });
    lx += w + 28;
  }
  const headerY = ly + 30;
  const top = headerY + 14;
  const height = top + perBlock * ROW_H + PAD;
  const scene = new Scene(width, height, t.background);
  const text = (x: number, y: number, s: string, color: string, opts: { size?: number; weight?: '600'; mono?: boolean; align?: 'left' | 'right' } = {}) =>
    scene.add({ kind: 'text', x, y, text: s, color, size: opts.size ?? fs, align: opts.align ?? 'left', weight: opts.weight, mono: opts.mono });

  text(PAD, PAD + 6, o.title || 'Tokens', t.foreground, { size: fs + 4, weight: '600' });
  const range = first === 0 && last === o.total - 1 ? `all ${o.total} tokens` : `tokens ${first}–${last} of ${o.total}`;
  text(PAD, PAD + 28, `${o.subtitle} · ${range}`, t.muted);

  // Legend: what a bar, a percentage, the mark and the highlight mean.
  for (const p of placed) {
    let x = p.x;
    if (p.swatch === 'bar') {
      scene.add({ kind: 'rect', x, y: p.y - 6, w: 36, h: 12, fill: t.widget, stroke: t.border });
      scene.add({ kind: 'rect', x, y: p.y - 6, w: 36 * 0.6, h: 12, fill: t.series.primary, alpha: 0.45 });
      x += 44;
    } else if (p.swatch === 'selection') {
      scene.add({ kind: 'rect', x, y: p.y - 8, w: 36, h: 16, fill: t.selection });
      x += 44;
    }
    text(x, p.y, p.text, t.muted);
  }

  for (let b = 0; b < blocks; b++) {
    const x0 = PAD + b * (BLOCK_W + BLOCK_GAP);
    const xs = { num: x0 + COL.num - 8, tok: x0 + COL.num, att: x0 + COL.num + COL.tok, pred: x0 + COL.num + COL.tok + 3 * COL.chip + 12 };
    text(xs.num, headerY, '#', t.muted, { weight: '600', align: 'right' });
    text(xs.tok, headerY, 'Token', t.muted, { weight: '600' });
    text(xs.att, headerY, 'Top-3 attended (weight)', t.muted, { weight: '600' });
    text(xs.pred, headerY, 'Predicted next', t.muted, { weight: '600' });
    scene.add({ kind: 'rect', x: x0, y: top - 3, w: BLOCK_W, h: 1, fill: t.border });
    const slice = rows.slice(b * perBlock, (b + 1) * perBlock);
    slice.forEach((r, j) => {
      const y = top + j * ROW_H;
      const cy = y + ROW_H / 2;
      const selected = r.index === o.query;
      if (selected) scene.add({ kind: 'rect', x: x0, y, w: BLOCK_W, h: ROW_H, fill: t.selection });
      const ink = selected ? t.selectionForeground : t.foreground;
      text(xs.num, cy, String(r.index), selected ? ink : t.muted, { align: 'right' });
      const mark = r.label.continues ? CONTINUATION_MARK : '';
      text(xs.tok, cy, fit(mark + r.token, COL.tok - 8, fs, o.fonts.mono), ink, { mono: true });
      r.attended.forEach((a, k) => {
        const x = xs.att + k * COL.chip;
        const w = COL.chip - 6;
        scene.add({ kind: 'rect', x, y: y + 2, w, h: ROW_H - 4, fill: t.widget });
        scene.add({ kind: 'rect', x, y: y + 2, w: Math.max(1, w * a.weight), h: ROW_H - 4, fill: t.series.primary, alpha: 0.45 });
        const num = a.weight.toFixed(2);
        text(x + w - 3, cy, num, t.muted, { align: 'right' });
        text(x + 4, cy, fit(a.token, w - 40, fs, o.fonts.mono), t.foreground, { mono: true });
      });
      r.predictions.forEach((p, k) => {
        const x = xs.pred + k * COL.pred;
        const pct = `${(p.prob * 100).toFixed(0)}%`;
        text(x + COL.pred - 8, cy, pct, selected ? ink : t.muted, { align: 'right' });
        text(x, cy, fit(p.token, COL.pred - 42, fs, o.fonts.mono), ink, { mono: true });
      });
    });
  }
  return scene;
}
