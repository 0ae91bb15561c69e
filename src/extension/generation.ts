// Generate From Selection: runs a generation in the engine worker and streams it into the panel's Generation
// tab; Stop, Regenerate (with the tab's settings), Insert into Editor (one undo step), Compare cache, Open as
// analysis (assembled from the steps, no model run), and the step rows the tab's scrubber asks for.
import * as vscode from 'vscode';
import type { AnalysisController, AnalysisInput, PanelClient } from './analysis';
import { inputFromEditor } from './analysis';
import type { Ctx } from './ctx';
import type { ModelManager } from './models';
import { errorMessage, isAbort } from './format';
import { SECTION } from './config';
import { parseGenerationSettings } from './generationSettings';
import { toArrayBuffer } from './text';
import type { CacheComparison, FromPanelMessage, GenerationStepMessage, ToPanelMessage } from '../protocol';
import type { GenerationSettings, GenerationStepInfo, GenerationSummary } from '../engine/generationTypes';

const HANDLED = new Set<FromPanelMessage['type']>([
  'generate', 'stopGeneration', 'insertGeneration', 'compareCache', 'openGenerationAnalysis', 'requestStepRow',
]);

interface Run {
  run: number;
  document: vscode.TextDocument;
  /** The prompt's document range (the selection). */
  input: AnalysisInput;
  settings: GenerationSettings;
  steps: GenerationStepMessage[];
  summary?: GenerationSummary;
  error?: string;
  abort: AbortController;
  /** Where Insert into Editor put the text (document offsets), if it did. */
  inserted?: { start: number; end: number; version: number };
  comparison?: Extract<ToPanelMessage, { type: 'cacheComparison' }>;
}

const toStepMessage = (s: GenerationStepInfo): GenerationStepMessage => ({ ...s, mass: toArrayBuffer(s.mass) });
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export class GenerationController implements PanelClient, vscode.Disposable {
  private current: Run | undefined;
  private counter = 0;

  constructor(private readonly ctx: Ctx, private readonly models: ModelManager, private readonly analysis: AnalysisController) {
    analysis.addPanelClient(this);
  }

  /** The settings' defaults (attentionInspector.generate.*). */
  private defaults(): GenerationSettings {
    const section = vscode.workspace.getConfiguration(SECTION);
    return parseGenerationSettings((key) => section.get(key));
  }

  // ---- commands ---------------------------------------------------------------------------------------

  async generateFromSelection(editor: vscode.TextEditor | undefined = vscode.window.activeTextEditor): Promise<void> {
    if (!editor) throw new Error('Open a text editor and select the prompt to generate from.');
    const input = inputFromEditor(editor);
    if (input.text.trim().length === 0) throw new Error('Nothing to generate from: the selection is only whitespace.');
    await this.start(editor.document, input, this.defaults());
  }

  private post(m: ToPanelMessage, open = true): void {
    this.analysis.postToPanel(m, open);
  }

  private async start(document: vscode.TextDocument, input: AnalysisInput, settings: GenerationSettings): Promise<void> {
    this.current?.abort.abort();
    const run: Run = { run: ++this.counter, document, input, settings, steps: [], abort: new AbortController() };
    this.current = run;
    const sourceName = document.isUntitled ? document.uri.path : vscode.workspace.asRelativePath(document.uri, false);
    let info;
    try {
      this.post({ type: 'progress', message: `Loading ${this.models.displayName}…` });
      info = await this.models.ensureLoaded();
    } catch (err) {
      // no model: the header says why and the command reports it
      this.post({ type: 'error', message: errorMessage(err) });
      throw err;
    }
    if (run.abort.signal.aborted) return;
    try {
      this.post({ type: 'generationStart', run: run.run, model: info, prompt: [], settings, sourceName, canInsert: !document.isClosed });
      const summary = await this.ctx.client.generate(input.text, { settings, topK: this.ctx.config.topK }, (s) => {
        const m = toStepMessage(s);
        run.steps.push(m);
        if (this.current === run) this.post({ type: 'generationStep', run: run.run, step: m }, false);
      }, run.abort.signal);
      run.summary = summary;
      if (this.current !== run) return;
      this.post(this.endMessage(run), false);
      const per = mean(summary.timings.stepMs);
      this.ctx.log.info(`Generated ${summary.steps.length} tokens (${summary.stopReason}) with ${info.name}: ` +
        `prefill ${Math.round(summary.timings.prefillMs)} ms, ${per.toFixed(1)} ms per token${summary.cache ? '' : ' without the cache'}`);
    } catch (err) {
      if (isAbort(err) && this.current !== run) return;
      run.error = errorMessage(err);
      this.ctx.log.warn(`Generation failed: ${run.error}`);
      if (this.current === run) this.post({ type: 'generationError', run: run.run, message: run.error });
    }
  }

  private endMessage(run: Run): ToPanelMessage {
    const s = run.summary!;
    return {
      type: 'generationEnd', run: run.run, generationId: s.generationId, text: s.text, stopReason: s.stopReason,
      cache: s.cache, prefillMs: s.timings.prefillMs, inserted: run.inserted !== undefined,
    };
  }

  stop(): void {
    this.current?.abort.abort();
  }

  /** Put the generated text right after the prompt's range, as one undo step. */
  async insert(): Promise<void> {
    const run = this.current;
    if (!run?.summary) throw new Error('Nothing to insert yet: wait for the generation to finish (or Stop it).');
    if (run.inserted) return;
    const doc = run.document;
    if (doc.isClosed) throw new Error('The document of the prompt was closed.');
    const text = run.summary.text;
    if (text.length === 0) throw new Error('The generation produced no text to insert.');
    const at = run.input.range.end;
    // an edit through the document's editor with undo stops on both sides: exactly one undo step
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc)
      ?? await vscode.window.showTextDocument(doc, { preserveFocus: true, preview: false });
    const ok = await editor.edit((b) => b.insert(doc.positionAt(at), text), { undoStopBefore: true, undoStopAfter: true });
    if (!ok) throw new Error('The editor refused the edit (read-only document?).');
    run.inserted = { start: at, end: at + text.length, version: doc.version };
    this.post({ type: 'generationInserted', run: run.run }, false);
    this.ctx.log.info(`Inserted ${text.length} generated characters into ${vscode.workspace.asRelativePath(doc.uri, false)}`);
  }

  /** The same generation with and without the cache: ms per token, speed-up, and whether the tokens are identical. */
  async compareCache(): Promise<void> {
    const run = this.current;
    if (!run?.summary) throw new Error('Generate first; then Compare cache runs the same generation the other way.');
    const base = run.summary;
    const post = (m: Omit<Extract<ToPanelMessage, { type: 'cacheComparison' }>, 'type' | 'run'>) => {
      run.comparison = { type: 'cacheComparison', run: run.run, ...m };
      if (this.current === run) this.post(run.comparison, false);
    };
    post({ status: 'running' });
    try {
      const other = await this.ctx.client.generate(run.input.text, {
        settings: { ...run.settings, maxNewTokens: Math.max(1, base.steps.length), noCache: base.cache }, topK: this.ctx.config.topK,
      }, undefined, run.abort.signal);
      const withCache = base.cache ? base : other;
      const withoutCache = base.cache ? other : base;
      const ids = (g: GenerationSummary) => g.steps.map((s) => s.id);
      const a = ids(withCache);
      const b = ids(withoutCache);
      const diff = a.findIndex((id, i) => id !== b[i]);
      const result: CacheComparison = {
        withCache: { msPerToken: mean(withCache.timings.stepMs), ids: a },
        withoutCache: { msPerToken: mean(withoutCache.timings.stepMs), ids: b },
        speedup: mean(withoutCache.timings.stepMs) / Math.max(1e-6, mean(withCache.timings.stepMs)),
        identical: diff < 0 && a.length === b.length,
        firstDifference: diff < 0 ? undefined : diff,
      };
      post({ status: 'done', result });
      this.ctx.log.info(`Compare cache: ${result.withCache.msPerToken.toFixed(1)} ms/token with, ${result.withoutCache.msPerToken.toFixed(1)} without ` +
        `(${result.speedup.toFixed(1)}×), tokens ${result.identical ? 'identical' : `differ from step ${diff}`}`);
    } catch (err) {
      post({ status: 'error', message: errorMessage(err) });
    }
  }

  /**
   * Prompt + generated text as an ordinary analysis (assembled in the worker from the cached steps). After
   * Insert into Editor it is the analysis of that document range (hovers work there); otherwise the text
   * opens in a new untitled document.
   */
  async openAnalysis(): Promise<void> {
    const run = this.current;
    if (!run?.summary) throw new Error('Generate first; then open prompt + generated text as an analysis.');
    const handle = await this.ctx.client.generationAnalysis(run.summary.generationId);
    const text = run.input.text + run.summary.allText;
    const ins = run.inserted;
    const doc = run.document;
    const textAt = (start: number, end: number) => doc.getText(new vscode.Range(doc.positionAt(start), doc.positionAt(end)));
    // the prompt and the inserted text are still where they were (undo + redo keep them; other edits may not)
    const inDocument = ins && !doc.isClosed && run.summary.allText === run.summary.text
      && textAt(run.input.range.start, ins.end) === text;
    if (inDocument) {
      this.analysis.showHandle(run.document, { range: { start: run.input.range.start, end: ins.end }, text, note: 'Generated text, assembled from the generation steps.' }, handle);
      return;
    }
    const untitled = await vscode.workspace.openTextDocument({ content: text, language: run.document.languageId });
    await vscode.window.showTextDocument(untitled, { viewColumn: vscode.ViewColumn.One, preview: false });
    this.analysis.showHandle(untitled, { range: { start: 0, end: text.length }, text, note: 'Generated text (prompt + completion), assembled from the generation steps.' }, handle);
  }

  // ---- panel ------------------------------------------------------------------------------------------

  handles(m: FromPanelMessage): boolean {
    return HANDLED.has(m.type);
  }

  async onPanelMessage(m: Exclude<FromPanelMessage, { type: 'ready' }>): Promise<void> {
    switch (m.type) {
      case 'generate': {
        const run = this.current;
        if (!run) throw new Error('Select a prompt in an editor and run "Generate From Selection" first.');
        await this.start(run.document, run.input, m.settings);
        return;
      }
      case 'stopGeneration':
        this.stop();
        return;
      case 'insertGeneration':
        await this.insert();
        return;
      case 'compareCache':
        await this.compareCache();
        return;
      case 'openGenerationAnalysis':
        await this.openAnalysis();
        return;
      case 'requestStepRow': {
        const data = await this.ctx.client.getStepRow(m.generationId, m.step, m.layer, m.head);
        this.post({ type: 'stepRow', generationId: m.generationId, step: m.step, layer: m.layer, head: m.head, data: toArrayBuffer(data) }, false);
        return;
      }
    }
  }

  /** The webview (re)loaded: replay the current generation. */
  onPanelReady(): void {
    const run = this.current;
    const info = this.models.current;
    if (!run || !info) return;
    this.post({ type: 'generationStart', run: run.run, model: info, prompt: [], settings: run.settings, canInsert: !run.document.isClosed }, false);
    for (const step of run.steps) this.post({ type: 'generationStep', run: run.run, step: { ...step, mass: step.mass.slice(0) } }, false);
    if (run.summary) this.post(this.endMessage(run), false);
    if (run.error) this.post({ type: 'generationError', run: run.run, message: run.error }, false);
    if (run.comparison) this.post(run.comparison, false);
  }

  dispose(): void {
    this.current?.abort.abort();
  }
}
