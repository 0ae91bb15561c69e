// Narrow-panel layout helpers for the panel shell (widths from 300 px up).

/**
 * Let the vscode-tabs header row wrap onto more lines instead of running past the panel's right edge
 * (it is a nowrap flex row inside the element's shadow root, out of reach of our stylesheet). The rule
 * is added to the element's own adopted stylesheets once it has rendered.
 */
export function wrapTabStrip(tabs: HTMLElement): void {
  const apply = () => {
    const root = tabs.shadowRoot;
    if (!root || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in root)) return;
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('.tablist { flex-wrap: wrap; row-gap: 2px; min-width: 0; } .header { flex-wrap: wrap; }');
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  };
  void customElements.whenDefined('vscode-tabs').then(async () => {
    await (tabs as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
    apply();
  });
}
