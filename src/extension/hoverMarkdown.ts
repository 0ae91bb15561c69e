// Pure: the hover text for one analyzed token, built from cached analysis data only.
import type { Token } from '../engine/types';

export interface Prediction { text: string; prob: number }

export interface TokenHoverInfo {
  token: Token;
  index: number;
  count: number;
  /** Top-k next-token predictions at this position, descending. */
  predictions: Prediction[];
  /** The token that actually follows and its log-probability (natural log), if any. */
  next?: { text: string; logProb: number };
}

const MD_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>~&]/g;

/** Make whitespace visible (␣ ↵ ⇥) so tokens like " the" or "\n" can be told apart. */
export function visibleToken(text: string): string {
  if (text.length === 0) return '∅';
  return text.replace(/ /g, '␣').replace(/\r\n|\n/g, '↵').replace(/\r/g, '↵').replace(/\t/g, '⇥');
}

/** Escape markdown (and the HTML that markdown would render) so a token is shown literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(MD_SPECIAL, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

/** A bar of up to `width` cells in half-cell steps: 0.45 → "████▌" at width 10. */
export function probabilityBar(p: number, width = 10): string {
  const halves = Math.round(Math.min(1, Math.max(0, p)) * width * 2);
  return '█'.repeat(Math.floor(halves / 2)) + (halves % 2 ? '▌' : '');
}

export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '?';
  if (p > 0 && p < 0.001) return '<0.1%';
  return `${(p * 100).toFixed(1)}%`;
}

/** Surprisal in bits, −log2 p, from a natural-log probability. */
export function surprisalBits(logProb: number): number {
  return -logProb / Math.LN2;
}

/**
 * The header line, then what actually follows (probability and surprisal: the most useful line, so it
 * stays above the fold at any top-k), then the top-k table.
 */
export function hoverMarkdown(info: TokenHoverInfo): string {
  const shown = escapeMarkdown(visibleToken(info.token.text));
  const lines = [`**${shown}** · token ${info.index + 1} of ${info.count} · id ${info.token.id}`, ''];
  if (info.next && Number.isFinite(info.next.logProb)) {
    const p = Math.exp(info.next.logProb);
    const bits = surprisalBits(info.next.logProb);
    lines.push(`Actual next: **${escapeMarkdown(visibleToken(info.next.text))}** · p ${formatProbability(p)} · surprisal ${bits.toFixed(2)} bits`);
  } else {
    lines.push('Last analyzed token: nothing follows.');
  }
  if (info.predictions.length > 0) {
    lines.push('', `| top ${info.predictions.length} next tokens | p | |`, '|:--|--:|:--|');
    for (const p of info.predictions) {
      lines.push(`| ${escapeMarkdown(visibleToken(p.text))} | ${formatProbability(p.prob)} | ${probabilityBar(p.prob)} |`);
    }
  }
  return lines.join('\n');
}
