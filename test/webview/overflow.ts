// One check for "nothing sticks out sideways", shared by the webview tests (a page) and the end-to-end tests (the
// panel's frame in the workbench).
import type { Frame, Page } from 'playwright-core';

/**
 * Elements that stick out of the window sideways: any element (shadow trees included) whose box passes
 * the window's left or right edge without an ancestor that scrolls or clips it (a table scrolling inside
 * its box is fine; the box itself must fit). Plus the document's own scroll width.
 */
export async function sidewaysOverflow(target: Page | Frame): Promise<{ scrollWidth: number; clientWidth: number; offenders: string[] }> {
  const page = target as Frame;
  // tsx names the inner functions with a __name helper that only Node has.
  await page.evaluate('globalThis.__name = globalThis.__name || ((f) => f)');
  return page.evaluate(() => {
    const W = document.documentElement.clientWidth;
    const offenders: string[] = [];
    const clipped = (e: Element): boolean => {
      for (let p: Element | null = e.parentElement ?? ((e.getRootNode() as ShadowRoot).host ?? null); p && p !== document.body && p !== document.documentElement;
        p = p.parentElement ?? ((p.getRootNode() as ShadowRoot).host ?? null)) {
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      }
      return false;
    };
    const visit = (root: Document | ShadowRoot) => {
      for (const e of Array.from(root.querySelectorAll('*'))) {
        if (e.shadowRoot) visit(e.shadowRoot);
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || (e as HTMLElement).closest?.('.tooltip, .sr-only')) continue;
        if ((r.right > W + 0.5 || r.left < -0.5) && !clipped(e)) {
          offenders.push(`${e.tagName.toLowerCase()}.${(e as HTMLElement).className || ''} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
        }
      }
    };
    visit(document);
    return { scrollWidth: document.documentElement.scrollWidth, clientWidth: W, offenders: offenders.slice(0, 10) };
  });
}
