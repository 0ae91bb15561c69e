// Theme colours for canvas/SVG drawing, resolved from the --vscode-* CSS variables of the webview.

export interface Theme {
  kind: 'dark' | 'light' | 'high-contrast' | 'high-contrast-light';
  dark: boolean;
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  /** Opacity applied to grid lines (charts.lines is meant for axes and is too strong for a grid). */
  gridAlpha: number;
  axis: string;
  masked: string;
  blue: string;
  green: string;
  red: string;
  fontFamily: string;
  fontSize: number;
  /** High contrast themes: contrastBorder frames plots whose dark colours meet the background. */
  highContrast: boolean;
  contrastBorder: string | null;
  /** The keyboard cursor on charts (focusBorder). */
  focus: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): Theme {
  const body = document.body;
  const style = getComputedStyle(body);
  const kind = body.classList.contains('vscode-high-contrast-light') ? 'high-contrast-light'
    : body.classList.contains('vscode-high-contrast') ? 'high-contrast'
      : body.classList.contains('vscode-light') ? 'light' : 'dark';
  const dark = kind === 'dark' || kind === 'high-contrast';
  const foreground = cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  return {
    kind,
    dark,
    background: cssVar(style, '--vscode-sideBar-background', cssVar(style, '--vscode-editor-background', dark ? '#181818' : '#f8f8f8')),
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#616161'),
    grid: cssVar(style, '--vscode-charts-lines', dark ? 'rgba(204,204,204,0.18)' : 'rgba(59,59,59,0.14)'),
    gridAlpha: kind.startsWith('high-contrast') ? 0.6 : 0.35,
    axis: cssVar(style, '--vscode-charts-foreground', foreground),
    masked: dark ? 'rgba(128,128,128,0.22)' : 'rgba(128,128,128,0.18)',
    blue: cssVar(style, '--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff'),
    green: cssVar(style, '--vscode-charts-green', dark ? '#89d185' : '#388a34'),
    red: cssVar(style, '--vscode-charts-red', dark ? '#f14c4c' : '#e51400'),
    fontFamily: cssVar(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: 11,
    highContrast: kind.startsWith('high-contrast'),
    contrastBorder: style.getPropertyValue('--vscode-contrastBorder').trim() || (kind.startsWith('high-contrast') ? foreground : null),
    focus: cssVar(style, '--vscode-focusBorder', dark ? '#0078d4' : '#005fb8'),
  };
}
