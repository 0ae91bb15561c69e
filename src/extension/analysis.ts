// The Show Attention controller: what text to analyze, running the analysis (newest run wins), the
// panel (answers its requests, re-sends state when it reloads), painting the document, follow-cursor,
// staleness on edits, exports, and restoring the panel after a window reload.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisHandle } from '../engine/client';
import type { AnalysisSummary, AttentionEncoding, FromPanelMessage, PanelPhase, ToPanelMessage } from '../protocol';
import { groupByBucket } from './colors';
import { effectiveMaxTokens } from './config';
import type { Ctx } from './ctx';
import { askSaveUri, announceSaved, writeBytes } from './files';
import { errorMessage, isAbort, UserError } from './format';
import { exportAnalysisJson } from './exportJson';
import { isCancelled, type ModelManager } from './models';
import { AttentionPanel, type PanelOwner } from './panel';
import { Decorations } from './decorations';
import {
  dataUrlToBytes, exportFileName, paragraphAt, shiftRange, tokenAtCursor, toArrayBuffer, type OffsetRange,
} from './text';

const REMEMBERED_KEY = 'attentionInspector.lastAnalysis';
/** From this many tokens on, an f32 layer request is answered with a u8 copy first (see sendLayer). */
const U8_FIRST_FROM_TOKENS = 256;
/**
 * Longest wait for a visible panel's first layer before onDidAnalyze fires anyway. Generous: on a busy 2-core
 * machine the panel's request alone can take seconds, and firing early puts the profile ahead of the layer.
 */
const FIRST_LAYER_WAIT_MS = 20_000;
/** Context key for when-clauses: an analysis is shown in the panel. */
const HAS_ANALYSIS = 'attentionInspector.hasAnalysis';

function setHasAnalysis(value: boolean): void {
  void vscode.commands.executeCommand('setContext', HAS_ANALYSIS, value);
}
/** Longest text remembered (in workspace state) to re-run the analysis after a window reload. */
const MAX_REMEMBERED_CHARS = 200_000;

export interface Session {
  summary: AnalysisSummary;
  handle: AnalysisHandle;
  document: vscode.TextDocument;
  /** Document offsets of the analyzed input text (kept in sync with edits before it). */
  range: OffsetRange;
  text: string;
  /** Why this text was chosen (e.g. the paragraph note), without the truncation note. */
  inputNote?: string;
  stale: boolean;
}

interface Remembered { uri: string; start: number; end: number; text: string; note?: string }

export interface AnalysisInput { range: OffsetRange; text: string; note?: string }

/** The primary selection, or the paragraph around the cursor when the selection is empty. */
export function inputFromEditor(editor: vscode.TextEditor): AnalysisInput {
  const doc = editor.document;
  const sel = editor.selection;
  const extra = editor.selections.length > 1 ? 'Several selections: analyzed the primary one.' : undefined;
  if (!sel.isEmpty) {
    const range = { start: doc.offsetAt(sel.start), end: doc.offsetAt(sel.end) };
    return { range, text: doc.getText(sel), note: extra };
  }
  const para = paragraphAt((i) => doc.lineAt(i).text, doc.lineCount, sel.active.line);
  if (!para) throw new UserError('Nothing to analyze: the document is empty. Select some text first.');
  const start = new vscode.Position(para.startLine, 0);
  const end = doc.lineAt(para.endLine).range.end;
  const lines = para.startLine === para.endLine ? `line ${para.startLine + 1}` : `lines ${para.startLine + 1}–${para.endLine + 1}`;
  return {
    range: { start: doc.offsetAt(start), end: doc.offsetAt(end) },
    text: doc.getText(new vscode.Range(start, end)),
    note: [`No selection: analyzed the current paragraph (${lines}).`, extra].filter(Boolean).join(' '),
  };
}

function documentName(doc: vscode.TextDocument): string {
  return doc.isUntitled ? doc.uri.path : path.basename(doc.uri.path);
}

function toSummary(h: AnalysisHandle, text: string, note: string | undefined, sourceName: string): AnalysisSummary {
  return {
    analysisId: h.analysisId,
    model: h.model,
    tokens: h.tokens,
    text: text.slice(0, h.tokens.at(-1)?.end ?? 0),
    truncated: h.truncated,
    note,
    sourceName,
    topK: h.topK,
    topkIds: toArrayBuffer(h.topkIds),
    topkProbs: toArrayBuffer(h.topkProbs),
    topkTokens: h.topkTokens,
    nextTokenLogProb: toArrayBuffer(h.nextTokenLogProb),
    attnOutNorms: toArrayBuffer(h.attnOutNorms),
    flow: toArrayBuffer(h.flow),
  };
}

/** Another controller sharing the panel (the Generation tab): handles its own messages, resends its state on ready. */
export interface PanelClient {
  handles(m: FromPanelMessage): boolean;
  onPanelMessage(m: Exclude<FromPanelMessage, { type: 'ready' }>): Promise<void>;
  onPanelReady(): void;
}

export class AnalysisController implements PanelOwner, vscode.Disposable {
  private panel: AttentionPanel | undefined;
  private current: Session | undefined;
  /** The latest analysis of each document (for hovers), by URI. */
  private readonly sessions = new Map<string, Session>();
  private run: AbortController | undefined;
  /** When the running analysis was started (Date.now()), for the elapsed time of a panel that (re)loads. */
  private runStarted = 0;
  /** Shown when the panel (re)loads and there is no analysis to show: progress or the last error. */
  private panelStatus: ToPanelMessage | undefined;
  private followCursor = false;
  private lastQuery: { query: number; layer: number; head: number | null } | undefined;
  private paintSeq = 0;
  /**
   * The latest analysis until its first layer has been sent to the panel. `onDidAnalyze` waits for that (or
   * FIRST_LAYER_WAIT_MS): its listener (the Layer Profile of the selection) keeps the engine worker busy for
   * a second or more at T=1024, and the panel's first paint must not queue behind it.
   */
  private firstLayer: { analysisId: number; started: number; session: Session; timer: ReturnType<typeof setTimeout> } | undefined;
  private readonly analyzed = new vscode.EventEmitter<Session>();
  /** Fires after each successful analysis. */
  readonly onDidAnalyze = this.analyzed.event;
  readonly decorations: Decorations;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly panelClients: PanelClient[] = [];

  constructor(private readonly ctx: Ctx, private readonly models: ModelManager) {
    this.decorations = new Decorations(() => ({ scheme: ctx.config.colorScheme, opacity: ctx.config.decorationOpacity }));
    this.disposables.push(
      this.decorations,
      this.analyzed,
      ctx.onDidChangeConfig((e) => {
        if (e.affectsConfiguration('attentionInspector.colorScheme') || e.affectsConfiguration('attentionInspector.decorationOpacity')) {
          this.decorations.rebuild();
        }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.onDocumentClosed(doc)),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelectionChanged(e)),
    );
  }

  /** The latest, non-stale analysis of a document, if any. */
  sessionFor(document: vscode.TextDocument): Session | undefined {
    const s = this.sessions.get(document.uri.toString());
    return s && !s.stale && s.document === document ? s : undefined;
  }

  get currentSession(): Session | undefined {
    return this.current;
  }

  // ---- Show Attention -------------------------------------------------------------------------------

  async showAttention(editor: vscode.TextEditor | undefined = vscode.window.activeTextEditor): Promise<void> {
    if (!editor) throw new UserError('Open a text editor and select the text to analyze.');
    const input = inputFromEditor(editor);
    if (input.text.trim().length === 0) throw new UserError('Nothing to analyze: the selection is only whitespace.');
    await this.analyze(editor.document, input);
  }

  /** Run an analysis; a newer run (or Cancel in the panel) cancels this one (it then resolves quietly). */
  async analyze(document: vscode.TextDocument, input: AnalysisInput): Promise<Session | undefined> {
    this.run?.abort();
    const run = new AbortController();
    this.run = run;
    const started = Date.now();
    this.runStarted = started;
    this.ensurePanel();
    const chars = input.text.length.toLocaleString('en-US');
    const progress = (phase: PanelPhase, message: string) => {
      if (this.run === run) this.setPanelStatus({ type: 'progress', message, phase, elapsedMs: Date.now() - started, cancellable: true });
    };
    if (!this.models.current) progress('loading', `Loading ${this.models.displayName}…`);
    // While the model downloads, the panel shows the same overall percentage as the status bar.
    let shownPercent: number | undefined = -1;
    const downloading = this.models.onDidChangeStatus((st) => {
      const percent = st.kind === 'downloading' && st.percent !== undefined ? Math.floor(st.percent) : undefined;
      if (st.kind === 'downloading' && percent !== shownPercent) {
        shownPercent = percent;
        progress('downloading', `Downloading ${this.models.displayName}${percent === undefined ? '' : ` (${percent}%)`}…`);
      } else if (st.kind === 'loading') {
        progress('loading', `Loading ${this.models.displayName}…`);
      }
    });
    try {
      const info = await this.models.ensureLoaded();
      downloading.dispose();
      if (run.signal.aborted) return undefined;
      const loadedAt = Date.now();
      progress('tokenizing', `Tokenizing ${chars} characters…`);
      this.models.setStatus({ kind: 'running' });
      const maxTokens = effectiveMaxTokens(this.ctx.config, info.ctx);
      const handle = await this.ctx.client.analyze(input.text, { topK: this.ctx.config.topK, maxTokens }, run.signal, (p) => {
        const tokens = p.tokens === undefined ? `${chars} characters` : `${p.tokens.toLocaleString('en-US')} tokens`;
        if (p.phase === 'queued') progress('queued', 'Waiting for the previous run to finish…');
        else if (p.phase === 'tokenizing') progress('tokenizing', `Tokenizing ${chars} characters…`);
        else if (p.phase === 'running') progress('running', `Running ${info.name} on ${tokens}…`);
        else if (p.phase === 'preparing') progress('preparing', `Preparing the views of ${tokens}…`);
      });
      if (this.run !== run) return undefined;
      this.models.setStatus({ kind: 'ready' });
      const session = this.adopt(document, input, handle, maxTokens);
      this.ctx.log.info(`Analyzed ${handle.tokens.length} tokens of ${session.summary.sourceName} with ${info.name} ` +
        `in ${Math.round(handle.timings.runMs)} ms${handle.truncated ? ` (truncated at ${maxTokens} tokens)` : ''}`);
      this.panel?.post({ type: 'analysis', summary: session.summary });
      const t = handle.timings;
      this.ctx.log.info(`Analysis phases: load ${loadedAt - started} ms, tokenize ${Math.round(t.tokenizeMs ?? 0)} ms, ` +
        `run ${Math.round(t.runMs)} ms, prepare ${Math.round(t.prepareMs ?? 0)} ms, summary ${Date.now() - started} ms`);
      this.announceLater(session, started);
      if (!this.stillMatches(session)) this.markStale(session);
      this.panelStatus = undefined;
      return session;
    } catch (err) {
      if (this.run !== run || isAbort(err)) return undefined;
      if (isCancelled(err)) {
        this.setPanelStatus({ type: 'error', message: 'The model download was cancelled. Run Show Attention again to retry.' });
        return undefined;
      }
      this.models.setStatus(this.models.current ? { kind: 'ready' } : { kind: 'error', message: errorMessage(err) });
      this.setPanelStatus({ type: 'error', message: errorMessage(err) });
      throw err;
    } finally {
      downloading.dispose();
      if (this.run === run) this.run = undefined;
    }
  }

  /** Show an analysis that was not run by Show Attention (e.g. generated text, assembled from its steps). */
  showHandle(document: vscode.TextDocument, input: AnalysisInput, handle: AnalysisHandle): Session {
    this.run?.abort();
    this.ensurePanel();
    const session = this.adopt(document, input, handle, handle.tokens.length);
    this.panel?.post({ type: 'analysis', summary: session.summary });
    if (!this.stillMatches(session)) this.markStale(session);
    this.panelStatus = undefined;
    this.analyzed.fire(session);
    return session;
  }

  /** For a PanelClient: post to the panel, opening it first unless `open` is false. */
  postToPanel(message: ToPanelMessage, open = true): void {
    if (open) this.ensurePanel();
    this.panel?.post(message);
  }

  addPanelClient(client: PanelClient): void {
    this.panelClients.push(client);
  }

  /** Fire onDidAnalyze once the panel has its first layer (see `firstLayer`), or after a while anyway. */
  private announceLater(session: Session, started: number): void {
    this.announceNow();
    // A hidden panel asks for nothing until it is shown: announce at once then.
    const timer = setTimeout(() => this.announceNow(), this.panel?.visible ? FIRST_LAYER_WAIT_MS : 0);
    this.firstLayer = { analysisId: session.summary.analysisId, started, session, timer };
  }

  private announceNow(): void {
    const pending = this.firstLayer;
    if (!pending) return;
    this.firstLayer = undefined;
    clearTimeout(pending.timer);
    if (!this.disposed) this.analyzed.fire(pending.session);
  }

  /**
   * Cancel the running analysis (the panel's Cancel button). The previous analysis stays shown. ORT cannot
   * stop a model run half-way: the engine client settles the request at once and the worker drops the
   * result (and its memory) when the run ends; a new analysis meanwhile waits for it ("queued").
   */
  cancelAnalysis(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.abort();
    this.models.setStatus(this.models.current ? { kind: 'ready' } : { kind: 'idle' });
    this.panelStatus = undefined;
    this.panel?.post({ type: 'progressEnd', message: this.current ? 'Analysis cancelled; the previous analysis is still shown.' : 'Analysis cancelled.' });
    this.ctx.log.info('Analysis cancelled');
  }

  private adopt(document: vscode.TextDocument, input: AnalysisInput, handle: AnalysisHandle, maxTokens: number): Session {
    const notes = [input.note];
    const lastEnd = handle.tokens.at(-1)?.end ?? 0;
    if (handle.truncated) {
      notes.push(`Only the first ${handle.tokens.length} tokens were analyzed (limit ${maxTokens}); the rest is dimmed in the editor.`);
    }
    const summary = toSummary(handle, input.text, notes.filter(Boolean).join(' ') || undefined, documentName(document));
    const session: Session = { summary, handle, document, range: input.range, text: input.text, inputNote: input.note, stale: false };
    if (this.current) this.decorations.clear(this.current.document.uri);
    this.current = session;
    this.lastQuery = undefined;
    this.sessions.set(document.uri.toString(), session);
    this.decorations.setCut(document, handle.truncated ? {
      base: input.range.start, at: lastEnd, end: input.text.length,
      label: `✂ analysis stops here (${handle.tokens.length} tokens)`,
    } : undefined);
    this.remember(session);
    setHasAnalysis(true);
    return session;
  }

  /** The document may have been edited while the analysis ran. */
  private stillMatches(s: Session): boolean {
    const doc = s.document;
    if (doc.isClosed) return false;
    const range = new vscode.Range(doc.positionAt(s.range.start), doc.positionAt(s.range.end));
    return doc.getText(range) === s.text;
  }

  private remember(s: Session): void {
    const value: Remembered | undefined = s.text.length <= MAX_REMEMBERED_CHARS
      ? { uri: s.document.uri.toString(), start: s.range.start, end: s.range.end, text: s.text, note: s.inputNote }
      : undefined;
    void this.ctx.extension.workspaceState.update(REMEMBERED_KEY, value);
  }

  // ---- Panel ------------------------------------------------------------------------------------------

  private ensurePanel(): AttentionPanel {
    if (this.panel) {
      if (!this.panel.visible) this.panel.reveal();
      return this.panel;
    }
    this.panel = AttentionPanel.create(this.ctx.extensionUri, this, this.ctx.log);
    return this.panel;
  }

  private setPanelStatus(message: ToPanelMessage): void {
    this.panelStatus = message;
    this.panel?.post(message);
  }

  /** The serializer hands us the panel after a window reload: re-run the remembered analysis if possible. */
  async restorePanel(webviewPanel: vscode.WebviewPanel): Promise<void> {
    this.panel?.dispose();
    this.panel = new AttentionPanel(webviewPanel, this.ctx.extensionUri, this, this.ctx.log);
    const remembered = this.ctx.extension.workspaceState.get<Remembered>(REMEMBERED_KEY);
    const again = 'Select text and run "Attention Inspector: Show Attention" again.';
    if (!remembered) {
      this.setPanelStatus({ type: 'error', message: `The analysis was not kept across the reload. ${again}` });
      return;
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(remembered.uri));
      const range = { start: remembered.start, end: remembered.end };
      const text = document.getText(new vscode.Range(document.positionAt(range.start), document.positionAt(range.end)));
      if (text !== remembered.text) {
        this.setPanelStatus({ type: 'error', message: `The analyzed text has changed since the reload. ${again}` });
        return;
      }
      this.ctx.log.info(`Restoring the attention panel: re-running the analysis of ${documentName(document)}`);
      await this.analyze(document, { range, text, note: remembered.note });
    } catch (err) {
      this.ctx.log.warn(`Could not restore the attention panel: ${errorMessage(err)}`);
      this.setPanelStatus({ type: 'error', message: `Could not restore the analysis (${errorMessage(err)}). ${again}` });
    }
  }

  onPanelReady(panel: AttentionPanel): void {
    const s = this.current;
    if (s) {
      panel.post({ type: 'analysis', summary: s.summary });
      if (s.stale) panel.post({ type: 'stale', analysisId: s.summary.analysisId });
    }
    const status = this.panelStatus;
    if (status && (!s || this.run)) {
      panel.post(status.type === 'progress' && status.elapsedMs !== undefined ? { ...status, elapsedMs: Date.now() - this.runStarted } : status);
    }
    for (const c of this.panelClients) c.onPanelReady();
  }

  onPanelDisposed(panel: AttentionPanel): void {
    if (this.panel !== panel) return;
    this.panel = undefined;
    this.followCursor = false;
    setHasAnalysis(false);
    if (this.current) this.decorations.clear(this.current.document.uri, false);
  }

  onPanelMessage(panel: AttentionPanel, m: Exclude<FromPanelMessage, { type: 'ready' }>): void {
    const client = this.panelClients.find((c) => c.handles(m));
    if (client) {
      void client.onPanelMessage(m).catch((err: unknown) => {
        this.ctx.log.error(`Panel request "${m.type}" failed:`, err instanceof Error ? (err.stack ?? err.message) : String(err));
        panel.post({ type: 'error', message: errorMessage(err) });
      });
      return;
    }
    void this.handlePanelMessage(panel, m).catch((err: unknown) => {
      this.ctx.log.error(`Panel request "${m.type}" failed:`, err instanceof Error ? (err.stack ?? err.message) : String(err));
      panel.post({ type: 'error', message: errorMessage(err) });
    });
  }

  private async handlePanelMessage(panel: AttentionPanel, m: Exclude<FromPanelMessage, { type: 'ready' }>): Promise<void> {
    switch (m.type) {
      case 'requestLayer':
        if (!this.isLive(m.analysisId)) return;
        await this.sendLayer(panel, m.analysisId, m.layer, m.encoding);
        return;
      case 'requestThumbnails': {
        if (!this.isLive(m.analysisId)) return;
        const { size, data } = await this.ctx.client.getThumbnails(m.analysisId, m.size);
        panel.post({ type: 'thumbnails', analysisId: m.analysisId, size, data });
        return;
      }
      case 'queryChanged':
        if (!this.isLive(m.analysisId)) return;
        if (m.query === null) {
          this.lastQuery = undefined;
          this.paintSeq++;
          if (this.current) this.decorations.clear(this.current.document.uri, false);
          return;
        }
        this.lastQuery = { query: m.query, layer: m.layer, head: m.head };
        await this.paint(m.query, m.layer, m.head);
        return;
      case 'export':
        await this.saveExport(m.format, m.view, m.data, m.note);
        return;
      case 'exportJson':
        await this.exportJson();
        return;
      case 'cancelAnalysis':
        this.cancelAnalysis();
        return;
      case 'followCursor':
        this.followCursor = m.enabled;
        if (m.enabled) {
          const editor = this.editorOfCurrent();
          if (editor) this.followEditor(editor);
        }
        return;
      case 'log':
        if (m.level === 'error') this.ctx.log.error(`[panel] ${m.message}`);
        else this.ctx.log.info(`[panel] ${m.message}`);
        return;
    }
  }

  /**
   * Send one layer to the panel. A long analysis' f32 layer is large (48 MB at T=1024 on 12 heads) and the
   * workbench moves it slowly (in code-server: extension host -> server -> browser -> webview, seconds on a
   * busy machine), so the panel first gets the 4× smaller u8 copy, draws from it, and the f32 copy follows
   * and refines it (data.ts: a u8 copy never replaces an f32 one).
   */
  private async sendLayer(panel: AttentionPanel, analysisId: number, layer: number, encoding: AttentionEncoding): Promise<void> {
    const t0 = Date.now();
    const T = this.current?.summary.tokens.length ?? 0;
    const encodings: AttentionEncoding[] = encoding === 'f32' && T >= U8_FIRST_FROM_TOKENS ? ['u8', 'f32'] : [encoding];
    // Both are asked for at once: the worker answers in order, and the u8 copy leaves while f32 is sliced.
    const requests = encodings.map((e) => this.ctx.client.getLayer(analysisId, layer, e));
    for (const r of requests) r.catch(() => undefined); // the one not awaited after a failure must not go unhandled
    for (let i = 0; i < encodings.length; i++) {
      const data = await requests[i];
      const got = Date.now();
      if (!this.isLive(analysisId)) return;
      panel.post({ type: 'layer', analysisId, layer, encoding: encodings[i], data });
      if (i === 0 && this.firstLayer?.analysisId === analysisId) {
        this.ctx.log.info(`First layer (${layer}, ${encodings[i]}, ${(data.byteLength / 2 ** 20).toFixed(1)} MB) sent to the panel: ` +
          `worker ${got - t0} ms, ${got - this.firstLayer.started} ms after the command`);
        this.announceNow();
      }
    }
  }

  private isLive(analysisId: number): boolean {
    const live = this.current?.summary.analysisId === analysisId;
    if (!live) this.ctx.log.debug(`Ignored a panel request for analysis ${analysisId} (not the current one)`);
    return live;
  }

  /** Open the panel's heatmap at a layer and head (from the Layer Profile view). */
  openHead(layer: number, head: number): void {
    if (!this.panel || !this.current) {
      void vscode.window.showInformationMessage('Run "Show Attention" on some text first; then heads open in the attention panel.');
      return;
    }
    const { layers, heads } = this.current.summary.model;
    if (layer >= layers || head >= heads) {
      void vscode.window.showWarningMessage(`Layer ${layer} head ${head} does not exist in ${this.current.summary.model.name}.`);
      return;
    }
    this.panel.reveal();
    this.panel.post({ type: 'openHead', layer, head });
  }

  // ---- Painting the document ----------------------------------------------------------------------

  private async paint(query: number, layer: number, head: number | null): Promise<void> {
    const s = this.current;
    if (!s || s.stale || query >= s.summary.tokens.length) return;
    const seq = ++this.paintSeq;
    const row = await this.ctx.client.getRow(s.summary.analysisId, layer, head, query);
    if (seq !== this.paintSeq || this.current !== s || s.stale) return;
    const tokens = s.summary.tokens;
    const buckets = groupByBucket(row.subarray(0, query + 1)).map((keys) => keys.map((k) => ({ start: tokens[k].start, end: tokens[k].end })));
    this.decorations.paint(s.document, { base: s.range.start, buckets, query: { start: tokens[query].start, end: tokens[query].end } });
  }

  clearAttention(): void {
    this.paintSeq++;
    this.lastQuery = undefined;
    this.decorations.clearAll();
  }

  private onSelectionChanged(e: vscode.TextEditorSelectionChangeEvent): void {
    if (this.followCursor) this.followEditor(e.textEditor);
  }

  /**
   * The editor showing the current analysis: the active one, else a visible one. Turning Follow cursor on
   * is a click in the panel, which leaves no active text editor while the panel has the focus.
   */
  private editorOfCurrent(): vscode.TextEditor | undefined {
    const doc = this.current?.document;
    if (!doc) return undefined;
    const active = vscode.window.activeTextEditor;
    if (active?.document === doc) return active;
    return vscode.window.visibleTextEditors.find((e) => e.document === doc);
  }

  /** Follow-cursor: the token under the cursor becomes the panel's query and is painted. */
  private followEditor(editor: vscode.TextEditor): void {
    const s = this.current;
    if (!s || s.stale || !this.panel || editor.document !== s.document) return;
    const offset = editor.document.offsetAt(editor.selection.active) - s.range.start;
    if (offset < 0 || offset > s.text.length) return;
    const query = tokenAtCursor(s.summary.tokens, offset);
    if (query < 0 || query === this.lastQuery?.query) return;
    const layer = this.lastQuery?.layer ?? 0;
    const head = this.lastQuery ? this.lastQuery.head : null;
    this.lastQuery = { query, layer, head };
    this.panel.post({ type: 'selectQuery', analysisId: s.summary.analysisId, query });
    void this.paint(query, layer, head).catch((err: unknown) => this.ctx.log.error(`Painting failed: ${errorMessage(err)}`));
  }

  // ---- Edits ------------------------------------------------------------------------------------------

  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    const s = this.sessions.get(e.document.uri.toString());
    if (!s || s.stale || e.contentChanges.length === 0) return;
    let range: OffsetRange | null = s.range;
    for (const c of e.contentChanges) {
      range = shiftRange(range, { offset: c.rangeOffset, length: c.rangeLength, textLength: c.text.length });
      if (!range) break;
    }
    if (range) {
      s.range = range;
      if (s === this.current) this.decorations.rebase(e.document.uri, range.start);
    } else {
      this.markStale(s);
    }
  }

  private onDocumentClosed(doc: vscode.TextDocument): void {
    const s = this.sessions.get(doc.uri.toString());
    if (s?.document !== doc) return;
    this.sessions.delete(doc.uri.toString());
    this.markStale(s);
  }

  private markStale(s: Session): void {
    if (s.stale) return;
    s.stale = true;
    if (s !== this.current) return;
    this.paintSeq++;
    this.decorations.clear(s.document.uri);
    this.panel?.post({ type: 'stale', analysisId: s.summary.analysisId });
    this.ctx.log.info(`${s.summary.sourceName} was edited inside the analyzed range: the analysis is stale`);
  }

  // ---- Exports -----------------------------------------------------------------------------------------

  /** Ask the panel to export: it opens its export dialog, then answers with an `export` message. */
  requestExport(format: 'png' | 'svg'): void {
    if (!this.panel || !this.current) throw new UserError('Nothing to export: run "Show Attention" first.');
    this.panel.reveal();
    this.panel.post({ type: 'requestExport', format });
  }

  private async saveExport(format: 'png' | 'svg', view: string, data: string, note?: string): Promise<void> {
    const bytes = format === 'png' ? dataUrlToBytes(data, 'image/png') : data;
    const uri = await askSaveUri(exportFileName(view, format), format, this.current?.document.uri, `Export ${view} as ${format.toUpperCase()}`);
    if (!uri) return;
    await writeBytes(uri, bytes);
    this.ctx.log.info(`Exported ${view} to ${uri.toString()}${note ? ` (${note})` : ''}`);
    void announceSaved(uri, note ? `Exported (${note}):` : 'Exported');
  }

  /** Save the current analysis as JSON: a pick of forms with their sizes, then a cancellable streamed write. */
  async exportJson(): Promise<void> {
    const s = this.current;
    if (!s) throw new UserError('Nothing to export: run "Show Attention" first.');
    await exportAnalysisJson(this.ctx, {
      analysisId: s.summary.analysisId,
      sourceName: s.summary.sourceName,
      model: s.summary.model,
      tokens: s.summary.tokens.length,
      near: s.document.uri,
    });
  }

  private disposed = false;

  dispose(): void {
    this.disposed = true;
    if (this.firstLayer) clearTimeout(this.firstLayer.timer);
    this.run?.abort();
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
