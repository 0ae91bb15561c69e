// The sortable, keyboard-accessible table of all heads and their four statistics.
import { HEAD_STAT_NAMES } from '../../src/engine/types';
import type { HeadStatName } from '../../src/engine/types';
import { statWithUnit } from './chart';
import { h } from './dom';
import type { SortKey } from './vscode';

export interface HeadRow { layer: number; head: number; values: number[] }

export function headRows(headStats: number[][][]): HeadRow[] {
  return headStats.flatMap((row, layer) => row.map((values, head) => ({ layer, head, values })));
}

function keyValue(r: HeadRow, key: SortKey): number {
  if (key === 'layer') return r.layer;
  if (key === 'head') return r.head;
  const v = r.values[HEAD_STAT_NAMES.indexOf(key)];
  return Number.isFinite(v) ? v : -Infinity;
}

/** Sort by key (NaN last when descending, first when ascending), ties by layer then head. */
export function sortRows(rows: HeadRow[], key: SortKey, descending: boolean): HeadRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => sign * (keyValue(a, key) - keyValue(b, key)) || a.layer - b.layer || a.head - b.head);
}

/** Fixed decimals so a column's digits line up. */
function cellText(v: number): string {
  if (!Number.isFinite(v)) return '–';
  // Four significant digits at most, so six columns fit a 300 px side bar.
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : v.toFixed(3);
}

export interface HeadTableOptions {
  onSort(key: SortKey): void;
  onOpen(layer: number, head: number): void;
}

/** Short column labels so six columns fit a 300 px sidebar; the full name is the button's title. */
const SHORT_LABELS: Record<HeadStatName, string> = { entropy: 'Entropy', sinkMass: 'Sink', prevToken: 'Prev', meanDistance: 'Dist' };
const COLUMNS: { key: SortKey; label: string; full: string }[] = [
  { key: 'layer', label: 'Layer', full: 'Layer' },
  { key: 'head', label: 'Head', full: 'Head' },
  ...HEAD_STAT_NAMES.map((n: HeadStatName) => ({ key: n as SortKey, label: SHORT_LABELS[n], full: statWithUnit(n) })),
];

/** Render (or re-render) the table into `container`. */
export function renderHeadTable(container: HTMLElement, headStats: number[][][], sort: { key: SortKey; descending: boolean },
  highlightStat: HeadStatName, selected: { layer: number; head: number } | null, opts: HeadTableOptions): void {
  const rows = sortRows(headRows(headStats), sort.key, sort.descending);
  const headCells = COLUMNS.map((c) => {
    const active = c.key === sort.key;
    const ariaSort = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
    return h('th', { scope: 'col', 'aria-sort': ariaSort, class: c.key === highlightStat ? 'stat-col' : undefined },
      h('button', { type: 'button', class: 'sort', 'data-key': c.key, title: `Sort by ${c.full}`, 'aria-label': `${c.full}, sort`, onclick: () => opts.onSort(c.key) },
        c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (sort.descending ? '▼' : '▲') : '')));
  });
  const body = h('tbody');
  for (const r of rows) {
    const isSel = !!selected && selected.layer === r.layer && selected.head === r.head;
    const open = () => opts.onOpen(r.layer, r.head);
    const tr = h('tr', {
      tabindex: 0, 'data-layer': r.layer, 'data-head': r.head, class: isSel ? 'selected' : undefined,
      title: `Open layer ${r.layer}, head ${r.head} in the attention panel`,
      onclick: open,
      onkeydown: ((e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } }) as EventListener,
    },
    h('td', {}, String(r.layer)), h('td', {}, String(r.head)),
    ...HEAD_STAT_NAMES.map((n, k) => h('td', { class: n === highlightStat ? 'stat-col' : undefined }, cellText(r.values[k]))));
    body.append(tr);
  }
  const table = h('table', { class: 'head-table', 'aria-label': 'Head statistics (click a row to open the head)' },
    h('thead', {}, h('tr', {}, ...headCells)), body);
  container.replaceChildren(table);
}
