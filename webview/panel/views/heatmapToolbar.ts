// The heatmap view's one toolbar: what to show (one head, or a grid of a layer's heads or of a head
// across layers), colour scale, zoom (only with one head) and the token-range crop. It wraps at
// narrow widths; the view tells it what is on screen (sync) and gets the user's choices (actions).
import { el } from '../context';
import { makeButton, makeSelect, type SelectControl } from '../controls';

export type ShowMode = 'single' | 'block' | 'layer';

export interface HeatmapToolbarActions {
  setMode(mode: ShowMode): void;
  setGamma(gamma: number): void;
  zoomBy(factor: number): void;
  resetZoom(): void;
  cropToView(): void;
  /** Apply a typed range ('' = all tokens); returns an error message, or '' when applied. */
  applyRange(text: string): string;
  clearRange(): void;
}

export interface HeatmapToolbarState {
  mode: ShowMode;
  gamma: number;
  /** "layer 3 · head 5", "layer 3: all heads", … */
  position: string;
  zoomed: boolean;
  zoomText: string;
  zoomTitle: string;
  cropped: boolean;
  /** The crop as shown in the field ('' = all tokens). */
  rangeText: string;
  T: number;
}

export class HeatmapToolbar {
  readonly element: HTMLElement;
  private readonly showSelect: SelectControl;
  private readonly scaleSelect: SelectControl;
  private readonly position: HTMLElement;
  private readonly zoomGroup: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private readonly resetButton: HTMLElement;
  private readonly cropToViewButton: HTMLElement;
  private readonly rangeInput: HTMLInputElement;
  private readonly clearCropButton: HTMLElement;
  private readonly rangeError: HTMLElement;
  private rangeText = '';

  constructor(private readonly actions: HeatmapToolbarActions) {
    this.element = el('div', 'view-toolbar heatmap-toolbar');
    this.showSelect = makeSelect('Show', 'What the heatmaps show', (v) => actions.setMode(v as ShowMode));
    this.showSelect.element.classList.add('heatmap-show');
    this.scaleSelect = makeSelect('Scale', 'Colour scale', (v) => actions.setGamma(v === 'sqrt' ? 0.5 : 1));
    this.position = el('span', 'toolbar-hint heatmap-position');

    this.zoomGroup = el('span', 'toolbar-group heatmap-zoom');
    this.zoomGroup.setAttribute('role', 'group');
    this.zoomGroup.setAttribute('aria-label', 'Zoom');
    this.zoomLabel = el('span', 'zoom-label', '1×');
    this.resetButton = makeButton('Reset', 'Reset zoom: show the whole range (0)', () => actions.resetZoom());
    this.resetButton.classList.add('zoom-reset');
    this.zoomGroup.append(
      makeButton('−', 'Zoom out (−)', () => actions.zoomBy(1 / 1.5)), this.zoomLabel,
      makeButton('+', 'Zoom in (+)', () => actions.zoomBy(1.5)), this.resetButton,
    );

    const crop = el('span', 'toolbar-group heatmap-crop');
    const cropLabel = el('label', 'control');
    this.rangeInput = el('input', 'range-input');
    this.rangeInput.type = 'text';
    this.rangeInput.spellcheck = false;
    this.rangeInput.placeholder = 'all';
    this.rangeInput.setAttribute('aria-label', 'Crop to tokens (first–last, e.g. 100-300); empty for all');
    this.rangeInput.title = 'Crop to tokens first–last (e.g. 100-300), or drag along a token axis. Exports use the same range.';
    this.rangeInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.apply(); }
      else if (e.key === 'Escape') { this.rangeInput.value = this.rangeText; this.showError(''); }
    });
    this.rangeInput.addEventListener('change', () => this.apply());
    cropLabel.append(el('span', 'control-label', 'Tokens'), this.rangeInput);
    this.cropToViewButton = makeButton('Crop to view', 'Crop the heatmaps (and exports) to the tokens in view', () => actions.cropToView());
    this.cropToViewButton.classList.add('crop-to-view');
    this.clearCropButton = makeButton('Clear crop', 'Show all tokens again', () => actions.clearRange());
    this.clearCropButton.classList.add('clear-crop');
    this.rangeError = el('span', 'range-error');
    this.rangeError.setAttribute('role', 'alert');
    this.rangeError.hidden = true;
    crop.append(cropLabel, this.cropToViewButton, this.clearCropButton, this.rangeError);

    this.element.append(this.showSelect.element, this.scaleSelect.element, this.position, this.zoomGroup, crop);
  }

  private apply(): void {
    this.showError(this.actions.applyRange(this.rangeInput.value.trim()));
  }

  showError(message: string): void {
    this.rangeError.textContent = message;
    this.rangeError.hidden = message === '';
    this.rangeInput.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  /** Show the applied crop in the field (also while it has focus: after Enter). */
  setRangeText(text: string): void {
    this.rangeText = text;
    this.rangeInput.value = text;
  }

  sync(st: HeatmapToolbarState): void {
    this.showSelect.setOptions([
      { value: 'single', label: 'One head' },
      { value: 'block', label: 'Grid: heads of a layer' },
      { value: 'layer', label: 'Grid: a head across layers' },
    ], st.mode);
    this.scaleSelect.setOptions([{ value: 'linear', label: 'Linear' }, { value: 'sqrt', label: 'Square root' }], st.gamma === 1 ? 'linear' : 'sqrt');
    this.position.textContent = st.position;
    this.zoomGroup.hidden = st.mode !== 'single';
    this.zoomLabel.textContent = st.zoomText;
    this.zoomLabel.title = st.zoomTitle;
    (this.resetButton as HTMLElement & { disabled: boolean }).disabled = !st.zoomed;
    this.cropToViewButton.hidden = !st.zoomed || st.mode !== 'single';
    this.clearCropButton.hidden = !st.cropped;
    this.rangeText = st.rangeText;
    if (document.activeElement !== this.rangeInput && !this.rangeError.textContent) this.rangeInput.value = st.rangeText;
    this.rangeInput.placeholder = `all (0–${st.T - 1})`;
  }
}
