// An independent float64 GPT-2 forward in plain TypeScript loops (no ONNX), used to check the engine.
// Weights come from the generator (float32, or float16-rounded for fp16 checkpoints), ids from the tokenizer.
import type { GPT2Config } from '../src/engine/types';

export interface RefWeights {
  get(name: string): Float64Array;
}

export interface RefOutput {
  attentions: Float64Array[][]; // [L][H] T×T
  attnOut: Float64Array[]; // [L] T×D
  attnOutNorms: Float64Array[]; // [L] T
  logProbs: Float64Array[]; // [T] V (log-softmax of logits)
}

function layerNorm(x: Float64Array, T: number, D: number, w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[t * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[t * D + d] - mean) ** 2;
    v /= D;
    const inv = 1 / Math.sqrt(v + eps);
    for (let d = 0; d < D; d++) out[t * D + d] = (x[t * D + d] - mean) * inv * w[d] + b[d];
  }
  return out;
}

/** x [T, In] times Conv1D weight [In, Out] plus bias. */
function conv1d(x: Float64Array, T: number, In: number, w: Float64Array, b: Float64Array, Out: number): Float64Array {
  const out = new Float64Array(T * Out);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < Out; o++) out[t * Out + o] = b[o];
    for (let i = 0; i < In; i++) {
      const xi = x[t * In + i];
      for (let o = 0; o < Out; o++) out[t * Out + o] += xi * w[i * Out + o];
    }
  }
  return out;
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

export function referenceForward(c: GPT2Config, W: RefWeights, ids: number[]): RefOutput {
  const T = ids.length;
  const D = c.n_embd;
  const H = c.n_head;
  const hd = D / H;
  const V = c.vocab_size;
  const wte = W.get('wte.weight');
  const wpe = W.get('wpe.weight');
  let x = new Float64Array(T * D);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) x[t * D + d] = wte[ids[t] * D + d] + wpe[t * D + d];
  const out: RefOutput = { attentions: [], attnOut: [], attnOutNorms: [], logProbs: [] };
  for (let l = 0; l < c.n_layer; l++) {
    const p = `h.${l}.`;
    const h = layerNorm(x, T, D, W.get(p + 'ln_1.weight'), W.get(p + 'ln_1.bias'), c.layer_norm_epsilon);
    const qkv = conv1d(h, T, D, W.get(p + 'attn.c_attn.weight'), W.get(p + 'attn.c_attn.bias'), 3 * D);
    const merged = new Float64Array(T * D);
    const heads: Float64Array[] = [];
    for (let hh = 0; hh < H; hh++) {
      const att = new Float64Array(T * T);
      for (let i = 0; i < T; i++) {
        let max = -Infinity;
        const s = new Float64Array(i + 1);
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += qkv[i * 3 * D + hh * hd + d] * qkv[j * 3 * D + D + hh * hd + d];
          s[j] = dot / Math.sqrt(hd);
          max = Math.max(max, s[j]);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += Math.exp(s[j] - max);
        for (let j = 0; j <= i; j++) att[i * T + j] = Math.exp(s[j] - max) / z;
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += att[i * T + j] * qkv[j * 3 * D + 2 * D + hh * hd + d];
          merged[i * D + hh * hd + d] = acc;
        }
      }
      heads.push(att);
    }
    const a = conv1d(merged, T, D, W.get(p + 'attn.c_proj.weight'), W.get(p + 'attn.c_proj.bias'), D);
    const norms = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += a[t * D + d] ** 2;
      norms[t] = Math.sqrt(s);
    }
    out.attentions.push(heads);
    out.attnOut.push(a);
    out.attnOutNorms.push(norms);
    x = x.map((v, i) => v + a[i]);
    const h2 = layerNorm(x, T, D, W.get(p + 'ln_2.weight'), W.get(p + 'ln_2.bias'), c.layer_norm_epsilon);
    const fc = conv1d(h2, T, D, W.get(p + 'mlp.c_fc.weight'), W.get(p + 'mlp.c_fc.bias'), 4 * D).map(gelu);
    const m = conv1d(fc, T, 4 * D, W.get(p + 'mlp.c_proj.weight'), W.get(p + 'mlp.c_proj.bias'), D);
    x = x.map((v, i) => v + m[i]);
  }
  const xf = layerNorm(x, T, D, W.get('ln_f.weight'), W.get('ln_f.bias'), c.layer_norm_epsilon);
  for (let t = 0; t < T; t++) {
    const logits = new Float64Array(V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += xf[t * D + d] * wte[v * D + d];
      logits[v] = dot;
      max = Math.max(max, dot);
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[v] - max);
    const logZ = max + Math.log(z);
    out.logProbs.push(logits.map((v) => v - logZ));
  }
  return out;
}

/** Indices of the k largest values, descending. */
export function topIndices(values: Float64Array, k: number): number[] {
  return Array.from(values.keys()).sort((a, b) => values[b] - values[a]).slice(0, k);
}
