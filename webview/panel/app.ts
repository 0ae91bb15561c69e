// The panel application: owns the state, the analysis store and the views; handles host messages;
// schedules rendering (one frame at a time, active view only); exports; theme and resize changes.
import type { AttentionEncoding, FromPanelMessage, ToPanelMessage } from '../../src/protocol';
import { AnalysisStore } from './data';
import { headColors, isDarkTheme, readTheme, type Theme } from './colors';
import { Announcer, DEFAULT_EXPORT, el, Tooltip, type ExportOptions, type PanelContext, type PanelView } from './context';
import { ExportDialog, pngScaleNote, type ExportFormat } from './exportDialog';
import { afterPaint } from './canvas';
import { makeButton, makeSelect, type SelectControl } from './controls';
import { Header } from './header';
import { wrapTabStrip } from './layout';
import { TokenStrip } from './tokenStrip';
import { clampState, restoreState, TAB_IDS, type PersistedState, type TabId } from './state';
import type { HostChannel } from './vscodeApi';
import { HeadView } from './views/headView';
import { ModelView } from './views/modelView';
import { HeatmapView } from './views/heatmapView';
import { TokensView } from './views/tokensView';
import { FlowView } from './views/flowView';
import { GenerationView, GENERATION_MESSAGES } from './views/generationView';
import type { SceneFonts } from './scene';

/**
 * performance.measure names: `attention-panel:<tab>:firstPaint`, from data arrival to painted frame;
 * `attention-panel:<tab>:open`, from selecting the tab to its first frame drawn with real data.
 */
export const PERF_PREFIX = 'attention-panel';

type FromPanelExport = Extract<FromPanelMessage, { type: 'export' }>;

/** Which shared navigation controls each tab uses. */
const NAV: Record<TabId, { layer: boolean; head: boolean }> = {
  head: { layer: true, head: false },
  model: { layer: false, head: false },
  heatmap: { layer: true, head: true },
  tokens: { layer: true, head: true },
  flow: { layer: true, head: false },
  generation: { layer: false, head: false }, // the Generation tab has its own layer and head
};

export class PanelApp implements PanelContext {
  readonly state: PersistedState;
  readonly tooltip: Tooltip;
  private readonly announcer: Announcer;
  private current: AnalysisStore | undefined;
  private currentTheme: Theme;
  private colors: string[] = [];
  private readonly views: PanelView[];
  private readonly generation: GenerationView;
  private readonly header: Header;
  private readonly strip: TokenStrip;
  private readonly tabs: HTMLElement & { selectedIndex: number };
  private readonly layerSelect: SelectControl;
  private readonly headSelect: SelectControl;
  private readonly nav: HTMLElement;
  /** "Loading layer N…" beside the layer controls while the layer on screen has not arrived. */
  private readonly layerStatus: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly exportDialog: ExportDialog;
  private frame = 0;
  private pendingPaint: { t0: number; views: TabId[] } | null = null;
  /** A tab switch waiting for its first painted frame (the `attention-panel:<tab>:open` measure). */
  private pendingOpen: { t0: number; tab: TabId } | null = null;

  constructor(private readonly host: HostChannel, root: HTMLElement) {
    this.state = restoreState(host.loadState());
    this.currentTheme = readTheme();
    this.tooltip = new Tooltip(document.body);
    this.announcer = new Announcer(document.body);
    this.header = new Header({
      exportView: (f) => this.exportView(f),
      exportJson: () => this.host.post({ type: 'exportJson' }),
      followCursor: (enabled) => { this.update({ followCursor: enabled }); this.host.post({ type: 'followCursor', enabled }); },
      live: (enabled) => this.host.post({ type: 'setLive', enabled }),
      cancelAnalysis: () => this.host.post({ type: 'cancelAnalysis' }),
    });
    this.header.setFollow(this.state.followCursor);
    this.strip = new TokenStrip({
      toggle: (i) => this.setQuery(this.state.query === i ? null : i),
      select: (i) => { if (this.state.query !== i) this.setQuery(i); },
      clear: () => { if (this.state.query !== null) this.setQuery(null); },
    });
    this.nav = el('div', 'nav-row');
    this.layerSelect = makeSelect('Layer', 'Layer', (v) => this.update({ layer: Number(v) }));
    this.headSelect = makeSelect('Head', 'Head (or the mean over heads)', (v) => this.update({ head: v === 'mean' ? null : Number(v) }));
    this.layerStatus = el('span', 'layer-status');
    this.layerStatus.setAttribute('role', 'status');
    this.nav.append(
      makeButton('◀', 'Previous layer', () => this.stepLayer(-1)), this.layerSelect.element,
      makeButton('▶', 'Next layer', () => this.stepLayer(1)), this.headSelect.element, this.layerStatus,
    );
    this.generation = new GenerationView(this, host);
    this.views = [new HeadView(this), new ModelView(this), new HeatmapView(this), new TokensView(this), new FlowView(this), this.generation];
    this.tabs = this.buildTabs();
    this.empty = el('div', 'empty-state', 'Waiting for an analysis… Select text in an editor and run “Show Attention”.');
    this.exportDialog = new ExportDialog({
      view: () => this.activeView(),
      tokenCount: () => this.current?.T ?? 0,
      title: (v) => this.exportTitle(v),
      run: (format, opts) => this.runExport(format, opts),
    });
    root.append(this.header.element, this.empty, this.strip.element, this.nav, this.tabs, this.exportDialog.element);
    this.setLoaded(false);
    this.observeEnvironment();
    window.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data as ToPanelMessage));
  }

  // ---- PanelContext

  store(): AnalysisStore | undefined { return this.current; }
  theme(): Theme { return this.currentTheme; }
  fonts(): SceneFonts { return { ui: this.currentTheme.fontFamily, mono: this.currentTheme.monoFamily }; }
  headColors(): string[] { return this.colors; }
  announce(text: string): void { this.announcer.say(text); }

  setQuery(query: number | null): void {
    this.state.query = query;
    this.save();
    this.postQuery();
    if (query !== null) this.revealQuery(query);
    this.invalidate();
  }

  private revealQuery(query: number): void {
    const view = this.activeView();
    if (view instanceof HeadView) view.scrollIntoView(query);
  }

  update(patch: Partial<PersistedState>): void {
    const touchesQueryPaint = ('layer' in patch && patch.layer !== this.state.layer)
      || ('head' in patch && patch.head !== this.state.head)
      || 'visibleHeads' in patch;
    Object.assign(this.state, patch);
    this.save();
    if (touchesQueryPaint && this.state.query !== null) this.postQuery();
    this.invalidate();
  }

  showTab(tab: TabId): void {
    const i = TAB_IDS.indexOf(tab);
    this.tabs.selectedIndex = i;
    this.onTabSelected(i);
  }

  invalidate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow();
    });
  }

  // ---- Host messages

  /** Tell the host we can receive messages (it holds them until then). */
  start(): void {
    this.host.post({ type: 'ready' });
    if (this.state.followCursor) this.host.post({ type: 'followCursor', enabled: true });
  }

  private onMessage(m: ToPanelMessage): void {
    if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') return;
    try {
      this.handle(m);
    } catch (err) {
      this.reportError(err);
    }
  }

  private handle(m: ToPanelMessage): void {
    if (GENERATION_MESSAGES.has(m.type)) {
      this.generation.receive(m as Parameters<GenerationView['receive']>[0]);
      if (m.type === 'generationStart') {
        this.header.setProgress(null);
        this.setLoaded(true);
        this.showTab('generation');
      }
      return;
    }
    switch (m.type) {
      case 'live':
        this.header.setLive(m.enabled);
        return;
      case 'analysis':
        this.setAnalysis(new AnalysisStore(m.summary, (l, e) => this.requestLayer(m.summary.analysisId, l, e),
          (size) => this.host.post({ type: 'requestThumbnails', analysisId: m.summary.analysisId, size })));
        return;
      case 'layer':
        if (m.analysisId !== this.current?.id) return;
        this.current.addLayer(m.layer, m.encoding, m.data);
        if (m.layer === this.state.layer || this.state.tab === 'heatmap') this.expectPaint(['head', 'heatmap', 'tokens']);
        this.invalidate();
        return;
      case 'thumbnails':
        if (m.analysisId !== this.current?.id) return;
        this.current.setThumbnails(m.size, m.data);
        this.expectPaint(['model']);
        this.invalidate();
        return;
      case 'progress':
        this.header.setProgress(m.message, { elapsedMs: m.elapsedMs, cancellable: m.cancellable });
        return;
      case 'progressEnd':
        this.header.endProgress(m.message);
        if (m.message) this.announce(m.message);
        return;
      case 'stale':
        if (m.analysisId === this.current?.id) this.header.setStale(true);
        return;
      case 'error':
        this.header.setError(m.message);
        return;
      case 'selectQuery':
        // The host paints the editor itself for follow-cursor, so no queryChanged is posted back.
        if (m.analysisId !== this.current?.id || !Number.isInteger(m.query) || m.query < 0 || m.query >= this.current.T) return;
        this.state.query = m.query;
        this.save();
        this.revealQuery(m.query);
        this.invalidate();
        return;
      case 'openHead':
        if (!this.current || m.layer >= this.current.L || m.head >= this.current.H) return;
        this.update({ layer: m.layer, head: m.head, heatmapLayout: 'single' });
        this.showTab('heatmap');
        return;
      case 'requestExport':
        if (m.options) {
          const o = m.options;
          this.runExport(m.format, {
            ...DEFAULT_EXPORT, title: this.exportTitle(this.activeView()),
            ...(o.background === 'white' || o.background === 'theme' ? { background: o.background } : {}),
            ...(typeof o.scale === 'number' && o.scale > 0 && o.scale <= 8 ? { scale: o.scale } : {}),
            ...(typeof o.title === 'string' ? { title: o.title } : {}),
            ...(o.range && Number.isInteger(o.range.start) && Number.isInteger(o.range.end) ? { range: o.range } : {}),
          });
        } else {
          this.exportView(m.format);
        }
        return;
    }
  }

  private requestLayer(analysisId: number, layer: number, encoding: AttentionEncoding): void {
    this.host.post({ type: 'requestLayer', analysisId, layer, encoding });
  }

  private setAnalysis(store: AnalysisStore): void {
    clampState(this.state, { analysisId: store.id, T: store.T, L: store.L, H: store.H });
    this.current = store;
    this.colors = headColors(store.H, isDarkTheme(this.currentTheme));
    this.header.setAnalysis(store);
    this.header.setError(null);
    this.setLoaded(true);
    this.save();
    store.need(this.state.layer, 'f32');
    store.prefetch(this.state.layer);
    this.expectPaint(['flow']);
    this.invalidate();
  }

  private postQuery(): void {
    const store = this.current;
    if (!store) return;
    this.host.post({
      type: 'queryChanged', analysisId: store.id, query: this.state.query,
      layer: this.state.layer, head: this.activeView().reportedHead(),
    });
  }

  // ---- Rendering

  private activeView(): PanelView {
    return this.views[TAB_IDS.indexOf(this.state.tab)];
  }

  private expectPaint(views: TabId[]): void {
    this.pendingPaint = { t0: performance.now(), views };
  }

  private renderNow(): void {
    const store = this.current;
    if (!store) {
      // a generation can come before any analysis: only its tab has something to show
      this.strip.element.hidden = true;
      this.nav.hidden = true;
      if (this.state.tab === 'generation') this.generation.render();
      return;
    }
    this.strip.element.hidden = this.state.tab === 'generation';
    try {
      this.syncNav(store);
      const view = this.activeView();
      const layer = store.peek(this.state.layer);
      const row = layer && this.state.query !== null ? layer.row(view.reportedHead(), this.state.query) : undefined;
      this.strip.update(store, this.state.query, row, `${this.state.layer}|${view.reportedHead()}|${layer?.encoding}`);
      const painted = view.render();
      // After the view's own request, so the layer on screen comes first; also after each arrival
      // (a layer evicted meanwhile, or room freed in the budget).
      store.prefetch(this.state.layer);
      this.syncLayerStatus(store);
      const pending = this.pendingPaint;
      if (painted && pending && pending.views.includes(view.id)) {
        this.pendingPaint = null;
        afterPaint(() => performance.measure(`${PERF_PREFIX}:${view.id}:firstPaint`, { start: pending.t0, end: performance.now() }));
      }
      const open = this.pendingOpen;
      if (painted && open && open.tab === view.id) {
        this.pendingOpen = null;
        afterPaint(() => performance.measure(`${PERF_PREFIX}:${view.id}:open`, { start: open.t0, end: performance.now() }));
      }
    } catch (err) {
      this.reportError(err);
    }
  }

  private syncNav(store: AnalysisStore): void {
    const nav = this.activeView().navControls?.() ?? NAV[this.state.tab];
    this.layerSelect.setOptions(Array.from({ length: store.L }, (_, l) => ({ value: String(l), label: `Layer ${l}` })), String(this.state.layer));
    this.headSelect.setOptions([{ value: 'mean', label: 'Mean of heads' }, ...Array.from({ length: store.H }, (_, h) => ({ value: String(h), label: `Head ${h}` }))],
      this.state.head === null ? 'mean' : String(this.state.head));
    this.nav.classList.toggle('hide-layer', !nav.layer);
    this.nav.classList.toggle('hide-head', !nav.head);
    this.nav.hidden = !nav.layer && !nav.head;
  }

  /** The loading note, and (for tests) which layers are cached, as data-cached="0,1,2". */
  private syncLayerStatus(store: AnalysisStore): void {
    const loading = NAV[this.state.tab].layer && !store.peek(this.state.layer);
    const text = loading ? `Loading layer ${this.state.layer}…` : '';
    if (this.layerStatus.textContent !== text) this.layerStatus.textContent = text;
    this.layerStatus.hidden = !loading;
    const cached = store.cachedLayers().join(',');
    if (this.layerStatus.dataset.cached !== cached) this.layerStatus.dataset.cached = cached;
  }

  private stepLayer(delta: number): void {
    const store = this.current;
    if (!store) return;
    this.update({ layer: Math.max(0, Math.min(store.L - 1, this.state.layer + delta)) });
  }

  private setLoaded(analysisLoaded: boolean): void {
    const loaded = analysisLoaded || this.generation.active;
    this.empty.hidden = loaded;
    this.strip.element.hidden = !loaded;
    this.nav.hidden = !loaded;
    this.tabs.hidden = !loaded;
  }

  private buildTabs(): HTMLElement & { selectedIndex: number } {
    const tabs = document.createElement('vscode-tabs');
    this.views.forEach((v) => {
      const header = document.createElement('vscode-tab-header');
      header.slot = 'header';
      header.textContent = v.label;
      header.dataset.tab = v.id;
      const panel = document.createElement('vscode-tab-panel');
      panel.append(v.element);
      tabs.append(header, panel);
    });
    tabs.selectedIndex = TAB_IDS.indexOf(this.state.tab);
    tabs.addEventListener('vsc-tabs-select', (e) => this.onTabSelected(e.detail.selectedIndex));
    wrapTabStrip(tabs);
    return tabs;
  }

  private onTabSelected(index: number): void {
    const tab = TAB_IDS[index];
    if (!tab || tab === this.state.tab) return;
    this.pendingOpen = { t0: performance.now(), tab };
    this.tooltip.hide();
    this.update({ tab });
    if (this.state.query !== null) this.postQuery();
  }

  // ---- Exports

  /** Open the export dialog for the active view (toolbar "Export…", palette commands). */
  private exportView(format: ExportFormat): void {
    if (!this.current && this.activeView() !== this.generation) {
      this.reportError(new Error('Nothing to export yet: no analysis has been received'));
      return;
    }
    this.tooltip.hide();
    this.exportDialog.open(format);
  }

  /**
   * Render the active view's whole export and post it to the host, with what the user should know.
   * A large PNG takes seconds to encode: the header shows progress first (painted before the work starts).
   */
  private runExport(format: ExportFormat, opts: ExportOptions): void {
    this.header.setProgress(`Exporting ${this.activeView().label} as ${format.toUpperCase()}…`);
    afterPaint(() => {
      void this.exportNow(format, opts).finally(() => this.header.setProgress(null));
    });
  }

  private async exportNow(format: ExportFormat, opts: ExportOptions): Promise<void> {
    const view = this.activeView();
    try {
      if (!this.current && view !== this.generation) throw new Error('Nothing to export yet: no analysis has been received');
      const r = opts.range;
      if (r && this.current && (r.start < 0 || r.end > this.current.T || r.start >= r.end)) {
        throw new Error(`Export range #${r.start}–#${r.end - 1} is outside the ${this.current.T} tokens`);
      }
      const size = view.exportSize?.(opts);
      const data = format === 'svg' ? view.exportSvg(opts)
        : view.exportPngAsync ? await view.exportPngAsync(opts) : view.exportPng(opts);
      const msg: FromPanelExport = { type: 'export', format, view: view.id, data };
      if (size) {
        const { scale, note } = format === 'png' ? pngScaleNote(size, opts.scale) : { scale: 1, note: null };
        msg.width = Math.round(size.width * scale);
        msg.height = Math.round(size.height * scale);
        if (note) {
          msg.note = note;
          this.announce(`Export: ${note}`);
        }
      }
      this.host.post(msg);
    } catch (err) {
      this.reportError(err);
    }
  }

  /** "gpt2 · Head view · layer 3 · notes.md": what an exported picture shows. */
  private exportTitle(view: PanelView): string {
    const s = this.current?.summary;
    return [s?.model.name, view.label, `layer ${this.state.layer}`, s?.sourceName].filter(Boolean).join(' · ');
  }

  // ---- Environment

  private observeEnvironment(): void {
    const onTheme = () => {
      this.currentTheme = readTheme();
      if (this.current) this.colors = headColors(this.current.H, isDarkTheme(this.currentTheme));
      this.invalidate();
    };
    new MutationObserver(onTheme).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    new MutationObserver(onTheme).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    new ResizeObserver(() => this.invalidate()).observe(document.body);
    window.addEventListener('resize', () => this.invalidate());
  }

  private reportError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.header.setError(message);
    this.host.post({ type: 'log', level: 'error', message: `panel: ${message}` });
  }

  private save(): void {
    this.host.saveState({ ...this.state });
  }
}
