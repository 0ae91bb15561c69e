// Colours: theme colours come only from --vscode-* variables (read with getComputedStyle); data
// colours (one per head, the heatmap colour map) are generated so they stay distinct for any H.

export interface Theme {
  kind: 'dark' | 'light' | 'high-contrast' | 'high-contrast-light';
  background: string;
  foreground: string;
  muted: string;
  border: string;
  focus: string;
  hover: string;
  selection: string;
  /** Text on `selection` (VS Code sets editor.selectionForeground only in high contrast themes). */
  selectionForeground: string;
  /** High contrast themes: borders around everything (contrastBorder) and active items (contrastActiveBorder). */
  highContrast: boolean;
  contrastBorder: string | null;
  contrastActiveBorder: string | null;
  /** Chart grid lines and their opacity. */
  grid: string;
  gridAlpha: number;
  widget: string;
  fontFamily: string;
  monoFamily: string;
  fontSize: number;
  series: { primary: string; secondary: string; tertiary: string };
  /** Fill of causally masked cells (key after query). */
  masked: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

function themeKind(body: HTMLElement): Theme['kind'] {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

function optionalVar(style: CSSStyleDeclaration, name: string): string | null {
  const v = style.getPropertyValue(name).trim();
  return v === '' ? null : v;
}

export function isDarkTheme(theme: Theme): boolean {
  return theme.kind === 'dark' || theme.kind === 'high-contrast';
}

/** Read the current VS Code theme from the CSS variables VS Code sets on <html>. */
export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const kind = themeKind(document.body);
  const dark = kind === 'dark' || kind === 'high-contrast';
  const fg = cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  const bg = cssVar(style, '--vscode-editor-background', dark ? '#1f1f1f' : '#ffffff');
  const fontSize = Number.parseFloat(cssVar(style, '--vscode-font-size', '13px'));
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  const border = cssVar(style, '--vscode-widget-border', cssVar(style, '--vscode-panel-border', dark ? '#2b2b2b' : '#e5e5e5'));
  const contrastBorder = optionalVar(style, '--vscode-contrastBorder');
  // Light Modern's widget border (#e5e5e5) nearly vanishes on white: light charts use charts.lines.
  const lightGrid = kind === 'light';
  return {
    kind,
    background: bg,
    foreground: fg,
    muted: cssVar(style, '--vscode-descriptionForeground', fg),
    border,
    focus: cssVar(style, '--vscode-focusBorder', '#0078d4'),
    hover: cssVar(style, '--vscode-list-hoverBackground', dark ? '#2a2d2e' : '#f2f2f2'),
    selection: cssVar(style, '--vscode-editor-selectionBackground', dark ? '#264f78' : '#add6ff'),
    selectionForeground: cssVar(style, '--vscode-editor-selectionForeground', fg),
    highContrast,
    contrastBorder: highContrast ? contrastBorder ?? fg : contrastBorder,
    contrastActiveBorder: optionalVar(style, '--vscode-contrastActiveBorder') ?? (highContrast ? cssVar(style, '--vscode-focusBorder', fg) : null),
    grid: lightGrid ? cssVar(style, '--vscode-charts-lines', 'rgba(97, 97, 97, 0.5)') : border,
    gridAlpha: lightGrid ? 0.6 : 1,
    widget: cssVar(style, '--vscode-editorWidget-background', dark ? '#202020' : '#f8f8f8'),
    fontFamily: cssVar(style, '--vscode-font-family', 'sans-serif'),
    monoFamily: cssVar(style, '--vscode-editor-font-family', 'monospace'),
    fontSize: Number.isFinite(fontSize) ? fontSize : 13,
    series: {
      primary: cssVar(style, '--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff'),
      secondary: cssVar(style, '--vscode-charts-orange', '#d18616'),
      tertiary: cssVar(style, '--vscode-charts-purple', dark ? '#b180d7' : '#652d90'),
    },
    masked: cssVar(style, '--vscode-editorWidget-background', dark ? '#2a2a2a' : '#ececec'),
  };
}

/**
 * The theme an export is drawn with: the panel's own theme, or a print theme (white background, dark
 * ink, light-theme head colours) for `background: 'white'`.
 */
export function exportTheme(theme: Theme, background: 'theme' | 'white'): Theme {
  if (background === 'theme') return theme;
  return {
    ...theme,
    kind: 'light',
    background: '#ffffff',
    foreground: '#1f1f1f',
    muted: '#5f5f5f',
    border: '#c8c8c8',
    focus: '#0078d4',
    hover: '#f2f2f2',
    selection: '#add6ff',
    selectionForeground: '#1f1f1f',
    highContrast: false,
    contrastBorder: null,
    contrastActiveBorder: null,
    grid: '#9e9e9e',
    gridAlpha: 0.6,
    widget: '#f8f8f8',
    series: { primary: '#1a85ff', secondary: '#d18616', tertiary: '#652d90' },
    masked: '#ececec',
  };
}

// ---- OKLCH -> sRGB (Björn Ottosson's OKLab), for evenly spaced, perceptually balanced head colours.

function linearToSrgb(x: number): number {
  const v = x <= 0.0031308 ? 12.92 * x : 1.055 * Math.pow(x, 1 / 2.4) - 0.055;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

function oklchToLinear(l: number, c: number, hDeg: number): [number, number, number] {
  const h = (hDeg * Math.PI) / 180;
  const a = c * Math.cos(h);
  const b = c * Math.sin(h);
  const l_ = l + 0.3963377774 * a + 0.2158037573 * b;
  const m_ = l - 0.1055613458 * a - 0.0638541728 * b;
  const s_ = l - 0.0894841775 * a - 1.291485548 * b;
  const L = l_ ** 3, M = m_ ** 3, S = s_ ** 3;
  return [
    4.0767416621 * L - 3.3077115913 * M + 0.2309699292 * S,
    -1.2684380046 * L + 2.6097574011 * M - 0.3413193965 * S,
    -0.0041960863 * L - 0.7034186147 * M + 1.707614701 * S,
  ];
}

function inGamut(rgb: [number, number, number]): boolean {
  return rgb.every((v) => v >= -0.0005 && v <= 1.0005);
}

/** OKLCH to a #rrggbb string, reducing chroma until the colour fits in sRGB. */
export function oklchToHex(l: number, c: number, h: number): string {
  let chroma = c;
  let rgb = oklchToLinear(l, chroma, h);
  while (!inGamut(rgb) && chroma > 0.005) {
    chroma *= 0.92;
    rgb = oklchToLinear(l, chroma, h);
  }
  return '#' + rgb.map((v) => linearToSrgb(v).toString(16).padStart(2, '0')).join('');
}

/**
 * One colour per head: hues evenly spaced around the OKLCH circle; with more than 12 heads,
 * neighbours alternate between two lightness levels so 25 heads (gpt2-xl) stay distinguishable.
 */
export function headColors(count: number, dark: boolean): string[] {
  const base = dark ? 0.74 : 0.56;
  const step = count > 12 ? 0.12 : 0;
  // An even number of hue slots, so the alternation of lightness also holds across the wrap-around.
  const slots = count > 12 && count % 2 === 1 ? count + 1 : count;
  const colors: string[] = [];
  for (let i = 0; i < count; i++) {
    const hue = (25 + (i * 360) / slots) % 360;
    const lightness = base + (i % 2 === 0 ? 0 : dark ? -step : step);
    colors.push(oklchToHex(lightness, 0.16, hue));
  }
  return colors;
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return [128, 128, 128];
  const n = Number.parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Parse any CSS colour the canvas understands into RGB (via a 1×1 canvas). */
export function cssColorToRgb(color: string): [number, number, number] {
  const hex = hexToRgb(color);
  if (/^#?[0-9a-f]{6}$/i.test(color.trim())) return hex;
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  const ctx = c.getContext('2d');
  if (!ctx) return [128, 128, 128];
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];
}

// ---- Sequential colour map for weights (viridis control points, interpolated to 256 entries).

const VIRIDIS_STOPS: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

function buildLut(stops: [number, number, number][]): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const j = Math.min(stops.length - 2, Math.floor(t));
    const f = t - j;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(stops[j][ch] * (1 - f) + stops[j + 1][ch] * f);
  }
  return lut;
}

export const WEIGHT_LUT = buildLut(VIRIDIS_STOPS);

/** Colour-map index (0..255) of a weight, with an optional gamma < 1 to lift small weights. */
export function weightIndex(w: number, gamma: number): number {
  const v = w <= 0 ? 0 : w >= 1 ? 1 : gamma === 1 ? w : Math.pow(w, gamma);
  return Math.round(v * 255);
}

export function weightColor(w: number, gamma: number): string {
  const i = weightIndex(w, gamma) * 3;
  return `rgb(${WEIGHT_LUT[i]},${WEIGHT_LUT[i + 1]},${WEIGHT_LUT[i + 2]})`;
}

export function weightHex(w: number, gamma: number): string {
  const i = weightIndex(w, gamma) * 3;
  return '#' + [WEIGHT_LUT[i], WEIGHT_LUT[i + 1], WEIGHT_LUT[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
}
