// The Layer Profile view host (a WebviewView in our activity bar container). It shows the single-text
// profile of the latest Show Attention (computed from that analysis by the engine, no second forward
// pass) and the result of Profile Texts. The webview keeps no data across reloads: on every `ready` the host resends its state.
import * as vscode from 'vscode';
import type { ProfileResult } from '../engine/types';
import { isFromProfileMessage, type FromProfileMessage, type ProfileOrigin, type ToProfileMessage } from '../protocol';
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
}

type ProfileMessage = Extract<ToProfileMessage, { type: 'profile' }>;
type ProgressMessage = Extract<ToProfileMessage, { type: 'progress' }>;

const EMPTY_MESSAGE = 'Run "Show Attention" on a selection to see its layer profile, or "Profile Texts…" for a corpus.';

export class LayerProfileView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private shown: ProfileMessage | undefined;
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

  /** Show a result (and reveal the view for corpus results). */
  showResult(result: ProfileResult, origin: ProfileOrigin, title: string, running = false): void {
    this.shown = { type: 'profile', result, origin, title, running };
    this.error = undefined;
    if (!running) this.progress = undefined;
    this.post(this.shown);
  }

  showProgress(done: number, total: number, message: string, etaSeconds?: number): void {
    this.progress = { type: 'progress', done, total, message, etaSeconds };
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
    try {
      const result = await this.ctx.client.profileOfAnalysis(analysisId, title, this.ctx.config.profile.positions);
      if (seq === this.selectionSeq) this.showResult(result, 'selection', title);
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
    if (this.shown) this.post(this.shown);
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
        this.actions.openHead(m.layer, m.head);
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

  private async saveShown(): Promise<void> {
    if (!this.shown) throw new Error('There is no profile to save yet.');
    const uri = await askSaveUri('attention-profile.json', 'json', undefined, 'Save Layer Profile');
    if (!uri) return;
    await writeBytes(uri, JSON.stringify(this.shown.result, null, 1));
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
