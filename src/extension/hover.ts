// Hover over an analyzed token: its text and id, the top-k next-token predictions and the surprisal
// of the token that actually follows. Answered from the cached analysis only (no engine call).
import * as vscode from 'vscode';
import type { Session } from './analysis';
import { hoverMarkdown, type Prediction } from './hoverMarkdown';
import { tokenAt } from './text';

/** Everything the hover needs about token `i` of a session, read from the cached handle. */
export function tokenHoverInfo(s: Session, i: number): Parameters<typeof hoverMarkdown>[0] {
  const h = s.handle;
  const k = h.topK;
  const predictions: Prediction[] = [];
  for (let j = 0; j < k; j++) {
    const prob = h.topkProbs[i * k + j];
    if (prob === undefined || Number.isNaN(prob)) break;
    predictions.push({ text: h.topkTokens[i * k + j] ?? String(h.topkIds[i * k + j]), prob });
  }
  const next = i + 1 < h.tokens.length ? { text: h.tokens[i + 1].text, logProb: h.nextTokenLogProb[i] } : undefined;
  return { token: h.tokens[i], index: i, count: h.tokens.length, predictions, next };
}

export function registerHover(sessionFor: (doc: vscode.TextDocument) => Session | undefined): vscode.Disposable {
  return vscode.languages.registerHoverProvider({ scheme: '*' }, {
    provideHover(document, position) {
      const s = sessionFor(document);
      if (!s) return undefined;
      const offset = document.offsetAt(position) - s.range.start;
      if (offset < 0 || offset >= s.text.length) return undefined;
      const i = tokenAt(s.handle.tokens, offset);
      if (i < 0) return undefined;
      const token = s.handle.tokens[i];
      const md = new vscode.MarkdownString(hoverMarkdown(tokenHoverInfo(s, i)));
      md.supportHtml = false;
      md.isTrusted = false;
      const range = new vscode.Range(document.positionAt(s.range.start + token.start), document.positionAt(s.range.start + token.end));
      return new vscode.Hover(md, range);
    },
  });
}
