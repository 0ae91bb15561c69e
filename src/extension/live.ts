// Live mode: while on, an edit of the analyzed text re-analyzes it after a pause in typing. Typing at the end
// of the analyzed text extends it, and the worker's incremental analysis runs only the new tokens from the
// cached keys/values; an edit elsewhere in it is a full run (the worker finds the token prefix changed).
import * as vscode from 'vscode';
import type { AnalysisController, PanelClient, Session } from './analysis';
import type { FromPanelMessage } from '../protocol';
import type { Ctx } from './ctx';
import { errorMessage } from './format';
import type { OffsetRange } from './text';
import { liveRange } from './liveRange';

/** Pause in typing before a live re-analysis. */
export const LIVE_DEBOUNCE_MS = 400;

export class LiveMode implements PanelClient, vscode.Disposable {
  private enabled = false;
  private tracked: { document: vscode.TextDocument; range: OffsetRange } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx, private readonly analysis: AnalysisController) {
    this.disposables.push(
      analysis.onDidAnalyze((s) => this.track(s)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
    );
    analysis.addPanelClient(this);
  }

  handles(m: FromPanelMessage): boolean {
    return m.type === 'setLive';
  }

  async onPanelMessage(m: Exclude<FromPanelMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'setLive') this.set(m.enabled);
  }

  onPanelReady(): void {
    if (this.enabled) this.analysis.postToPanel({ type: 'live', enabled: true }, false);
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  set(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled) {
      const s = this.analysis.currentSession;
      if (s) this.track(s);
    } else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.analysis.postToPanel({ type: 'live', enabled }, false);
    this.ctx.log.info(`Live mode ${enabled ? 'on' : 'off'}`);
  }

  private track(s: Session): void {
    this.tracked = { document: s.document, range: { ...s.range } };
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    const t = this.tracked;
    if (!t || e.document !== t.document || e.contentChanges.length === 0) return;
    let range = t.range;
    let touched = false;
    // contentChanges are in document order from the end, so each offset is in the pre-edit document
    for (const c of e.contentChanges) {
      const next = liveRange(range, { offset: c.rangeOffset, length: c.rangeLength, textLength: c.text.length });
      if (!next) continue;
      touched ||= !(c.rangeOffset + c.rangeLength <= range.start && c.rangeOffset < range.start);
      range = next;
    }
    t.range = range;
    if (!this.enabled || !touched) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reanalyze();
    }, LIVE_DEBOUNCE_MS);
  }

  private async reanalyze(): Promise<void> {
    const t = this.tracked;
    if (!this.enabled || !t || t.document.isClosed) return;
    const doc = t.document;
    const text = doc.getText(new vscode.Range(doc.positionAt(t.range.start), doc.positionAt(t.range.end)));
    if (text.trim().length === 0) return;
    try {
      const s = await this.analysis.analyze(doc, { range: { ...t.range }, text, note: 'Live: re-analyzed as you type.' });
      const inc = s?.handle.incremental;
      if (s && inc) this.ctx.log.info(`Live update: ${inc.newTokens} tokens run${inc.reusedTokens ? `, ${inc.reusedTokens} from the cache` : ' (full run)'}`);
    } catch (err) {
      this.ctx.log.warn(`Live update failed: ${errorMessage(err)}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
