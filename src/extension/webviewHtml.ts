// Pure rendering of the HTML shell shared by our webviews (attention panel, layer profile view).
// No VS Code import: the host passes in what `webview.cspSource` and `asWebviewUri` give it, so
// this stays unit-testable and is reused by the browser test harness.

export interface WebviewHtmlOptions {
  /** `webview.cspSource` (the origin the webview may load resources from). */
  cspSource: string;
  /** A fresh random nonce per render; see `createNonce`. */
  nonce: string;
  /** URI of the one script bundle (already passed through `asWebviewUri`). */
  scriptUri: string;
  /** URIs of stylesheets, in order. */
  styleUris: string[];
  title: string;
  /** Extra class names for <body>, e.g. "attention-panel". VS Code adds its theme class itself. */
  bodyClass?: string;
}

const NONCE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 32-character nonce from a cryptographic source (Web Crypto exists in Node 20 and browsers). */
export function createNonce(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += NONCE_CHARS[b % NONCE_CHARS.length];
  return out;
}

/** Escape a string for use in HTML text or a double-quoted attribute (the only kind we write). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * The Content-Security-Policy: nothing by default; only our nonce'd script; styles only from our
 * extension (web components use constructable stylesheets, which CSP does not restrict, and
 * element.style set from script is allowed); images from us, data: and blob: (canvas exports).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function assertSafeNonce(nonce: string): void {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) {
    throw new Error(`renderWebviewHtml: the nonce must be at least 16 base64/alphanumeric characters, got "${nonce}"`);
  }
}

/** The complete HTML document of a webview. All inputs are escaped; the nonce is validated. */
export function renderWebviewHtml(opts: WebviewHtmlOptions): string {
  assertSafeNonce(opts.nonce);
  const csp = contentSecurityPolicy(opts.cspSource, opts.nonce);
  const styles = opts.styleUris
    .map((uri) => `    <link rel="stylesheet" href="${escapeHtml(uri)}">`)
    .join('\n');
  const bodyClass = opts.bodyClass ? ` class="${escapeHtml(opts.bodyClass)}"` : '';
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
    <title>${escapeHtml(opts.title)}</title>
  </head>
  <body${bodyClass}>
    <div id="root"></div>
    <script nonce="${escapeHtml(opts.nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>
  </body>
</html>
`;
}
