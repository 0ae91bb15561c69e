// The export dialog of the panel (toolbar "Export…" and the palette's Export Attention View as PNG/SVG):
// format, background (theme / white), PNG scale (1×, 2×, 3×), token range (all / a range, for views that
// support it), title. Shows the pixel size of the result and says when the PNG scale must be lowered to fit
// Chromium's canvas limits. The export itself is the active view's exportPng/exportSvg.
import { el, type ExportOptions, type PanelView } from './context';
import { fitPngScale } from './scene';

export type ExportFormat = 'png' | 'svg';

export interface ExportDialogHost {
  /** The view to export (the active tab). */
  view(): PanelView;
  /** Token count of the analysis (0 = none). */
  tokenCount(): number;
  title(view: PanelView): string;
  /** Run the export with these options (posts the result to the host). */
  run(format: ExportFormat, opts: ExportOptions): void;
}

export const EXPORT_SCALES = [1, 2, 3] as const;

/** What the PNG scale will really be for a whole-view size (lowered when the canvas would be too large). */
export function pngScaleNote(size: { width: number; height: number }, scale: number): { scale: number; note: string | null } {
  const fitted = fitPngScale(size.width, size.height, scale);
  if (fitted >= scale - 1e-6) return { scale, note: null };
  const s = Math.floor(fitted * 100) / 100;
  return { scale: fitted, note: `saved at ${s}× instead of ${scale}× (the browser's canvas limit is 32,767 px per side)` };
}

function radioGroup(name: string, legend: string, choices: { value: string; label: string }[]): { element: HTMLFieldSetElement; value(): string; set(v: string): void; inputs: HTMLInputElement[] } {
  const fs = el('fieldset', 'export-field');
  fs.append(el('legend', undefined, legend));
  const inputs: HTMLInputElement[] = [];
  for (const c of choices) {
    const label = el('label', 'export-choice');
    const input = el('input');
    input.type = 'radio';
    input.name = name;
    input.value = c.value;
    label.append(input, document.createTextNode(c.label));
    inputs.push(input);
    fs.append(label);
  }
  return {
    element: fs,
    inputs,
    value: () => inputs.find((i) => i.checked)?.value ?? choices[0].value,
    set: (v) => { for (const i of inputs) i.checked = i.value === v; },
  };
}

export class ExportDialog {
  readonly element: HTMLDialogElement;
  private readonly format = radioGroup('export-format', 'Format', [{ value: 'png', label: 'PNG' }, { value: 'svg', label: 'SVG' }]);
  private readonly background = radioGroup('export-background', 'Background', [{ value: 'theme', label: 'Theme' }, { value: 'white', label: 'White' }]);
  private readonly scale = radioGroup('export-scale', 'Scale (PNG)', EXPORT_SCALES.map((s) => ({ value: String(s), label: `${s}×` })));
  private readonly range = radioGroup('export-range', 'Tokens', [{ value: 'all', label: 'All' }, { value: 'range', label: 'Range' }]);
  private readonly rangeField: HTMLFieldSetElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly titleInput: HTMLInputElement;
  private readonly summary: HTMLElement;
  private readonly warning: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly ok: HTMLButtonElement;

  constructor(private readonly host: ExportDialogHost) {
    const d = el('dialog', 'export-dialog');
    d.setAttribute('aria-labelledby', 'export-dialog-heading');
    this.element = d;
    const form = el('form');
    form.method = 'dialog';
    this.heading = el('h2', 'export-heading', 'Export');
    this.heading.id = 'export-dialog-heading';
    this.rangeField = this.range.element;
    this.rangeField.classList.add('export-range');
    this.from = el('input', 'export-number');
    this.to = el('input', 'export-number');
    for (const [input, label] of [[this.from, 'First token'], [this.to, 'Last token']] as const) {
      input.type = 'number';
      input.min = '0';
      input.step = '1';
      input.setAttribute('aria-label', label);
      input.addEventListener('input', () => { this.range.set('range'); this.refresh(); });
    }
    const span = el('span', 'export-range-inputs');
    span.append(el('span', undefined, '#'), this.from, el('span', undefined, 'to #'), this.to);
    this.range.inputs[1].parentElement!.append(span);
    const titleLabel = el('label', 'export-title');
    titleLabel.append(el('span', undefined, 'Title'));
    this.titleInput = el('input', 'export-text');
    this.titleInput.type = 'text';
    this.titleInput.spellcheck = false;
    titleLabel.append(this.titleInput);
    this.summary = el('div', 'export-summary');
    this.summary.setAttribute('aria-live', 'polite');
    this.warning = el('div', 'export-warning');
    this.warning.setAttribute('role', 'status');
    const buttons = el('div', 'export-buttons');
    this.ok = el('button', 'export-ok', 'Export');
    this.ok.type = 'submit';
    const cancel = el('button', 'export-cancel', 'Cancel');
    cancel.type = 'button';
    cancel.addEventListener('click', () => d.close());
    buttons.append(cancel, this.ok);
    const grid = el('div', 'export-grid');
    grid.append(this.format.element, this.background.element, this.scale.element, this.rangeField);
    form.append(this.heading, grid, titleLabel, this.summary, this.warning, buttons);
    d.append(form);
    form.addEventListener('change', () => this.refresh());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const opts = this.options();
      if (!opts) return;
      d.close();
      this.host.run(this.format.value() as ExportFormat, opts);
    });
  }

  get isOpen(): boolean {
    return this.element.open;
  }

  /** Open for the active view with `format` chosen; the other fields keep their last values. */
  open(format: ExportFormat): void {
    const view = this.host.view();
    const T = this.host.tokenCount();
    this.format.set(format);
    if (!this.background.inputs.some((i) => i.checked)) this.background.set('theme');
    if (!this.scale.inputs.some((i) => i.checked)) this.scale.set('2');
    this.heading.textContent = `Export ${view.label}`;
    this.titleInput.value = this.host.title(view);
    const supportsRange = typeof view.exportRange === 'function';
    this.rangeField.hidden = !supportsRange;
    const r = supportsRange ? view.exportRange!() : null;
    this.from.max = this.to.max = String(Math.max(0, T - 1));
    this.from.value = String(r ? r.start : 0);
    this.to.value = String(r ? r.end - 1 : Math.max(0, T - 1));
    this.range.set('all');
    this.refresh();
    if (!this.element.open) this.element.showModal();
    (this.format.inputs.find((i) => i.checked) ?? this.ok).focus();
  }

  /** The options the fields describe, or null (with a message) when the range is not valid. */
  private options(): ExportOptions | null {
    const T = this.host.tokenCount();
    const opts: ExportOptions = {
      background: this.background.value() === 'white' ? 'white' : 'theme',
      scale: Number(this.scale.value()) || 2,
      title: this.titleInput.value.trim(),
    };
    if (!this.rangeField.hidden && this.range.value() === 'range') {
      const a = Number(this.from.value), b = Number(this.to.value);
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b >= T || a > b) {
        this.warning.textContent = `The range must be two token numbers with 0 ≤ first ≤ last ≤ ${T - 1}.`;
        this.ok.disabled = true;
        return null;
      }
      opts.range = { start: a, end: b + 1 };
    }
    this.ok.disabled = false;
    this.warning.textContent = '';
    return opts;
  }

  /** Update the size line and the warnings after any change. */
  private refresh(): void {
    const png = this.format.value() === 'png';
    for (const i of this.scale.inputs) i.disabled = !png;
    const opts = this.options();
    if (!opts) { this.summary.textContent = ''; return; }
    const view = this.host.view();
    const tokens = opts.range ? `tokens #${opts.range.start}–#${opts.range.end - 1}` : `all ${this.host.tokenCount()} tokens`;
    if (!view.exportSize) {
      this.summary.textContent = `The whole view (${tokens}).`;
      return;
    }
    let size: { width: number; height: number };
    try {
      size = view.exportSize(opts);
    } catch (err) {
      this.summary.textContent = '';
      this.warning.textContent = err instanceof Error ? err.message : String(err);
      return;
    }
    if (!png) {
      this.summary.textContent = `SVG, ${Math.round(size.width)} × ${Math.round(size.height)} (${tokens}).`;
      this.warning.textContent = '';
      return;
    }
    const { scale, note } = pngScaleNote(size, opts.scale);
    this.summary.textContent = `PNG, ${Math.round(size.width * scale)} × ${Math.round(size.height * scale)} px (${tokens}).`;
    this.warning.textContent = note
      ? `Too large for ${opts.scale}×: ${note}.${view.exportRange ? ' Choose a token range for a sharper image.' : ''}`
      : '';
  }
}
