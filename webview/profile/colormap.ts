// Sequential colour maps (11 evenly spaced samples of matplotlib's plasma and magma, linearly interpolated).

const PLASMA = ['#0d0887', '#41049d', '#6a00a8', '#8f0da4', '#b12a90', '#cc4778', '#e16462', '#f2844b', '#fca636', '#fcce25', '#f0f921'];
const MAGMA = ['#000004', '#140e36', '#3b0f70', '#641a80', '#8c2981', '#b73779', '#de4968', '#f7705c', '#fe9f6d', '#fecf92', '#fcfdbf'];

export type ColorMap = (t: number) => string;

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function interpolator(samples: string[]): ColorMap {
  const rgb = samples.map(hexToRgb);
  return (t: number) => {
    const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (rgb.length - 1);
    const i = Math.min(rgb.length - 2, Math.floor(x));
    const f = x - i;
    const c = rgb[i].map((a, k) => Math.round(a + (rgb[i + 1][k] - a) * f));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  };
}

export const plasma: ColorMap = interpolator(PLASMA);
export const magma: ColorMap = interpolator(MAGMA);

/** Evenly spaced stops of a colour map, for gradient legends. */
export function stops(map: ColorMap, range: [number, number] = [0, 1], n = 11): string[] {
  return Array.from({ length: n }, (_, i) => map(range[0] + ((range[1] - range[0]) * i) / (n - 1)));
}

/**
 * Layer colours from first to last layer along plasma. The usable part of the map depends on the theme:
 * plasma's dark-violet end vanishes on a dark background and its yellow end on a light one.
 */
export function layerColors(layers: number, dark: boolean): { colors: string[]; range: [number, number] } {
  const range: [number, number] = dark ? [0.18, 1] : [0, 0.86];
  const colors = Array.from({ length: layers }, (_, l) =>
    plasma(range[0] + (range[1] - range[0]) * (layers <= 1 ? 0.5 : l / (layers - 1))));
  return { colors, range };
}
