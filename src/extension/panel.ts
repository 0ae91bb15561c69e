// The attention panel host: one WebviewPanel ("Attention", beside the editor). It holds outgoing
// messages until the webview says `ready` (again after every hide/show, since the webview is not
// retained while hidden), validates every incoming message, and hands valid ones to its owner.
import * as vscode from 'vscode';
import { isFromPanelMessage, type FromPanelMessage, type ToPanelMessage } from '../protocol';
import { createNonce, renderWebviewHtml } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'attentionInspector.panel';

/** Messages that only make sense for the webview instance they were sent to: not replayed after a reload. */
const NOT_REPLAYED = new Set<ToPanelMessage['type']>(['analysis', 'layer', 'thumbnails', 'stale', 'progress', 'error']);

export interface PanelOwner {
  /** The webview is (re)loaded: send it the current state. */
  onPanelReady(panel: AttentionPanel): void;
  onPanelMessage(panel: AttentionPanel, message: Exclude<FromPanelMessage, { type: 'ready' }>): void;
  onPanelDisposed(panel: AttentionPanel): void;
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}

export class AttentionPanel implements vscode.Disposable {
  private ready = false;
  private disposed = false;
  private queue: ToPanelMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  /** Create a new panel beside the active editor without taking focus. */
  static create(extensionUri: vscode.Uri, owner: PanelOwner, log: vscode.LogOutputChannel): AttentionPanel {
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE, 'Attention', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, panelOptions(extensionUri));
    return new AttentionPanel(panel, extensionUri, owner, log);
  }

  /** Adopt a panel (new, or restored by the serializer after a reload). */
  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly owner: PanelOwner,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = panelOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false; // the hidden webview is destroyed; it says `ready` when shown again
      }),
      panel.onDidDispose(() => {
        this.disposed = true;
        this.disposeListeners();
        owner.onPanelDisposed(this);
      }),
    );
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  post(message: ToPanelMessage): void {
    if (this.disposed) return;
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message).then((delivered) => {
      if (!delivered) this.log.debug(`Panel message "${message.type}" not delivered (webview hidden)`);
    });
  }

  private receive(m: unknown): void {
    if (!isFromPanelMessage(m)) {
      this.log.warn('Ignored an invalid message from the attention panel:', JSON.stringify(m)?.slice(0, 200));
      return;
    }
    if (m.type === 'ready') {
      this.ready = true;
      const queued = this.queue.filter((q) => !NOT_REPLAYED.has(q.type));
      this.queue = [];
      this.owner.onPanelReady(this);
      for (const q of queued) this.post(q);
      return;
    }
    this.owner.onPanelMessage(this, m);
  }

  private html(): string {
    const webview = this.panel.webview;
    const asUri = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...segments)).toString();
    return renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: asUri('dist', 'webview', 'panel.js'),
      styleUris: [asUri('media', 'panel.css')],
      title: 'Attention',
      bodyClass: 'attention-panel',
    });
  }

  private disposeListeners(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  dispose(): void {
    this.panel.dispose();
  }
}
