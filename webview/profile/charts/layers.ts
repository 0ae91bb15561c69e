// Charts 1, 2, 4 and 5: per-layer magnitude distributions, means, position regression and autoregression.
import type { ChartDef, ChartInput, BuiltChart, Hit, KeyGrid } from '../chart';
import { emptyScene, nearestIndex, profileChartCsv, toCsv } from '../chart';
import { layerColors, plasma } from '../colormap';
import type { Frame, Marker } from '../plot';
import { layerLegendItem, legendBand, makeAxes, marker, seriesLegendItems, textLegendItem } from '../plot';
import type { Point, Prim } from '../scene';
import { fmt, padExtent } from '../stats';

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function extent(values: (number | null | undefined)[]): [number, number] {
  const v = values.filter(finite);
  return v.length ? [Math.min(...v), Math.max(...v)] : [0, 1];
}

/** Points of a line through the finite values (JSON turns NaN into null: skip both). */
function polyline(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): Point[] {
  return values.flatMap((v, i): Point[] => (finite(v) ? [[x(i), y(v)]] : []));
}

/** Hit on an integer-x (layer) chart: nearest layer inside the plot area. */
function layerHit(frame: Frame, layers: number, x: number, y: number, describe: (l: number) => string[]): Hit | null {
  if (y < frame.top - 6 || y > frame.top + frame.height + 6) return null;
  const l = nearestIndex(x, frame.x.invert, layers);
  return l === null ? null : { lines: [`layer ${l}`, ...describe(l)] };
}

/** Keyboard points of a per-layer chart: one row, a column per layer at the plot's middle height. */
function layerKeys(frame: Frame, layers: number): KeyGrid {
  return {
    rows: 1, cols: layers,
    point: (_r, l) => [frame.x(l), frame.top + frame.height / 2],
    box: (_r, l) => ({ x: frame.x(l) - 6, y: frame.top, w: 12, h: frame.height }),
  };
}

function buildDistribution(input: ChartInput): BuiltChart {
  const { stats, theme } = input;
  const hists = stats.histograms;
  const L = hists.length;
  const { colors, range } = layerColors(L, theme.dark);
  const centres = hists.map((h) => h.density.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2));
  const xExt = extent(hists.flatMap((h) => [h.edges[0], h.edges[h.edges.length - 1]]));
  const yMax = Math.max(1e-9, ...hists.flatMap((h) => h.density.filter(finite)));
  const legend = legendBand(input.width, theme, [layerLegendItem(L, plasma, range, theme)]);
  const scene = emptyScene(input, 214 + legend.height);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: legend.height + 8,
    x: { domain: xExt, label: 'ln ‖attention output‖ (natural log)' },
    y: { domain: [0, yMax * 1.05], label: 'Density' },
  });
  const { frame } = axes;
  const lines: Prim[] = hists.map((h, l) => ({
    k: 'line', color: colors[l], width: 1.6,
    pts: h.density.map((d, i): Point => [frame.x(centres[l][i]), frame.y(d)]),
  }));
  scene.prims = [...axes.under, ...lines, ...axes.over, ...legend.prims];
  return {
    scene,
    csv: profileChartCsv(input.result, 'distribution', input.includeFirst),
    summary: `Density of natural-log attention-output norms, one line per layer (${L} layers).`,
    hit(x, y) {
      if (x < frame.left || x > frame.left + frame.width || y < frame.top || y > frame.top + frame.height) return null;
      const v = frame.x.invert(x);
      let best: { l: number; i: number; dist: number } | null = null;
      hists.forEach((h, l) => {
        const i = h.edges.findIndex((e, k) => k < h.density.length && v >= e && v <= h.edges[k + 1]);
        if (i < 0) return;
        const dist = Math.abs(frame.y(h.density[i]) - y);
        if (!best || dist < best.dist) best = { l, i, dist };
      });
      if (!best) return null;
      const { l, i } = best as { l: number; i: number };
      return { lines: [`layer ${l}`, `ln norm ${fmt(hists[l].edges[i])}–${fmt(hists[l].edges[i + 1])}`, `density ${fmt(hists[l].density[i])}`] };
    },
  };
}

function buildMean(input: ChartInput): BuiltChart {
  const { stats, theme } = input;
  const mean = stats.meanLogNorm;
  const sd = stats.sdLogNorm;
  const L = mean.length;
  const { colors } = layerColors(L, theme.dark);
  const scene = emptyScene(input, 210);
  const yExt = extent(mean.flatMap((m, l) => (finite(m) ? [m - (finite(sd[l]) ? sd[l] : 0), m + (finite(sd[l]) ? sd[l] : 0)] : [])));
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: 12,
    x: { domain: [-0.6, L - 0.4], label: 'Layer', integer: true, every: true },
    y: { domain: padExtent(...yExt), label: 'ln norm, mean ± sd' },
  });
  const { frame } = axes;
  const prims: Prim[] = [...axes.under];
  const r = Math.max(3.5, Math.min(7, frame.width / L / 3));
  mean.forEach((m, l) => {
    if (!finite(m)) return;
    const x = frame.x(l);
    const s = finite(sd[l]) ? sd[l] : 0;
    const top = frame.y(m + s);
    const bottom = frame.y(m - s);
    prims.push({ k: 'line', pts: [[x, top], [x, bottom]], color: colors[l], width: 1.5 });
    prims.push({ k: 'line', pts: [[x - 3, top], [x + 3, top]], color: colors[l], width: 1.5 });
    prims.push({ k: 'line', pts: [[x - 3, bottom], [x + 3, bottom]], color: colors[l], width: 1.5 });
  });
  mean.forEach((m, l) => { if (finite(m)) prims.push(marker('hexagon', frame.x(l), frame.y(m), r, colors[l], theme.foreground)); });
  scene.prims = [...prims, ...axes.over];
  return {
    scene,
    csv: profileChartCsv(input.result, 'mean', input.includeFirst),
    summary: `Mean natural-log norm per layer, from ${fmt(mean[0])} (layer 0) to ${fmt(mean[L - 1])} (layer ${L - 1}).`,
    hit: (x, y) => layerHit(frame, L, x, y, (l) => [`mean ${fmt(mean[l])}`, `sd ${fmt(sd[l])}`]),
    keys: layerKeys(frame, L),
  };
}

/** Token index of each regression point: 1..n without the first token, 0..n−1 with it (unless the result says). */
function regressionPositions(input: ChartInput): number[] {
  const r = input.stats.positionRegression;
  const first = input.includeFirst ? 0 : 1;
  return r.positions?.length === r.n ? r.positions : Array.from({ length: r.n }, (_, i) => first + i);
}

function buildRegressionFit(input: ChartInput): BuiltChart {
  const { stats, theme } = input;
  const { observed, fitted, n } = stats.positionRegression;
  const L = fitted.length;
  const xs = regressionPositions(input);
  const { colors, range } = layerColors(L, theme.dark);
  const legend = legendBand(input.width, theme, [textLegendItem('dots: observed, lines: fit', theme), layerLegendItem(L, plasma, range, theme)]);
  const scene = emptyScene(input, 204 + legend.height);
  const yExt = extent([...observed.flat(), ...fitted.flat()]);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: legend.height + 8,
    x: { domain: [(xs[0] ?? 0) - 0.5, (xs[n - 1] ?? 1) + 0.5], label: 'Token position', integer: true },
    y: { domain: padExtent(...yExt), label: 'ln mean norm' },
  });
  const { frame } = axes;
  const prims: Prim[] = [...axes.under];
  observed.forEach((row, l) => row.forEach((v, i) => {
    if (finite(v)) prims.push({ k: 'circle', cx: frame.x(xs[i]), cy: frame.y(v), r: 1.8, fill: colors[l], alpha: 0.55 });
  }));
  fitted.forEach((row, l) => prims.push({ k: 'line', color: colors[l], width: 1.6, pts: polyline(row, (i) => frame.x(xs[i]), frame.y) }));
  scene.prims = [...prims, ...axes.over, ...legend.prims];
  return {
    scene,
    csv: profileChartCsv(input.result, 'position', input.includeFirst),
    summary: `Linear fits of the natural log of the mean norm on token position over ${n} positions, one line per layer.`,
    hit(x, y) {
      if (y < frame.top || y > frame.top + frame.height) return null;
      const i = xs.indexOf(Math.round(frame.x.invert(x)));
      if (i < 0) return null;
      let best = -1;
      let dist = Infinity;
      fitted.forEach((row, l) => { const d = Math.abs(frame.y(row[i]) - y); if (finite(row[i]) && d < dist) { dist = d; best = l; } });
      if (best < 0) return null;
      return { lines: [`layer ${best}, position ${xs[i]}`, `observed ${fmt(observed[best]?.[i])}`, `fitted ${fmt(fitted[best][i])}`] };
    },
  };
}

function buildLayerSeries(input: ChartInput, values: number[], label: string, kind: Marker, csvName: string): BuiltChart {
  const { theme } = input;
  const L = values.length;
  const { colors } = layerColors(L, theme.dark);
  const scene = emptyScene(input, 160);
  const ext = extent(values);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: 10,
    x: { domain: [-0.6, L - 0.4], label: 'Layer', integer: true, every: true },
    y: { domain: padExtent(Math.min(ext[0], ext[1]), ext[1], 0.12), label, tickCount: 4 },
  });
  const { frame } = axes;
  const prims: Prim[] = [...axes.under];
  const [y0, y1] = frame.y.domain;
  if (y0 < 0 && y1 > 0) prims.push({ k: 'line', pts: [[frame.left, frame.y(0)], [frame.left + frame.width, frame.y(0)]], color: theme.muted, width: 1, dash: [4, 3] });
  prims.push({ k: 'line', pts: polyline(values, frame.x, frame.y), color: theme.muted, width: 1, alpha: 0.6 });
  const r = Math.max(3, Math.min(5.5, frame.width / L / 3.2));
  values.forEach((v, l) => { if (finite(v)) prims.push(marker(kind, frame.x(l), frame.y(v), r, colors[l], theme.foreground)); });
  scene.prims = [...prims, ...axes.over];
  return {
    scene,
    csv: toCsv(['layer', csvName], values.map((v, l) => [l, v])),
    summary: `${label} per layer.`,
    hit: (x, y) => layerHit(frame, L, x, y, (l) => [`${label} ${fmt(values[l], 4)}`]),
    keys: layerKeys(frame, L),
  };
}

function buildAutoregression(input: ChartInput): BuiltChart {
  const { stats, theme } = input;
  const { beta0, beta1, beta2 } = stats.autoregression;
  const L = beta1.length;
  const series: { values: number[]; color: string; kind: Marker; label: string }[] = [
    { values: beta1, color: theme.blue, kind: 'circle', label: 't−1 (β1)' },
    { values: beta2, color: theme.green, kind: 'square', label: 't−2 (β2)' },
  ];
  const legend = legendBand(input.width, theme, seriesLegendItems(series.map((s) => ({ label: s.label, color: s.color, marker: s.kind })), theme));
  const scene = emptyScene(input, 204 + legend.height);
  const ext = extent([...beta1, ...beta2, 0]);
  const axes = makeAxes({
    width: scene.width, height: scene.height, theme, top: legend.height + 8,
    x: { domain: [-0.6, L - 0.4], label: 'Layer', integer: true, every: true },
    y: { domain: padExtent(...ext, 0.08), label: 'β (on ln norms)' },
  });
  const { frame } = axes;
  const prims: Prim[] = [...axes.under,
    { k: 'line', pts: [[frame.left, frame.y(0)], [frame.left + frame.width, frame.y(0)]], color: theme.foreground, width: 1, dash: [5, 4], alpha: 0.7 }];
  const r = Math.max(3, Math.min(5.5, frame.width / L / 3.2));
  for (const s of series) {
    prims.push({ k: 'line', pts: polyline(s.values, frame.x, frame.y), color: s.color, width: 1.2 });
    s.values.forEach((v, l) => { if (finite(v)) prims.push(marker(s.kind, frame.x(l), frame.y(v), r, s.color, theme.background)); });
  }
  scene.prims = [...prims, ...axes.over, ...legend.prims];
  return {
    scene,
    csv: profileChartCsv(input.result, 'autoregression', input.includeFirst),
    summary: `Autoregression of natural-log norms on the previous two tokens' log norms, per layer.`,
    hit: (x, y) => layerHit(frame, L, x, y, (l) => [`β1 (t−1) ${fmt(beta1[l], 4)}`, `β2 (t−2) ${fmt(beta2[l], 4)}`, `β0 ${fmt(beta0[l], 4)}`]),
    keys: layerKeys(frame, L),
  };
}

export const distributionChart: ChartDef = { id: 'distribution', title: 'Distribution of adjustment magnitudes (ln of the norm)', build: buildDistribution };
export const meanChart: ChartDef = { id: 'meanPerLayer', title: 'Average magnitude per layer (ln of the norm)', build: buildMean };
export const regressionFitChart: ChartDef = { id: 'regressionFit', title: 'Log norm by position: linear fits (natural log)', build: buildRegressionFit };
export const regressionBeta0Chart: ChartDef = {
  id: 'regressionBeta0', title: 'Regression intercept β0',
  build: (i) => buildLayerSeries(i, i.stats.positionRegression.beta0, 'β0 (ln norm)', 'square', 'beta0'),
};
export const regressionBeta1Chart: ChartDef = {
  id: 'regressionBeta1', title: 'Regression slope β1 (per position)',
  build: (i) => buildLayerSeries(i, i.stats.positionRegression.beta1, 'β1 (ln / token)', 'circle', 'beta1'),
};
export const autoregressionChart: ChartDef = { id: 'autoregression', title: 'Impact of previous adjustments', build: buildAutoregression };
