// Pure: the choices of Export Analysis as JSON (full precision, u8, float16, one layer, no attention),
// each labelled with the size of the file it writes, and the default file name of each.
import type { JsonExportOptions, JsonSizeTable } from '../engine/jsonExport';
import { formatSize } from './format';

export interface JsonExportChoice {
  label: string;
  description: string;
  detail: string;
  /** undefined for "one layer": a second pick asks which. */
  options?: JsonExportOptions;
  bytes: number;
}

export function jsonExportChoices(sizes: JsonSizeTable, model: { layers: number; heads: number }, tokens: number): JsonExportChoice[] {
  const { layers: L, heads: H } = model;
  const maxLayer = sizes.layers.reduce((m, s) => Math.max(m, s.bytes), 0);
  const layersExact = sizes.layers.every((s) => s.exact);
  const every = `all ${L} layers × ${H} heads, ${tokens.toLocaleString('en-US')} tokens`;
  return [
    {
      label: 'Full precision (float32)',
      description: formatSize(sizes.full.bytes, sizes.full.exact),
      detail: `Attention of ${every} as decimal numbers: the same JSON as \`attention-inspector analyze --json\`.`,
      options: { attention: 'f32' },
      bytes: sizes.full.bytes,
    },
    {
      label: 'Attention as float16',
      description: formatSize(sizes.f16.bytes, sizes.f16.exact),
      detail: `${cap(every)}; each head's lower triangle as base64 half floats (about 3 significant digits).`,
      options: { attention: 'f16' },
      bytes: sizes.f16.bytes,
    },
    {
      label: 'Attention as 8-bit (u8)',
      description: formatSize(sizes.u8.bytes, sizes.u8.exact),
      detail: `${cap(every)}; each head's lower triangle as base64 bytes round(p × 255).`,
      options: { attention: 'u8' },
      bytes: sizes.u8.bytes,
    },
    {
      label: 'One layer, full precision…',
      description: `${formatSize(maxLayer, layersExact)} per layer`,
      detail: `The attention of one layer (${H} heads) as decimal numbers; you pick the layer next.`,
      bytes: maxLayer,
    },
    {
      label: 'No attention',
      description: formatSize(sizes.none.bytes, sizes.none.exact),
      detail: 'Tokens, top-k predictions, surprisal of the next token and attention output norms only.',
      options: { attention: 'none' },
      bytes: sizes.none.bytes,
    },
  ];
}

export interface LayerChoice { label: string; description: string; layer: number; bytes: number }

export function layerChoices(sizes: JsonSizeTable): LayerChoice[] {
  return sizes.layers.map((s, layer) => ({ label: `Layer ${layer}`, description: formatSize(s.bytes, s.exact), layer, bytes: s.bytes }));
}

/** "notes-attention.json", "notes-attention-u8.json", "notes-attention-layer3.json", … */
export function jsonExportFileName(sourceName: string | undefined, o: JsonExportOptions): string {
  const stem = (sourceName ?? '').replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'analysis';
  const kind = o.layer !== undefined ? `-layer${o.layer}` : o.attention === 'f32' ? '' : o.attention === 'none' ? '-no-attention' : `-${o.attention}`;
  return `${stem}-attention${kind}.json`;
}

/** "Full precision", "u8", "layer 3" for titles and the log. */
export function describeExport(o: JsonExportOptions): string {
  if (o.layer !== undefined) return `layer ${o.layer}, full precision`;
  return o.attention === 'f32' ? 'full precision' : o.attention === 'none' ? 'no attention' : `attention as ${o.attention}`;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
