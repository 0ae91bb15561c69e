// Layer Profile webview (issue 5): charts of a ProfileResult in a narrow sidebar view.
// Protocol: src/protocol.ts (ToProfileMessage / FromProfileMessage). State: vscode.ts.
import type { HeadStatName, ProfileResult } from '../../src/engine/types';
import { HEAD_STAT_NAMES } from '../../src/engine/types';
import type { ProfileHeld, ProfileOrigin, ToProfileMessage } from '../../src/protocol';
import { STAT_LABELS, statWithUnit } from './chart';
import { Announcer, ChartCard, Tooltip } from './chartCard';
import { SECTIONS } from './charts/index';
import { h } from './dom';
import { renderHeadTable } from './headTable';
import { readTheme } from './theme';
import type { SortKey, ViewState } from './vscode';
import { Host } from './vscode';

interface Shown { result: ProfileResult; origin: ProfileOrigin; title: string; held: ProfileHeld; canOpenOnCorpus: boolean }

const SECTION_NOTES: Record<string, string> = {
  corpus: 'Which positions hold real tokens (sequences are right-padded) and how long the sequences are.',
  magnitudes: 'How much each layer\u2019s attention changes the residual stream: the L2 norm of the attention output per token. Logs are natural logs (ln).',
  position: 'Mean norm by token position, and a straight-line fit of ln(mean norm) on position (β1 per token).',
  autoregression: 'How well a token\u2019s ln norm is predicted by those of the two tokens before it.',
  heads: 'Per-head statistics averaged over sequences. Entropy in nats (natural log); sink mass and previous-token are attention weights (0\u20131); mean distance in tokens.',
};

class ProfileView {
  private readonly host = new Host();
  private state: ViewState = this.host.loadState();
  private shown: Shown | null = null;
  private selectedHead: { layer: number; head: number } | null = null;
  private readonly tooltip = new Tooltip();
  private readonly announcer = new Announcer();
  private readonly cards: ChartCard[] = [];
  private readonly sections = new Map<string, HTMLDetailsElement>();
  private frame = 0;

  private readonly errorBox = h('div', { class: 'banner error', role: 'alert', hidden: true });
  private readonly emptyBox = h('section', { class: 'empty', hidden: true });
  private readonly progressBox = h('div', { class: 'progress', hidden: true, role: 'status', 'aria-live': 'polite' });
  private readonly content = h('div', { class: 'content', hidden: true });
  private readonly header = h('header', { class: 'summary' });
  private readonly includeFirst = h('input', { type: 'checkbox', id: 'include-first' });
  private readonly statSelect = h('select', { id: 'head-stat', 'aria-label': 'Head statistic' });
  private readonly climLo = h('input', { type: 'number', id: 'clim-lo', min: 0, max: 100, step: 1, 'aria-label': 'Lower colour limit percentile' });
  private readonly climHi = h('input', { type: 'number', id: 'clim-hi', min: 0, max: 100, step: 1, 'aria-label': 'Upper colour limit percentile' });
  private readonly heatmapLog = h('input', { type: 'checkbox', id: 'heatmap-log' });
  private readonly tableBox = h('div', { class: 'table-wrap', tabindex: -1 });
  /** "This selection | The corpus": which held result is shown (hidden unless the host holds both). */
  private readonly switcher = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Profile shown', hidden: true });
  private readonly headHint = h('p', { class: 'note head-hint' });
  private readonly sequenceInput = h('input', { type: 'number', id: 'open-sequence', min: 0, step: 1, placeholder: 'typical',
    'aria-label': 'Corpus sequence to open heads on (empty: the most typical one)' });
  private readonly sequenceControl = h('div', { class: 'controls open-on', hidden: true },
    h('label', { for: 'open-sequence' }, 'Open heads on sequence'), this.sequenceInput);

  constructor(private readonly root: HTMLElement) {
    this.buildDom();
    this.showEmpty('No layer profile yet.');
    window.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data as ToProfileMessage));
    new ResizeObserver(() => this.scheduleRender()).observe(this.content);
    // A tooltip belongs to the pointer over a chart: it goes on scroll (of the page or the head table), on blur
    // and when the view is hidden; charts hide it on leave and renderAll whenever the data changes.
    window.addEventListener('scroll', () => this.tooltip.hide(), { capture: true, passive: true });
    window.addEventListener('blur', () => this.tooltip.hide());
    document.addEventListener('visibilitychange', () => this.tooltip.hide());
    document.addEventListener('mouseleave', () => this.tooltip.hide());
    // Theme changes: VS Code swaps the body class and rewrites the --vscode-* variables on <html style>.
    const themeObserver = new MutationObserver(() => this.scheduleRender());
    themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
    this.host.post({ type: 'ready' });
  }

  private buildDom(): void {
    const button = (label: string, onclick: () => void, cls = 'secondary') =>
      h('button', { type: 'button', class: cls, onclick }, label);
    this.includeFirst.checked = this.state.includeFirst;
    this.includeFirst.addEventListener('change', () => {
      this.update({ includeFirst: this.includeFirst.checked });
      this.host.post({ type: 'setIncludeFirst', value: this.includeFirst.checked });
    });
    const toolbar = h('div', { class: 'toolbar' },
      h('label', { class: 'check', for: 'include-first', title: 'Include position 0 (the attention sink) in the statistics' },
        this.includeFirst, 'Include first token'),
      h('span', { class: 'spacer' }),
      button('Profile Texts…', () => this.host.post({ type: 'runProfile' })),
      button('Open…', () => this.host.post({ type: 'openResult' })),
      button('Save…', () => this.host.post({ type: 'saveResult' })));
    this.content.append(this.header, this.switcher, toolbar);

    const env = {
      tooltip: this.tooltip,
      announce: (text: string) => this.announcer.say(text),
      exportChart: (format: 'png' | 'svg' | 'csv', chart: (typeof this.cards)[number]['def']['id'], data: string) =>
        this.host.post({ type: 'export', format, chart, data }),
      openHead: (layer: number, head: number) => this.openHead(layer, head),
    };
    for (const sec of SECTIONS) {
      const details = h('details', { class: 'section', 'data-section': sec.id, open: !this.state.collapsed.includes(sec.id) },
        h('summary', {}, sec.title), h('p', { class: 'note' }, SECTION_NOTES[sec.id] ?? ''));
      details.addEventListener('toggle', () => this.onToggleSection(sec.id, details.open));
      for (const def of sec.charts) {
        const card = new ChartCard(def, env, this.controlsFor(def.id));
        this.cards.push(card);
        details.append(card.el);
      }
      if (sec.id === 'heads') details.append(this.sequenceControl, this.tableBox, this.headHint);
      this.sections.set(sec.id, details);
      this.content.append(details);
    }
    this.root.append(this.errorBox, this.progressBox, this.emptyBox, this.content, this.tooltip.el, this.announcer.el);
  }

  private controlsFor(id: string): HTMLElement | undefined {
    if (id === 'positionHeatmap') {
      [this.climLo.value, this.climHi.value] = this.state.climPercentiles.map(String);
      const onChange = () => {
        const lo = Number(this.climLo.value);
        const hi = Number(this.climHi.value);
        if (![lo, hi].every((v) => Number.isFinite(v) && v >= 0 && v <= 100) || lo >= hi) {
          this.climLo.setAttribute('aria-invalid', 'true');
          this.climHi.setAttribute('aria-invalid', 'true');
          return;
        }
        this.climLo.removeAttribute('aria-invalid');
        this.climHi.removeAttribute('aria-invalid');
        this.update({ climPercentiles: [lo, hi] });
      };
      this.climLo.addEventListener('change', onChange);
      this.climHi.addEventListener('change', onChange);
      this.heatmapLog.checked = this.state.heatmapLog;
      this.heatmapLog.addEventListener('change', () => this.update({ heatmapLog: this.heatmapLog.checked }));
      return h('div', { class: 'controls' },
        h('span', {}, 'Colour limits: percentile'), this.climLo, h('span', {}, 'to'), this.climHi,
        h('label', { class: 'check', for: 'heatmap-log', title: 'Colour by the logarithm of the mean norm' }, this.heatmapLog, 'log colour'));
    }
    if (id === 'headHeatmap') {
      for (const n of HEAD_STAT_NAMES) this.statSelect.append(h('option', { value: n }, STAT_LABELS[n]));
      this.statSelect.value = this.state.stat;
      this.statSelect.addEventListener('change', () => this.update({ stat: this.statSelect.value as HeadStatName }));
      return h('div', { class: 'controls' }, h('label', { for: 'head-stat' }, 'Statistic'), this.statSelect);
    }
    return undefined;
  }

  private update(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    this.host.saveState(this.state);
    this.renderAll();
  }

  private onToggleSection(id: string, open: boolean): void {
    const collapsed = this.state.collapsed.filter((s) => s !== id);
    if (!open) collapsed.push(id);
    this.state = { ...this.state, collapsed };
    this.host.saveState(this.state);
    if (open) this.renderAll();
  }

  private onMessage(m: ToProfileMessage): void {
    if (typeof m !== 'object' || m === null) return;
    switch (m.type) {
      case 'profile':
        this.errorBox.hidden = true;
        this.tooltip.hide();
        if (this.shown && (this.shown.origin !== m.origin || this.shown.result.createdAt !== m.result.createdAt)) this.selectedHead = null;
        this.shown = { result: m.result, origin: m.origin, title: m.title, held: m.held ?? { [m.origin]: m.title }, canOpenOnCorpus: !!m.canOpenOnCorpus };
        this.emptyBox.hidden = true;
        this.content.hidden = false;
        if (!m.running) this.progressBox.hidden = true;
        this.renderHeader();
        this.renderSwitcher();
        this.renderAll();
        return;
      case 'progress':
        this.errorBox.hidden = true;
        this.showProgress(m.done, m.total, m.etaSeconds, m.message, m.percent);
        return;
      case 'empty':
        this.tooltip.hide();
        this.showEmpty(m.message);
        return;
      case 'error':
        this.progressBox.hidden = true;
        this.showError(m.message);
        return;
    }
  }

  private showEmpty(message: string): void {
    this.shown = null;
    this.content.hidden = true;
    this.progressBox.hidden = true;
    this.emptyBox.replaceChildren(
      h('h2', {}, 'Layer profile'),
      h('p', { class: 'lead' }, message),
      h('p', {}, 'The layer profile shows how strongly each layer\u2019s attention adjusts the residual stream: ' +
        'distributions and means per layer, the dependence on token position and on the previous tokens, and per-head statistics.'),
      h('p', {}, 'Select text in an editor and run Show Attention to profile that text, or profile a whole corpus ' +
        '(a text file, JSONL or CSV) with Profile Texts…'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => this.host.post({ type: 'showAttention' }) }, 'Show Attention'),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.host.post({ type: 'runProfile' }) }, 'Profile Texts…'),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.host.post({ type: 'openResult' }) }, 'Open Saved Profile…')));
    this.emptyBox.hidden = false;
  }

  /** `message` is the host's progress line (the notification shows the same); counts are the fallback. */
  private showProgress(done: number, total: number, eta: number | undefined, message: string, percent?: number): void {
    const pct = percent !== undefined && Number.isFinite(percent) ? Math.max(0, Math.min(100, percent)) : total > 0 ? Math.min(100, (100 * done) / total) : 0;
    const parts = [`${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} texts`];
    if (eta !== undefined && Number.isFinite(eta) && done < total) parts.push(`about ${formatDuration(eta)} left`);
    this.progressBox.replaceChildren(
      h('div', { class: 'progress-row' },
        h('span', { class: 'progress-count' }, message || parts.join(' · ')),
        h('button', { type: 'button', class: 'secondary small', onclick: () => this.host.post({ type: 'cancelProfile' }) }, 'Cancel')),
      h('progress', { max: 100, value: pct.toFixed(1), 'aria-label': `Profile progress, ${Math.floor(pct)}%` }),
      h('div', { class: 'progress-message' }, this.shown ? 'Charts show the sequences done so far.' : 'Partial results appear here as they arrive.'));
    this.progressBox.hidden = false;
    if (!this.shown) this.emptyBox.hidden = true;
  }

  private showError(message: string): void {
    this.errorBox.replaceChildren(h('span', {}, message),
      h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss error', onclick: () => { this.errorBox.hidden = true; } }, '×'));
    this.errorBox.hidden = false;
  }

  private renderHeader(): void {
    if (!this.shown) return;
    const { result, title, origin } = this.shown;
    const tokens = result.lengths.reduce((a, b) => a + b, 0);
    const n = result.lengths.length;
    const facts = [
      result.model.name,
      origin === 'corpus' ? `${n.toLocaleString('en-US')} sequence${n === 1 ? '' : 's'}` : 'selection',
      `${tokens.toLocaleString('en-US')} tokens`,
    ];
    const badges: HTMLElement[] = [];
    if (!result.complete) badges.push(h('span', { class: 'badge warn', title: 'The run was cancelled or is still going: statistics cover the sequences done so far.' }, 'partial'));
    if (result.truncatedCount > 0) badges.push(h('span', { class: 'badge', title: 'Sequences longer than the context were truncated.' }, `${result.truncatedCount} truncated`));
    const created = new Date(result.createdAt);
    this.header.replaceChildren(
      h('div', { class: 'showing', 'data-origin': origin }, origin === 'corpus' ? 'Showing the corpus profile' : 'Showing this selection\u2019s profile'),
      h('div', { class: 'title-row' }, h('h2', { title }, title), ...badges),
      h('div', { class: 'facts' }, facts.join(' · ')),
      h('div', { class: 'source', title: result.source }, result.source +
        (Number.isNaN(created.getTime()) ? '' : ` · ${created.toLocaleString()}`)));
  }

  /** Segmented "This selection | The corpus" when the host holds both; one click switches. */
  private renderSwitcher(): void {
    const held = this.shown?.held ?? {};
    const both = !!held.selection && !!held.corpus;
    this.switcher.hidden = !both;
    if (!both || !this.shown) return;
    const current = this.shown.origin;
    const option = (origin: ProfileOrigin, label: string, title: string) => h('button', {
      type: 'button', class: 'segment', 'data-origin': origin, 'aria-pressed': String(origin === current), title,
      onclick: () => { if (origin !== this.shown?.origin) { this.tooltip.hide(); this.host.post({ type: 'showProfile', origin }); } },
    }, label);
    this.switcher.replaceChildren(
      option('selection', 'This selection', held.selection ?? ''),
      option('corpus', 'The corpus', held.corpus ?? ''));
  }

  private openHead(layer: number, head: number): void {
    this.selectedHead = { layer, head };
    if (this.shown?.origin === 'corpus' && this.shown.canOpenOnCorpus) {
      const raw = this.sequenceInput.value.trim();
      const n = raw === '' ? undefined : Number(raw);
      const max = this.shown.result.lengths.length - 1;
      if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= max)) {
        this.sequenceInput.setAttribute('aria-invalid', 'true');
        this.showError(`Sequence ${raw} does not exist: this corpus profile has sequences 0\u2013${max}. Leave the box empty to open the most typical one.`);
        return;
      }
      this.sequenceInput.removeAttribute('aria-invalid');
      this.host.post({ type: 'openHead', layer, head, origin: 'corpus', stat: this.state.stat, ...(n === undefined ? {} : { sequence: n }) });
    } else {
      this.host.post({ type: 'openHead', layer, head });
    }
    this.renderAll();
  }

  private onSort(key: SortKey): void {
    const same = this.state.sort.key === key;
    const descending = same ? !this.state.sort.descending : key !== 'layer' && key !== 'head';
    this.update({ sort: { key, descending } });
  }

  private scheduleRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.renderAll(); });
  }

  private renderAll(): void {
    this.tooltip.hide(); // the numbers under a tooltip may be about to change
    if (!this.shown || this.content.hidden) return;
    const { result, origin } = this.shown;
    const theme = readTheme();
    const stats = this.state.includeFirst ? result.includeFirst : result.excludeFirst;
    this.includeFirst.checked = this.state.includeFirst;
    this.statSelect.value = this.state.stat;
    const corpus = origin === 'corpus';
    const hasHeads = result.headStats.length > 0;
    for (const sec of SECTIONS) {
      this.sections.get(sec.id)!.hidden = (!!sec.corpusOnly && !corpus) || (sec.id === 'heads' && !hasHeads);
    }
    const onCorpus = corpus && this.shown.canOpenOnCorpus;
    const openHint = onCorpus ? `click: open on the corpus text where it is most typical (${STAT_LABELS[this.state.stat].toLowerCase()})`
      : corpus ? 'click: open on the current Show Attention text' : 'click to open';
    const input = {
      result, stats, includeFirst: this.state.includeFirst, theme, climPercentiles: this.state.climPercentiles,
      heatmapLog: this.state.heatmapLog,
      stat: this.state.stat, selectedHead: this.selectedHead, openHint,
    };
    this.sequenceControl.hidden = !onCorpus;
    this.sequenceInput.max = String(Math.max(0, result.lengths.length - 1));
    this.headHint.textContent = onCorpus
      ? `A head opens in the attention panel on the corpus text where its ${statWithUnit(this.state.stat).toLowerCase()} is closest to the corpus mean, or on the sequence you enter.`
      : corpus ? 'The texts of this saved profile are not at hand: heads open on the current Show Attention text.'
        : 'Heads open in the attention panel on this selection.';
    for (const card of this.cards) {
      if ((card.def.corpusOnly && !corpus) || (card.def.id === 'headHeatmap' && !hasHeads)) continue;
      try {
        card.render(input);
      } catch (err) {
        this.showError(`Could not draw “${card.def.title}”: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    renderHeadTable(this.tableBox, result.headStats, this.state.sort, this.state.stat, this.selectedHead, {
      onSort: (key) => this.onSort(key),
      onOpen: (layer, head) => this.openHead(layer, head),
    });
  }
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const root = document.getElementById('profile-root') ?? document.getElementById('root') ?? document.body;
new ProfileView(root);
