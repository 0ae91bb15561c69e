// The Generation tab's picture for one chosen step, as a Scene (screen canvas, PNG and SVG exports share it):
// the new token's attention to every earlier token as a strip over the tokens (prompt and generated tokens told
// apart) and as head-view lines to its strongest keys, the bar chart of its top-k candidates (chosen token marked,
// top-k / top-p cut drawn), and "attention over the steps": layer × step heatmaps of the new tokens' attention
// mass on the prompt, on the generated tokens and on the first token.
import type { Theme } from '../colors';
import { weightHex } from '../colors';
import type { GenerationSettings } from '../../../src/engine/generationTypes';
import { Scene } from '../scene';

export interface SceneToken { text: string; generated: boolean }

export interface SceneStep {
  index: number;
  token: string;
  prob: number;
  rank: number;
  topk: { id: number; token: string; prob: number }[];
  id: number;
  kept: number;
  context: number;
  /** [L, H, 3] prompt / generated / first-token mass. */
  mass: Float32Array;
}

export interface GenerationSceneInput {
  width: number;
  theme: Theme;
  title?: string;
  tokens: SceneToken[];
  steps: SceneStep[];
  selected: number;
  layer: number;
  head: number | null;
  L: number;
  H: number;
  settings: GenerationSettings;
  /** The selected step's attention row [context] for (layer, head), when it has arrived. */
  row?: Float32Array;
  /** Token range [start, end) of the strip (exports); all tokens when absent. */
  range?: { start: number; end: number };
}

/** Where things are, for pointer hits on the screen canvas. */
export interface SceneHits {
  strip: { x: number; y: number; w: number; h: number; token: number }[];
  heatmaps: { x0: number; y0: number; cell: number; cellH: number; steps: number; L: number }[];
  candidates: { x: number; y: number; w: number; h: number; index: number }[];
}

const PAD = 10;
const LINE = 18;

/** A printable token: spaces and newlines made visible. */
export function showToken(t: string): string {
  return t.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/^ /, '·') || '∅';
}

function measure(text: string, size: number): number {
  return text.length * size * 0.6; // monospace advance; the canvas clips anything longer
}

export function buildGenerationScene(o: GenerationSceneInput): { scene: Scene; hits: SceneHits; height: number } {
  const t = o.theme;
  const items: ((s: Scene) => void)[] = [];
  const hits: SceneHits = { strip: [], heatmaps: [], candidates: [] };
  const fs = Math.max(10, t.fontSize - 1);
  const small = Math.max(9, t.fontSize - 2);
  const W = Math.max(280, o.width);
  let y = PAD;
  const text = (x: number, yy: number, s: string, color: string, size = fs, align: 'left' | 'right' | 'center' = 'left', weight?: 'bold' | '600', mono = false) =>
    items.push((sc) => sc.add({ kind: 'text', x, y: yy, text: s, color, size, align, weight, mono }));
  const rect = (x: number, yy: number, w: number, h: number, fill: string, alpha?: number, stroke?: string) =>
    items.push((sc) => sc.add({ kind: 'rect', x, y: yy, w, h, fill, alpha, stroke }));
  const lines = (coords: number[], color: string, alpha: number, width: number, dash?: number[]) =>
    items.push((sc) => sc.add({ kind: 'lines', coords, color, alpha, width, dash }));

  /** A heading wrapped to the width (UI font advance estimated at 0.6 em). */
  const heading = (s: string, size = fs) => {
    const perLine = Math.max(12, Math.floor((W - 2 * PAD) / (size * 0.6)));
    const words = s.split(' ');
    let line = '';
    for (const w of words) {
      if (line && (line + ' ' + w).length > perLine) {
        text(PAD, y + 8, line, t.foreground, size, 'left', '600');
        y += size + 6;
        line = w;
      } else line = line ? line + ' ' + w : w;
    }
    if (line) text(PAD, y + 8, line, t.foreground, size, 'left', '600');
    y += size + 9;
  };
  if (o.title) {
    heading(o.title, fs + 2);
    y += 4;
  }
  const step = o.steps[o.selected];
  const headLabel = o.head === null ? 'mean of heads' : `head ${o.head}`;
  if (!step) {
    text(PAD, y + 8, 'No step yet: the generated tokens appear here as they are produced.', t.muted);
    y += 24;
  } else {
    // ---- the strip: attention of the chosen step's token over every earlier token ----
    heading(`Step ${step.index + 1}: attention of ${JSON.stringify(step.token)} to every earlier token (layer ${o.layer}, ${headLabel})`);
    const ctx = step.context;
    const start = o.range ? Math.max(0, o.range.start) : 0;
    const end = o.range ? Math.min(ctx, o.range.end) : ctx;
    let max = 0;
    if (o.row) for (let j = 0; j < ctx; j++) max = Math.max(max, o.row[j]);
    let x = PAD;
    const boxH = LINE - 2;
    for (let j = start; j < end; j++) {
      const tok = o.tokens[j];
      const label = showToken(tok?.text ?? '?');
      const w = Math.min(W - 2 * PAD, Math.max(14, measure(label, small) + 8));
      if (x + w > W - PAD && x > PAD) {
        x = PAD;
        y += LINE;
      }
      const weight = o.row ? o.row[j] : 0;
      const isQuery = j === ctx - 1;
      rect(x, y, w - 2, boxH, o.row ? weightHex(max > 0 ? weight / max : 0, 1) : t.widget, o.row ? 0.9 : 1, isQuery ? t.focus : t.contrastBorder ?? undefined);
      const light = o.row && max > 0 && weight / max > 0.55; // viridis is light at the top
      text(x + (w - 2) / 2, y + boxH / 2, label.length > 24 ? label.slice(0, 23) + '…' : label, o.row ? (light ? '#111111' : '#f5f5f5') : t.foreground, small, 'center', undefined, true);
      // generated tokens carry a bar under them
      if (tok?.generated) rect(x, y + boxH - 3, w - 2, 3, t.series.secondary);
      hits.strip.push({ x, y, w: w - 2, h: boxH, token: j });
      x += w;
    }
    y += LINE + 6;
    // legend of the strip (two rows when narrow)
    const lg = PAD;
    for (let i = 0; i < 40; i++) rect(lg + i * 3, y, 3, 10, weightHex(i / 39, 1));
    text(lg + 126, y + 5, `0 … ${max.toFixed(3)} (largest weight)`, t.muted, small);
    const narrow = W < 480;
    const lx = narrow ? lg : lg + 290;
    if (narrow) y += 16;
    rect(lx, y + 3, 18, 4, t.series.secondary);
    text(lx + 22, y + 5, 'generated', t.muted, small);
    rect(lx + 90, y, 18, 10, t.widget, 1, t.focus);
    text(lx + 112, y + 5, 'this step', t.muted, small);
    y += 22;
    if (!o.row) {
      text(PAD, y + 6, 'Loading the attention row…', t.muted, small);
      y += 18;
    }

    // ---- head-view lines to the strongest keys ----
    if (o.row) {
      const n = Math.min(12, ctx);
      const order = Array.from({ length: ctx }, (_, j) => j).sort((a, b) => o.row![b] - o.row![a]).slice(0, n).sort((a, b) => a - b);
      const mass = order.reduce((s, j) => s + o.row![j], 0);
      heading(`Head-view lines: the ${n} strongest of ${ctx} keys (${(mass * 100).toFixed(0)} % of the attention)`);
      const colW = Math.min(200, (W - 3 * PAD) / 2.6);
      const xl = PAD + colW;
      const xr = W - PAD - colW;
      const rowH = 18;
      const top = y;
      const qy = top + (n * rowH) / 2;
      const strongest = Math.max(...order.map((j) => o.row![j]), 1e-9);
      order.forEach((j, i) => {
        const yy = top + i * rowH + rowH / 2;
        const tok = o.tokens[j];
        text(xl - 6, yy, `${j}  ${showToken(tok?.text ?? '?')}`.slice(0, 28), tok?.generated ? t.series.secondary : t.foreground, small, 'right', undefined, true);
        const w = o.row![j] / strongest;
        lines([xl, yy, xr, qy], t.series.primary, 0.15 + 0.85 * w, 1 + 3 * w);
        text(xl + 4, yy - 6, o.row![j].toFixed(3), t.muted, small - 1);
      });
      text(xr + 6, qy, showToken(step.token).slice(0, 24), t.focus, fs, 'left', '600', true);
      y = top + n * rowH + 10;
    }

    // ---- top-k candidates ----
    heading(`Candidates at step ${step.index + 1} (model probabilities, temperature 1)`);
    const k = step.topk.length;
    const labelW = Math.min(140, W * 0.3);
    const barX = PAD + labelW + 6;
    const mark = W < 480 ? '  ◀' : '  ◀ chosen';
    const barW = Math.max(40, W - barX - PAD - (W < 480 ? 64 : 110));
    const top = step.topk[0]?.prob ?? 1;
    const rowH = 16;
    step.topk.forEach((c, i) => {
      const yy = y + i * rowH;
      const chosen = c.id === step.id;
      text(barX - 6, yy + rowH / 2, showToken(c.token).slice(0, 22), chosen ? t.focus : t.foreground, small, 'right', chosen ? '600' : undefined, true);
      rect(barX, yy + 2, Math.max(1, (barW * c.prob) / top), rowH - 4, chosen ? t.focus : t.series.primary, chosen ? 1 : 0.75, chosen ? t.contrastActiveBorder ?? undefined : undefined);
      text(barX + Math.max(1, (barW * c.prob) / top) + 4, yy + rowH / 2, `${(c.prob * 100).toFixed(1)} %${chosen ? mark : ''}`, chosen ? t.focus : t.muted, small);
      hits.candidates.push({ x: PAD, y: yy, w: W - 2 * PAD, h: rowH, index: i });
    });
    const cut = (after: number, label: string, dash: number[]) => {
      if (after <= 0 || after >= k) return;
      const yy = y + after * rowH;
      lines([PAD, yy, W - PAD, yy], t.series.tertiary, 0.9, 1.5, dash);
      text(W - PAD, yy - 5, label, t.series.tertiary, small, 'right');
    };
    const s = o.settings;
    if (s.strategy === 'sample' && s.topK > 0) cut(s.topK, `top-k = ${s.topK}`, [6, 3]);
    if (s.strategy === 'sample' && s.topP < 1) {
      if (step.kept < k) cut(step.kept, `top-p ${s.topP}: kept ${step.kept}`, [2, 2]);
    }
    y += k * rowH + 4;
    if (!step.topk.some((c) => c.id === step.id)) {
      text(PAD, y + 6, `chosen: ${JSON.stringify(step.token)}, rank ${step.rank}, ${(step.prob * 100).toFixed(2)} % (outside the top ${k})`, t.focus, small);
      y += 16;
    }
    const keptNote = s.strategy === 'greedy' ? 'greedy: always the most likely token'
      : `sampled among ${step.kept.toLocaleString('en-US')} tokens (temperature ${s.temperature}${s.topK ? `, top-k ${s.topK}` : ''}${s.topP < 1 ? `, top-p ${s.topP}` : ''})`;
    text(PAD, y + 6, W < 480 ? keptNote.replace(/ \(.*\)$/, '') : keptNote, t.muted, small);
    y += 22;
  }

  // ---- attention over the steps ----
  if (o.steps.length > 0) {
    heading(`Attention over the steps (layer × step, ${headLabel}): how much each new token attends to…`);
    const n = o.steps.length;
    const labelW = 30;
    const cellH = Math.max(4, Math.min(14, 120 / o.L));
    const titles = ['the prompt', 'the generated tokens', 'the first token'];
    const wide = W >= 3 * (labelW + 60) + 4 * PAD;
    const panelW = wide ? (W - 2 * PAD - 2 * PAD) / 3 : W - 2 * PAD;
    const cell = Math.max(1, (panelW - labelW) / n);
    for (let m = 0; m < 3; m++) {
      const x0 = (wide ? PAD + m * (panelW + PAD) : PAD) + labelW;
      const y0 = wide ? y + 14 : y + 14 + m * (o.L * cellH + 34);
      text(x0 - labelW, y0 - 8, titles[m], t.muted, small);
      for (let l = 0; l < o.L; l++) {
        for (let si = 0; si < n; si++) {
          const st = o.steps[si];
          let v = 0;
          if (o.head === null) {
            for (let h = 0; h < o.H; h++) v += st.mass[(l * o.H + h) * 3 + m] / o.H;
          } else v = st.mass[(l * o.H + o.head) * 3 + m];
          rect(x0 + si * cell, y0 + l * cellH, Math.ceil(cell), cellH, weightHex(Math.max(0, Math.min(1, v)), 1));
        }
        if (o.L <= 16 || l % Math.ceil(o.L / 12) === 0) text(x0 - 4, y0 + l * cellH + cellH / 2, String(l), t.muted, small - 1, 'right');
      }
      if (o.selected >= 0 && o.selected < n) rect(x0 + o.selected * cell - 1, y0 - 1, Math.ceil(cell) + 2, o.L * cellH + 2, 'transparent', 0, t.focus);
      text(x0, y0 + o.L * cellH + 9, 'step 1', t.muted, small - 1);
      text(x0 + n * cell, y0 + o.L * cellH + 9, String(n), t.muted, small - 1, 'right');
      hits.heatmaps.push({ x0, y0, cell, cellH, steps: n, L: o.L });
    }
    y += wide ? 14 + o.L * cellH + 26 : 3 * (o.L * cellH + 34) + 4;
    text(PAD, y + 4, `rows: layers 0 (top) … ${o.L - 1}`, t.muted, small);
    y += 16;
    text(PAD, y + 4, 'attention mass 0', t.muted, small);
    for (let i = 0; i < 40; i++) rect(PAD + 100 + i * 3, y, 3, 10, weightHex(i / 39, 1));
    text(PAD + 100 + 126, y + 5, '1', t.muted, small);
    y += 20;
  }

  const height = y + PAD;
  const scene = new Scene(W, height, t.background);
  for (const add of items) add(scene);
  return { scene, hits, height };
}
