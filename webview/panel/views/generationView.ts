// The Generation tab: settings (strategy, temperature, top-k, top-p, seed, max new tokens), Regenerate / Stop /
// Insert into Editor / Compare cache / Open as analysis, the text as it streams in (each generated token tinted
// by its probability), a step scrubber (slider, ←/→) with its own layer and head, and the step picture
// (generationScene.ts). Step attention rows are fetched from the host per (step, layer, head).
import type { ToPanelMessage, CacheComparison } from '../../../src/protocol';
import type { GenerationSettings, GenerationStopReason } from '../../../src/engine/generationTypes';
import type { ModelInfo, Token } from '../../../src/engine/types';
import { el, fillRemainingHeight, interactiveCanvas, type ExportOptions, type PanelContext, type PanelView } from '../context';
import { exportTheme } from '../colors';
import { fitCanvas } from '../canvas';
import { makeButton, makeSelect, type SelectControl } from '../controls';
import { drawScene, sceneToPng, sceneToSvg } from '../scene';
import type { HostChannel } from '../vscodeApi';
import { buildGenerationScene, showToken, type SceneHits, type SceneStep, type SceneToken } from './generationScene';

type GenMessage = Extract<ToPanelMessage, { type: 'generationStart' | 'generationStep' | 'generationEnd' | 'generationError' | 'stepRow' | 'cacheComparison' | 'generationInserted' }>;

export const GENERATION_MESSAGES = new Set<ToPanelMessage['type']>([
  'generationStart', 'generationStep', 'generationEnd', 'generationError', 'stepRow', 'cacheComparison', 'generationInserted',
]);

const STOP_TEXT: Record<GenerationStopReason, string> = {
  'max-new-tokens': 'reached the maximum of new tokens',
  eos: 'the model wrote <|endoftext|>',
  'stop-string': 'reached the stop string',
  'context-full': 'the model context is full',
  cancelled: 'stopped',
};

interface Step extends SceneStep { generationId: number; ms: number; samplerProb: number }

interface Gen {
  run: number;
  model: ModelInfo;
  settings: GenerationSettings;
  prompt: Token[];
  steps: Step[];
  canInsert: boolean;
  sourceName?: string;
  end?: Extract<ToPanelMessage, { type: 'generationEnd' }>;
  error?: string;
  comparison?: Extract<ToPanelMessage, { type: 'cacheComparison' }>;
  inserted: boolean;
}

function numberField(label: string, title: string, attrs: { min?: number; max?: number; step?: number }): { wrap: HTMLElement; input: HTMLInputElement } {
  const wrap = el('label', 'control gen-field');
  const input = el('input', 'gen-input');
  input.type = 'number';
  input.title = title;
  input.setAttribute('aria-label', title);
  if (attrs.min !== undefined) input.min = String(attrs.min);
  if (attrs.max !== undefined) input.max = String(attrs.max);
  input.step = String(attrs.step ?? 1);
  wrap.append(el('span', 'control-label', label), input);
  return { wrap, input };
}

export class GenerationView implements PanelView {
  readonly id = 'generation' as const;
  readonly label = 'Generation';
  readonly element: HTMLElement;
  private gen: Gen | undefined;
  private selected = -1;
  /** Follow the newest step while tokens stream in, until the user scrubs. */
  private following = true;
  private layer = 0;
  private head: number | null = null;
  private readonly rows = new Map<string, Float32Array>();
  private readonly requested = new Set<string>();
  private hits: SceneHits = { strip: [], heatmaps: [], candidates: [] };

  private readonly scroller: HTMLElement;
  private readonly strategy: SelectControl;
  private readonly fields: Record<'temperature' | 'topK' | 'topP' | 'seed' | 'maxNewTokens', HTMLInputElement>;
  private readonly buttons: Record<'regenerate' | 'stop' | 'insert' | 'compare' | 'open', HTMLElement>;
  private readonly status: HTMLElement;
  private readonly output: HTMLElement;
  private readonly promptSpan: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly stepLabel: HTMLElement;
  private readonly layerSelect: SelectControl;
  private readonly headSelect: SelectControl;
  private readonly comparison: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly empty: HTMLElement;
  private readonly body: HTMLElement;
  private renderedTokens = 0;

  constructor(private readonly ctx: PanelContext, private readonly host: Pick<HostChannel, 'post'>) {
    this.element = el('div', 'view generation-view');
    this.scroller = el('div', 'gen-scroll');
    this.empty = el('div', 'empty-state', 'Select a prompt in an editor and run “Generate From Selection” (Ctrl+Alt+G): the tokens stream in here.');
    this.body = el('div', 'gen-body');

    const settings = el('div', 'view-toolbar gen-settings');
    settings.setAttribute('role', 'group');
    settings.setAttribute('aria-label', 'Generation settings');
    this.strategy = makeSelect('Strategy', 'Decoding strategy', () => this.syncEnabled());
    this.strategy.setOptions([{ value: 'greedy', label: 'greedy' }, { value: 'sample', label: 'sample' }], 'greedy');
    const temperature = numberField('Temperature', 'Temperature (0 = greedy)', { min: 0, max: 100, step: 0.1 });
    const topK = numberField('Top-k', 'Top-k: sample among the k most likely tokens (0 = off)', { min: 0, step: 1 });
    const topP = numberField('Top-p', 'Top-p: keep the most likely tokens whose mass reaches p (1 = off)', { min: 0.01, max: 1, step: 0.05 });
    const seed = numberField('Seed', 'Seed of the sampler (the same seed gives the same tokens)', { min: 0, step: 1 });
    const maxNew = numberField('Max new tokens', 'Maximum number of new tokens', { min: 1, max: 4096, step: 1 });
    this.fields = { temperature: temperature.input, topK: topK.input, topP: topP.input, seed: seed.input, maxNewTokens: maxNew.input };
    settings.append(this.strategy.element, temperature.wrap, topK.wrap, topP.wrap, seed.wrap, maxNew.wrap);

    const actions = el('div', 'view-toolbar gen-actions');
    this.buttons = {
      regenerate: makeButton('Regenerate', 'Generate again from the same prompt with these settings', () => this.regenerate(), false),
      stop: makeButton('Stop', 'Stop the generation (keeps the tokens so far)', () => this.host.post({ type: 'stopGeneration' })),
      insert: makeButton('Insert into Editor', 'Put the generated text after the selection (one undo step)', () => this.host.post({ type: 'insertGeneration' })),
      compare: makeButton('Compare cache', 'Run the same generation without (or with) the key/value cache and compare ms per token', () => this.host.post({ type: 'compareCache' })),
      open: makeButton('Open as analysis', 'Show prompt + generated text in every view, assembled from the steps (no new model run)', () => this.host.post({ type: 'openGenerationAnalysis' })),
    };
    this.status = el('span', 'gen-status');
    this.status.setAttribute('role', 'status');
    actions.append(...Object.values(this.buttons), this.status);

    this.comparison = el('div', 'gen-comparison');
    this.comparison.hidden = true;
    this.comparison.setAttribute('role', 'status');

    this.output = el('div', 'gen-output');
    this.output.setAttribute('aria-label', 'Prompt and generated text');
    this.promptSpan = el('span', 'gen-prompt');

    const scrub = el('div', 'view-toolbar gen-scrub');
    const sliderWrap = el('label', 'control gen-slider-wrap');
    this.slider = el('input', 'gen-slider');
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = '0';
    this.slider.setAttribute('aria-label', 'Step (left and right arrows move one step)');
    this.slider.addEventListener('input', () => this.select(Number(this.slider.value), false));
    sliderWrap.append(el('span', 'control-label', 'Step'), this.slider);
    this.stepLabel = el('span', 'gen-step-label');
    this.layerSelect = makeSelect('Layer', 'Layer of the step attention', (v) => { this.layer = Number(v); this.ctx.invalidate(); });
    this.headSelect = makeSelect('Head', 'Head of the step attention (or the mean of heads)', (v) => { this.head = v === 'mean' ? null : Number(v); this.ctx.invalidate(); });
    scrub.append(sliderWrap, this.stepLabel, this.layerSelect.element, this.headSelect.element);

    this.canvas = interactiveCanvas('gen-canvas', () => this.ctx.invalidate(), {
      move: (e) => this.onMove(e),
      leave: () => this.ctx.tooltip.hide(),
      click: (e) => this.onClick(e),
      key: (e) => this.onKey(e),
      focus: () => this.announceStep(),
      blur: () => undefined,
    });

    this.body.append(settings, actions, this.comparison, this.output, scrub, this.canvas);
    this.scroller.append(this.empty, this.body);
    this.element.append(this.scroller);
    this.body.hidden = true;
  }

  // ---- messages -------------------------------------------------------------------------------------

  receive(m: GenMessage): void {
    switch (m.type) {
      case 'generationStart':
        this.gen = { run: m.run, model: m.model, settings: m.settings, prompt: m.prompt, steps: [], canInsert: m.canInsert, sourceName: m.sourceName, inserted: false };
        this.selected = -1;
        this.following = true;
        this.rows.clear();
        this.requested.clear();
        this.layer = Math.min(this.layer, m.model.layers - 1);
        if (this.head !== null) this.head = Math.min(this.head, m.model.heads - 1);
        this.setSettings(m.settings);
        this.output.replaceChildren(this.promptSpan);
        this.promptSpan.textContent = '';
        this.renderedTokens = 0;
        this.comparison.hidden = true;
        break;
      case 'generationStep': {
        const g = this.gen;
        if (!g || m.run !== g.run) return;
        const s = m.step;
        if (s.prompt) g.prompt = s.prompt;
        g.steps.push({ ...s, mass: new Float32Array(s.mass) });
        if (this.following) this.selected = g.steps.length - 1;
        break;
      }
      case 'generationEnd':
        if (!this.gen || m.run !== this.gen.run) return;
        this.gen.end = m;
        this.gen.inserted = !!m.inserted;
        this.ctx.announce(`Generation finished: ${this.gen.steps.length} tokens, ${STOP_TEXT[m.stopReason]}.`);
        break;
      case 'generationError':
        if (!this.gen || m.run !== this.gen.run) return;
        this.gen.error = m.message;
        break;
      case 'generationInserted':
        if (this.gen && m.run === this.gen.run) this.gen.inserted = true;
        break;
      case 'cacheComparison':
        if (!this.gen || m.run !== this.gen.run) return;
        this.gen.comparison = m;
        break;
      case 'stepRow':
        this.rows.set(this.rowKey(m.generationId, m.step, m.layer, m.head), new Float32Array(m.data));
        break;
    }
    this.ctx.invalidate();
  }

  /** Whether the tab has something to show (the panel shows its tabs for a generation without an analysis). */
  get active(): boolean {
    return this.gen !== undefined;
  }

  private rowKey(generationId: number, step: number, layer: number, head: number | null): string {
    return `${generationId}|${step}|${layer}|${head ?? 'mean'}`;
  }

  private stepRow(step: Step): Float32Array | undefined {
    const key = this.rowKey(step.generationId, step.index, this.layer, this.head);
    const row = this.rows.get(key);
    if (!row && !this.requested.has(key)) {
      this.requested.add(key);
      this.host.post({ type: 'requestStepRow', generationId: step.generationId, step: step.index, layer: this.layer, head: this.head });
    }
    return row;
  }

  // ---- controls ---------------------------------------------------------------------------------------

  private setSettings(s: GenerationSettings): void {
    this.strategy.setValue(s.strategy);
    this.fields.temperature.value = String(s.temperature);
    this.fields.topK.value = String(s.topK);
    this.fields.topP.value = String(s.topP);
    this.fields.seed.value = String(s.seed);
    this.fields.maxNewTokens.value = String(s.maxNewTokens);
    this.syncEnabled();
  }

  private readSettings(): GenerationSettings {
    const n = (i: HTMLInputElement) => Number(i.value === '' ? NaN : i.value);
    const strategy = (this.strategy.element.querySelector('vscode-single-select') as HTMLElement & { value: string } | null)?.value;
    return {
      strategy: strategy === 'sample' ? 'sample' : 'greedy',
      temperature: n(this.fields.temperature), topK: n(this.fields.topK), topP: n(this.fields.topP),
      seed: n(this.fields.seed), maxNewTokens: n(this.fields.maxNewTokens),
    };
  }

  private syncEnabled(): void {
    const sample = this.readSettings().strategy === 'sample';
    for (const key of ['temperature', 'topK', 'topP', 'seed'] as const) this.fields[key].disabled = !sample;
  }

  private regenerate(): void {
    const s = this.readSettings();
    const bad = [['temperature', s.temperature >= 0], ['top-k', Number.isInteger(s.topK) && s.topK >= 0], ['top-p', s.topP > 0 && s.topP <= 1],
      ['seed', Number.isInteger(s.seed) && s.seed >= 0], ['max new tokens', Number.isInteger(s.maxNewTokens) && s.maxNewTokens >= 1]]
      .filter(([, ok]) => !ok).map(([name]) => name);
    if (bad.length) {
      this.status.textContent = `Check ${bad.join(', ')}: temperature ≥ 0, top-k an integer ≥ 0, top-p in (0, 1], seed an integer ≥ 0, max new tokens ≥ 1.`;
      this.status.classList.add('gen-error');
      return;
    }
    this.host.post({ type: 'generate', settings: s });
  }

  private select(step: number, fromKey: boolean): void {
    const g = this.gen;
    if (!g || g.steps.length === 0) return;
    this.selected = Math.max(0, Math.min(g.steps.length - 1, step));
    this.following = this.selected === g.steps.length - 1 && !g.end;
    if (fromKey) this.slider.value = String(this.selected);
    this.announceStep();
    this.ctx.invalidate();
  }

  private describeStep(): string {
    const s = this.gen?.steps[this.selected];
    if (!s) return 'No step yet';
    return `Step ${s.index + 1} of ${this.gen!.steps.length}: ${JSON.stringify(s.token)}, probability ${(s.prob * 100).toFixed(1)} %, rank ${s.rank}, ${s.ms.toFixed(0)} ms`;
  }

  private announceStep(): void {
    this.ctx.announce(this.describeStep());
  }

  private onKey(e: KeyboardEvent): void {
    const g = this.gen;
    if (!g) return;
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const d = moves[e.key];
    this.select(Number.isFinite(d) ? this.selected + d : d < 0 ? 0 : g.steps.length - 1, true);
  }

  private canvasPoint(e: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private onMove(e: MouseEvent): void {
    const { x, y } = this.canvasPoint(e);
    const g = this.gen;
    const step = g?.steps[this.selected];
    const hit = this.hits.strip.find((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h);
    if (g && step && hit) {
      const row = this.rows.get(this.rowKey(step.generationId, step.index, this.layer, this.head));
      const tok = this.tokenAt(hit.token);
      this.ctx.tooltip.show(e.clientX, e.clientY, [`${hit.token}: ${JSON.stringify(tok?.text ?? '')}${tok?.generated ? ' (generated)' : ' (prompt)'}`,
        row ? `attention ${row[hit.token].toFixed(4)}` : 'loading…']);
      return;
    }
    const hm = this.heatmapStepAt(x, y);
    if (g && hm) {
      const s = g.steps[hm.step];
      this.ctx.tooltip.show(e.clientX, e.clientY, [`Step ${hm.step + 1}: ${JSON.stringify(s.token)}`, `layer ${hm.layer}`, 'click to select this step']);
      return;
    }
    this.ctx.tooltip.hide();
  }

  private heatmapStepAt(x: number, y: number): { step: number; layer: number } | undefined {
    for (const h of this.hits.heatmaps) {
      if (x >= h.x0 && x < h.x0 + h.cell * h.steps && y >= h.y0 && y < h.y0 + h.cellH * h.L) {
        return { step: Math.floor((x - h.x0) / h.cell), layer: Math.floor((y - h.y0) / h.cellH) };
      }
    }
    return undefined;
  }

  private onClick(e: MouseEvent): void {
    const { x, y } = this.canvasPoint(e);
    const hm = this.heatmapStepAt(x, y);
    if (hm) {
      this.select(hm.step, true);
      return;
    }
    const hit = this.hits.strip.find((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h);
    const P = this.gen?.prompt.length ?? 0;
    if (hit && hit.token >= P) this.select(hit.token - P, true);
  }

  private tokenAt(j: number): SceneToken | undefined {
    const g = this.gen;
    if (!g) return undefined;
    if (j < g.prompt.length) return { text: g.prompt[j].text, generated: false };
    const s = g.steps[j - g.prompt.length];
    return s ? { text: s.token, generated: true } : undefined;
  }

  private sceneTokens(): SceneToken[] {
    const g = this.gen!;
    return [...g.prompt.map((t) => ({ text: t.text, generated: false })), ...g.steps.map((s) => ({ text: s.token, generated: true }))];
  }

  // ---- rendering --------------------------------------------------------------------------------------

  reportedHead(): number | null {
    return this.head;
  }

  render(): boolean {
    const g = this.gen;
    this.empty.hidden = !!g;
    this.body.hidden = !g;
    fillRemainingHeight(this.scroller, 4);
    if (!g) return false;
    const running = !g.end && !g.error;
    this.buttons.stop.toggleAttribute('disabled', !running);
    this.buttons.regenerate.toggleAttribute('disabled', running);
    this.buttons.insert.toggleAttribute('disabled', !g.end || g.inserted || !g.canInsert || g.end.text.length === 0);
    this.buttons.compare.toggleAttribute('disabled', !g.end || g.steps.length === 0 || g.comparison?.status === 'running');
    this.buttons.open.toggleAttribute('disabled', !g.end || g.steps.length === 0);
    this.renderStatus(g);
    this.renderComparison(g.comparison?.status === 'done' ? g.comparison.result : undefined, g.comparison);
    this.renderOutput(g);
    const n = g.steps.length;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.disabled = n === 0;
    if (this.selected >= 0) this.slider.value = String(this.selected);
    this.stepLabel.textContent = this.describeStep();
    this.layerSelect.setOptions(Array.from({ length: g.model.layers }, (_, l) => ({ value: String(l), label: `Layer ${l}` })), String(this.layer));
    this.headSelect.setOptions([{ value: 'mean', label: 'Mean of heads' }, ...Array.from({ length: g.model.heads }, (_, h) => ({ value: String(h), label: `Head ${h}` }))],
      this.head === null ? 'mean' : String(this.head));

    const width = Math.max(280, Math.min(this.body.clientWidth || 600, 1200));
    const built = this.build(width, this.ctx.theme());
    this.hits = built.hits;
    const c = fitCanvas(this.canvas, built.scene.width, built.height);
    drawScene(c, built.scene, this.ctx.fonts(), true);
    this.canvas.setAttribute('aria-label', `${this.describeStep()}. Attention strip, candidates and attention over the steps. Left and right arrows move one step.`);
    return n > 0;
  }

  private build(width: number, theme: ReturnType<PanelContext['theme']>, opts?: ExportOptions) {
    const g = this.gen!;
    const step = g.steps[this.selected];
    return buildGenerationScene({
      width, theme, title: opts?.title, tokens: this.sceneTokens(), steps: g.steps, selected: this.selected,
      layer: this.layer, head: this.head, L: g.model.layers, H: g.model.heads, settings: g.settings,
      row: step ? this.stepRow(step) : undefined, range: opts?.range,
    });
  }

  private renderStatus(g: Gen): void {
    this.status.classList.toggle('gen-error', !!g.error);
    const per = g.steps.length ? g.steps.reduce((s, x) => s + x.ms, 0) / g.steps.length : 0;
    if (g.error) this.status.textContent = g.error;
    else if (!g.end) this.status.textContent = `Generating… ${g.steps.length} of ${g.settings.maxNewTokens} tokens${per ? `, ${per.toFixed(0)} ms per token` : ''}`;
    else this.status.textContent = `${g.steps.length} tokens, ${STOP_TEXT[g.end.stopReason]}; ${per.toFixed(1)} ms per token ${g.end.cache ? 'with' : 'without'} the cache${g.inserted ? ' · inserted' : ''}`;
  }

  private renderComparison(r: CacheComparison | undefined, m: Gen['comparison']): void {
    this.comparison.hidden = !m;
    if (!m) return;
    if (m.status === 'running') this.comparison.textContent = 'Comparing: running the same generation the other way…';
    else if (m.status === 'error') this.comparison.textContent = `Compare cache failed: ${m.message ?? ''}`;
    else if (r) {
      const same = r.identical ? 'the tokens are identical' : `the tokens differ from step ${(r.firstDifference ?? 0) + 1} (a near-tie that float rounding decides differently)`;
      this.comparison.textContent = `With the cache ${r.withCache.msPerToken.toFixed(1)} ms per token, without it ${r.withoutCache.msPerToken.toFixed(1)} ms: ${r.speedup.toFixed(1)}× faster; ${same}.`;
    }
  }

  private renderOutput(g: Gen): void {
    if (this.promptSpan.textContent === '' && g.prompt.length) this.promptSpan.textContent = g.prompt.map((t) => t.text).join('');
    for (let i = this.renderedTokens; i < g.steps.length; i++) {
      const s = g.steps[i];
      const span = el('span', 'gen-token', s.token);
      span.style.setProperty('--p', String(Math.max(0.06, Math.min(1, s.prob))));
      span.title = `step ${i + 1}: p ${(s.prob * 100).toFixed(1)} %, rank ${s.rank}`;
      span.dataset.step = String(i);
      span.addEventListener('click', () => this.select(i, true));
      this.output.append(span);
    }
    if (this.renderedTokens !== g.steps.length && this.following) this.output.scrollTop = this.output.scrollHeight;
    this.renderedTokens = g.steps.length;
    this.output.querySelectorAll('.gen-token.selected').forEach((e) => e.classList.remove('selected'));
    this.output.querySelector(`.gen-token[data-step="${this.selected}"]`)?.classList.add('selected');
  }

  // ---- exports ----------------------------------------------------------------------------------------

  private exportScene(opts: ExportOptions) {
    if (!this.gen || this.gen.steps.length === 0) throw new Error('Nothing to export yet: generate some tokens first');
    const theme = exportTheme(this.ctx.theme(), opts.background);
    // the panel's title names the analysis (if any); this view shows the generation
    const title = [this.gen.model.name, 'Generation', `step ${this.selected + 1}`, `layer ${this.layer}`, this.head === null ? 'mean of heads' : `head ${this.head}`, this.gen.sourceName]
      .filter(Boolean).join(' · ');
    return this.build(Math.max(720, this.body.clientWidth), theme, { ...opts, title }).scene;
  }

  exportPng(opts: ExportOptions): string {
    return sceneToPng(this.exportScene(opts), this.ctx.fonts(), opts.scale);
  }

  exportSvg(opts: ExportOptions): string {
    return sceneToSvg(this.exportScene(opts), this.ctx.fonts());
  }
}

export { showToken };
