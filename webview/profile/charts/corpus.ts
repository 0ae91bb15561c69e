// Chart 0 (corpus runs only): the valid-token mask and the distribution of sequence lengths.
import type { ChartDef, ChartInput, BuiltChart } from '../chart';
import { emptyScene, profileChartCsv, toCsv } from '../chart';
import { legendBand, makeAxes, swatchLegendItem } from '../plot';
import { fdHistogram } from '../../../src/engine/stats';
import { fmt } from '../stats';
import type { Prim } from '../scene';

function buildValidMask(input: ChartInput): BuiltChart {
  const { result, theme } = input;
  const lengths = result.lengths;
  const n = lengths.length;
  const maxLen = Math.max(1, ...lengths);
  const legend = legendBand(input.width, theme, [swatchLegendItem('valid token', theme.blue, theme),
    swatchLegendItem('padding (right)', theme.masked, theme, theme.grid)]);
  const scene = emptyScene(input, Math.round(Math.min(260, Math.max(150, 70 + n * 2))) + legend.height);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: legend.height + 6,
    x: { domain: [-0.5, maxLen - 0.5], label: 'Token position', integer: true },
    y: { domain: [n - 0.5, -0.5], label: 'Sequence', integer: true },
    grid: false,
  });
  const { frame } = axes;
  const prims: Prim[] = [{ k: 'rect', x: frame.left, y: frame.top, w: frame.width, h: frame.height, fill: theme.masked }];
  lengths.forEach((len, i) => {
    const y0 = frame.y(i - 0.5);
    const y1 = frame.y(i + 0.5);
    const x0 = frame.x(-0.5);
    const x1 = frame.x(len - 0.5);
    prims.push({ k: 'rect', x: x0, y: Math.min(y0, y1), w: x1 - x0, h: Math.abs(y1 - y0) + 0.3, fill: theme.blue });
  });
  prims.push(...axes.over);
  prims.push(...legend.prims);
  scene.prims = prims;
  const header = ['sequence', 'length', ...Array.from({ length: maxLen }, (_, p) => `p${p}`)];
  const rows = lengths.map((len, i) => [i, len, ...Array.from({ length: maxLen }, (_, p) => (p < len ? 1 : 0))]);
  return {
    scene,
    csv: toCsv(header, rows),
    summary: `Valid-token mask of ${n} sequences, up to ${maxLen} tokens each.`,
    hit(x, y) {
      const seq = Math.round(frame.y.invert(y));
      const pos = Math.round(frame.x.invert(x));
      if (seq < 0 || seq >= n || pos < 0 || pos >= maxLen) return null;
      return { lines: [`sequence ${seq} (length ${lengths[seq]})`, `position ${pos}: ${pos < lengths[seq] ? 'valid' : 'padding'}`] };
    },
  };
}

function buildLengths(input: ChartInput): BuiltChart {
  const { result, theme } = input;
  const hist = fdHistogram(result.lengths);
  const edges = hist.edges.length ? hist.edges : [0, 1];
  const n = result.lengths.length;
  const counts = hist.edges.length ? hist.density.map((d, i) => Math.round(d * (edges[i + 1] - edges[i]) * n)) : [0];
  const scene = emptyScene(input, 170);
  const maxCount = Math.max(1, ...counts);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: 12,
    x: { domain: [edges[0], edges[edges.length - 1]], label: 'Sequence length (tokens)' },
    y: { domain: [0, maxCount * 1.08], label: 'Sequences', integer: true },
  });
  const { frame } = axes;
  const bars: Prim[] = counts.map((c, i) => ({
    k: 'rect', x: frame.x(edges[i]), y: frame.y(c), w: frame.x(edges[i + 1]) - frame.x(edges[i]), h: frame.y(0) - frame.y(c),
    fill: theme.blue, alpha: 0.75, stroke: theme.background, lineWidth: 1,
  }));
  scene.prims = [...axes.under, ...bars, ...axes.over];
  const sorted = [...result.lengths].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0;
  return {
    scene,
    csv: profileChartCsv(result, 'lengths', input.includeFirst),
    summary: `Histogram of ${result.lengths.length} sequence lengths, median ${median} tokens.`,
    hit(x, y) {
      const v = frame.x.invert(x);
      const i = edges.findIndex((e, k) => k < counts.length && v >= e && v <= edges[k + 1]);
      if (i < 0 || y < frame.top || y > frame.top + frame.height) return null;
      return { lines: [`length ${fmt(edges[i])}–${fmt(edges[i + 1])}`, `${counts[i]} sequence${counts[i] === 1 ? '' : 's'}`] };
    },
  };
}

export const validMaskChart: ChartDef = { id: 'validMask', title: 'Valid token positions', corpusOnly: true, build: buildValidMask };
export const lengthsChart: ChartDef = { id: 'lengths', title: 'Sequence lengths', corpusOnly: true, build: buildLengths };
