// A GPT-2 checkpoint folder in the Hugging Face layout: config.json, model.safetensors, tokenizer.json.
// Reads and validates the config and the safetensors header; weights stay on disk.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { ModelError } from './errors';
import { readSafetensorsHeader, type SafetensorsFile, type TensorEntry } from './safetensors';
import type { GPT2Config, ModelInfo } from './types';

export interface GPT2Weights {
  file: SafetensorsFile;
  dtype: 'F32' | 'F16' | 'BF16';
  /** Look up a weight by its name without the optional `transformer.` prefix, e.g. `h.0.attn.c_attn.weight`. */
  get(name: string): TensorEntry;
}

export interface GPT2Checkpoint {
  dir: string;
  config: GPT2Config;
  weights: GPT2Weights;
  tokenizerPath: string;
  info: ModelInfo;
}

export function readConfig(dir: string): GPT2Config {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new ModelError(path, 'file not found');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelError(path, `invalid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ModelError(path, 'not a JSON object');
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ModelError(path, `"${key}" must be a positive integer`);
    return v;
  };
  const n_embd = int('n_embd');
  const n_head = int('n_head');
  if (n_embd % n_head !== 0) throw new ModelError(path, `n_embd ${n_embd} is not divisible by n_head ${n_head}`);
  const activation = (raw.activation_function ?? 'gelu_new') as string;
  if (!['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'gelu_fast'].includes(activation)) {
    throw new ModelError(path, `unsupported activation_function "${activation}"`);
  }
  const eps = raw.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw new ModelError(path, '"layer_norm_epsilon" must be a positive number');
  return {
    n_layer: int('n_layer'),
    n_head,
    n_embd,
    n_positions: int('n_positions', typeof raw.n_ctx === 'number' ? raw.n_ctx : undefined),
    vocab_size: int('vocab_size'),
    layer_norm_epsilon: eps,
    activation_function: activation,
  };
}

/** Expected shapes of every GPT-2 weight (HF Conv1D layout: weight is [in, out]). */
export function expectedShapes(c: GPT2Config): Map<string, number[]> {
  const D = c.n_embd;
  const m = new Map<string, number[]>([
    ['wte.weight', [c.vocab_size, D]],
    ['wpe.weight', [c.n_positions, D]],
    ['ln_f.weight', [D]],
    ['ln_f.bias', [D]],
  ]);
  for (let i = 0; i < c.n_layer; i++) {
    const p = `h.${i}.`;
    m.set(p + 'ln_1.weight', [D]).set(p + 'ln_1.bias', [D]);
    m.set(p + 'attn.c_attn.weight', [D, 3 * D]).set(p + 'attn.c_attn.bias', [3 * D]);
    m.set(p + 'attn.c_proj.weight', [D, D]).set(p + 'attn.c_proj.bias', [D]);
    m.set(p + 'ln_2.weight', [D]).set(p + 'ln_2.bias', [D]);
    m.set(p + 'mlp.c_fc.weight', [D, 4 * D]).set(p + 'mlp.c_fc.bias', [4 * D]);
    m.set(p + 'mlp.c_proj.weight', [4 * D, D]).set(p + 'mlp.c_proj.bias', [D]);
  }
  return m;
}

export function readWeights(path: string, config: GPT2Config): GPT2Weights {
  const file = readSafetensorsHeader(path);
  const byName = new Map<string, TensorEntry>();
  for (const [name, entry] of file.tensors) {
    const bare = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
    if (/\.attn\.(masked_)?bias$/.test(bare) || bare === 'lm_head.weight') continue; // causal-mask buffers; lm_head is tied to wte
    byName.set(bare, entry);
  }
  let dtype: GPT2Weights['dtype'] | undefined;
  for (const [name, shape] of expectedShapes(config)) {
    const entry = byName.get(name);
    if (!entry) throw new ModelError(path, `missing tensor "${name}" (expected a GPT-2 checkpoint)`);
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new ModelError(path, `tensor "${name}" has shape [${entry.shape}] but config.json implies [${shape}]`);
    }
    if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16') {
      throw new ModelError(path, `tensor "${name}" has unsupported dtype ${entry.dtype} (F32, F16, BF16 are supported)`);
    }
    dtype ??= entry.dtype;
    if (entry.dtype !== dtype) throw new ModelError(path, `mixed dtypes (${dtype} and ${entry.dtype}) are not supported`);
  }
  return {
    file,
    dtype: dtype!,
    get(name: string) {
      const e = byName.get(name);
      if (!e) throw new ModelError(path, `missing tensor "${name}"`);
      return e;
    },
  };
}

export function openCheckpoint(dir: string): GPT2Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelError(dir, 'model folder not found');
  const config = readConfig(dir);
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new ModelError(tokenizerPath, 'file not found');
  const weights = readWeights(join(dir, 'model.safetensors'), config);
  const info: ModelInfo = {
    name: modelName(dir),
    layers: config.n_layer,
    heads: config.n_head,
    embd: config.n_embd,
    vocab: config.vocab_size,
    ctx: config.n_positions,
    dtype: weights.dtype,
  };
  return { dir, config, weights, tokenizerPath, info };
}

/** A readable name for a model folder: HF cache snapshot → repo id, our cache "owner--name" → owner/name. */
export function modelName(dir: string): string {
  const parts = dir.split(/[\\/]/).filter(Boolean);
  const snap = parts.lastIndexOf('snapshots');
  const folder = snap > 0 ? parts[snap - 1].replace(/^models--/, '') : basename(dir);
  return folder.replace(/--/g, '/');
}
