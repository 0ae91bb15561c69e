// Small factories for the vscode-elements controls we use, with typed change callbacks.
import { el } from './context';

export interface Choice {
  value: string;
  label: string;
}

export interface SelectControl {
  element: HTMLElement;
  setOptions(choices: Choice[], value: string): void;
  setValue(value: string): void;
}

/** A labelled vscode-single-select. Options are rebuilt only when they change. */
export function makeSelect(label: string, ariaLabel: string, onChange: (value: string) => void): SelectControl {
  const wrap = el('label', 'control');
  const text = el('span', 'control-label', label);
  const select = document.createElement('vscode-single-select');
  select.setAttribute('aria-label', ariaLabel);
  wrap.append(text, select);
  let key = '';
  let current = '';
  select.addEventListener('change', () => {
    current = select.value;
    onChange(select.value);
  });
  return {
    element: wrap,
    setOptions(choices, value) {
      const k = choices.map((c) => `${c.value}=${c.label}`).join('|');
      if (k !== key) {
        key = k;
        select.replaceChildren(...choices.map((c) => {
          const o = document.createElement('vscode-option');
          o.value = c.value;
          o.textContent = c.label;
          if (c.value === value) o.selected = true;
          return o;
        }));
        current = '';
      }
      if (current !== value) {
        current = value;
        select.value = value;
      }
    },
    setValue(value) {
      if (current !== value) {
        current = value;
        select.value = value;
      }
    },
  };
}

export function makeButton(label: string, title: string, onClick: () => void, secondary = true): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.title = title;
  b.setAttribute('aria-label', title);
  if (secondary) b.secondary = true;
  b.addEventListener('click', onClick);
  return b;
}

export function makeCheckbox(label: string, onChange: (checked: boolean) => void): { element: HTMLElement; set(v: boolean): void } {
  const c = document.createElement('vscode-checkbox');
  c.label = label;
  c.addEventListener('change', () => onChange(c.checked));
  return { element: c, set: (v) => { if (c.checked !== v) c.checked = v; } };
}
