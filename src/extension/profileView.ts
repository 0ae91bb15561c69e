// The Layer Profile view host (a WebviewView in our activity bar container). It shows the single-text
// profile of the latest Show Attention (computed from that analysis by the engine, no second forward
// pass) and the result of Profile Texts. The webview keeps no data across reloads: on every `ready` the host resends its state.
import * as vscode from 'vscode';
import type { HeadStatName, ProfileResult } from '../engine/types';

type FromProfileMessageStat = HeadStatName | undefined;
import { isFromProfileMessage, type FromProfileMessage, type ProfileOrigin, type ToProfileMessage } from '../protocol';
import type { AnalysisInput } from './analysis';
import { HeldProfiles } from './profileHeld';
import { writeSetting } from './config';
import type { Ctx } from './ctx';
import { askSaveUri, announceSaved, writeBytes } from './files';
import { errorMessage, isAbort } from './format';
import { dataUrlToBytes } from './text';
import { createNonce, renderWebviewHtml } from './webviewHtml';

export const PROFILE_VIEW_ID = 'attentionInspector.layerProfile';

export interface ProfileViewActions {
  openHead(layer: number, head: number): void;
  cancelProfile(): void;
  /** Show Attention on a document's text (resolves when the panel shows it; undefined when superseded). */
  analyze(document: vscode.TextDocument, input: AnalysisInput): Promise<{ summary: { analysisId: number } } | undefined>;
}

type ProgressMessage = Extract<ToProfileMessage, { type: 'progress' }>;

const EMPTY_MESSAGE = 'Run "Show Attention" on a selection to see its layer profile, or "Profile Texts…" for a corpus.';

export class LayerProfileView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** The latest selection profile and the latest corpus profile; one of them is shown. */
  private readonly held = new HeldProfiles();
  /** Set while a corpus head opens on a corpus text: that analysis' selection profile must not hide the corpus. */
  private corpusOpening = 0;
  /** Analyses started from a corpus head whose onDidAnalyze has not come yet (it waits for the panel's first layer). */
  private readonly corpusAnalyses = new Set<number>();
  private progress: ProgressMessage | undefined;
  private error: string | undefined;
  /** Counts selection profiles so only the newest one is shown. */
  private selectionSeq = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx, private readonly actions: ProfileViewActions) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const roots = [vscode.Uri.joinPath(this.ctx.extensionUri, 'media'), vscode.Uri.joinPath(this.ctx.extensionUri, 'dist')];
    view.webview.options = { enableScripts: true, localResourceRoots: roots };
    view.webview.html = this.html(view.webview);
    this.disposables.push(
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.ready = false; // not retained: the webview reloads and says `ready` again
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        this.ready = false;
      }),
    );
  }

  /** Hold a result and show it (a selection profile made by opening a corpus head keeps the corpus shown). */
  showResult(result: ProfileResult, origin: ProfileOrigin, title: string, running = false, texts?: readonly string[], background = false): void {
    this.held.set(origin, result, title, { running, texts, background });
    this.error = undefined;
    if (!running) this.progress = undefined;
    this.postShown();
  }

  private postShown(): void {
    const m = this.held.message();
    if (m) this.post(m);
  }

  showProgress(done: number, total: number, message: string, etaSeconds?: number, percent?: number): void {
    this.progress = { type: 'progress', done, total, message, etaSeconds, percent };
    this.post(this.progress);
  }

  endProgress(): void {
    this.progress = undefined;
  }

  showError(message: string): void {
    this.error = message;
    this.progress = undefined;
    this.post({ type: 'error', message });
  }

  /** After Show Attention: the layer profile of that one text, computed from the analysis in the worker. */
  async profileSelection(analysisId: number, title: string): Promise<void> {
    const seq = ++this.selectionSeq;
    // Analyses started by opening a corpus head update "this selection" but leave the corpus on screen.
    const fromCorpus = this.corpusOpening > 0 || this.corpusAnalyses.delete(analysisId);
    const background = fromCorpus && this.held.shownOrigin === 'corpus';
    try {
      const result = await this.ctx.client.profileOfAnalysis(analysisId, title, this.ctx.config.profile.positions);
      if (seq === this.selectionSeq) this.showResult(result, 'selection', title, false, undefined, background);
    } catch (err) {
      if (isAbort(err) || seq !== this.selectionSeq) return;
      this.ctx.log.error(`Layer profile of the selection failed: ${errorMessage(err)}`);
      this.showError(`Layer profile failed: ${errorMessage(err)}`);
    }
  }

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${PROFILE_VIEW_ID}.focus`);
  }

  private post(message: ToProfileMessage): void {
    if (!this.view || !this.ready) return; // resent from state on `ready`
    void this.view.webview.postMessage(message);
  }

  private onReady(): void {
    this.ready = true;
    const shown = this.held.message();
    if (shown) this.post(shown);
    else this.post({ type: 'empty', message: EMPTY_MESSAGE });
    if (this.progress) this.post(this.progress);
    if (this.error) this.post({ type: 'error', message: this.error });
  }

  private receive(m: unknown): void {
    if (!isFromProfileMessage(m)) {
      this.ctx.log.warn('Ignored an invalid message from the Layer Profile view:', JSON.stringify(m)?.slice(0, 200));
      return;
    }
    void this.handle(m).catch((err: unknown) => {
      this.ctx.log.error(`Layer Profile request "${m.type}" failed:`, err instanceof Error ? (err.stack ?? err.message) : String(err));
      void vscode.window.showErrorMessage(`Layer Profile: ${errorMessage(err)}`);
    });
  }

  private async handle(m: FromProfileMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.onReady();
        return;
      case 'openHead':
        if (m.origin === 'corpus') await this.openCorpusHead(m.layer, m.head, m.stat, m.sequence);
        else this.actions.openHead(m.layer, m.head);
        return;
      case 'showProfile':
        if (this.held.show(m.origin)) this.postShown();
        return;
      case 'export': {
        const bytes = m.format === 'png' ? dataUrlToBytes(m.data, 'image/png') : m.data;
        const uri = await askSaveUri(`attention-profile-${m.chart}.${m.format}`, m.format, undefined, `Export ${m.chart}`);
        if (!uri) return;
        await writeBytes(uri, bytes);
        void announceSaved(uri, 'Exported');
        return;
      }
      case 'setIncludeFirst':
        if (this.ctx.config.profile.includeFirstToken !== m.value) {
          await writeSetting(vscode.workspace, 'profile.includeFirstToken', m.value);
        }
        return;
      case 'runProfile':
        await vscode.commands.executeCommand('attentionInspector.profileTexts');
        return;
      case 'openResult':
        await vscode.commands.executeCommand('attentionInspector.openProfile');
        return;
      case 'saveResult':
        await this.saveShown();
        return;
      case 'showAttention':
        await vscode.commands.executeCommand('attentionInspector.showAttention');
        return;
      case 'cancelProfile':
        this.actions.cancelProfile();
        return;
    }
  }

  /**
   * A head clicked in the corpus result: Show Attention on the corpus text where that head is most typical
   * (or the chosen sequence), in an untitled document, then open the head in the panel.
   */
  private async openCorpusHead(layer: number, head: number, stat: FromProfileMessageStat, sequence?: number): Promise<void> {
    const pick = this.held.corpusText(layer, head, stat, sequence);
    this.ctx.log.info(`Opening layer ${layer} head ${head} on corpus sequence ${pick.sequence} (text ${pick.textIndex}, ${pick.reason})`);
    const doc = await vscode.workspace.openTextDocument({ content: pick.text, language: 'plaintext' });
    const editor = await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.One });
    this.corpusOpening++;
    try {
      const session = await this.actions.analyze(editor.document, {
        range: { start: 0, end: pick.text.length }, text: pick.text,
        note: `Corpus text ${pick.textIndex + 1} (${pick.reason} of layer ${layer} head ${head})`,
      });
      if (session) {
        // onDidAnalyze may fire after this returns (it waits for the panel's first layer): remember the id.
        this.corpusAnalyses.add(session.summary.analysisId);
        this.actions.openHead(layer, head);
      }
    } finally {
      this.corpusOpening--;
    }
  }

  private async saveShown(): Promise<void> {
    const shown = this.held.message();
    if (!shown) throw new Error('There is no profile to save yet.');
    const uri = await askSaveUri('attention-profile.json', 'json', undefined, 'Save Layer Profile');
    if (!uri) return;
    await writeBytes(uri, JSON.stringify(shown.result, null, 1));
    void announceSaved(uri);
  }

  private html(webview: vscode.Webview): string {
    const asUri = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, ...segments)).toString();
    return renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: asUri('dist', 'webview', 'profile.js'),
      styleUris: [asUri('media', 'profile.css')],
      title: 'Layer Profile',
      bodyClass: 'layer-profile',
    });
  }

  dispose(): void {
    this.selectionSeq++;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
