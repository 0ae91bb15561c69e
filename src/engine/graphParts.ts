// The pieces of GPT-2 that every graph shares (graph.ts: the full sequence; graphDecode.ts: new tokens against a
// key/value cache): the weights as float32 values, the linear and layer-norm steps, the MLP sub-layer and the LM
// head reduced inside the graph. One named step per line, as in nanoGPT; the node names are the graphs' outputs.
import { GraphBuilder, FLOAT, FLOAT16, BFLOAT16, INT64 } from './onnxBuilder';
import type { GPT2Checkpoint } from './model';

export interface GPT2Parts {
  /** A weight as a float32 value: external data into model.safetensors, cast from fp16/bf16 when needed. */
  W(name: string): string;
  /** x · W + b of `prefix` (a Conv1D of the HF checkpoint), named `name`. */
  linear(x: string, prefix: string, name: string): string;
  layerNorm(x: string, prefix: string, name: string): string;
}

export function gpt2Parts(g: GraphBuilder, ckpt: GPT2Checkpoint): GPT2Parts {
  const eps = ckpt.config.layer_norm_epsilon;
  const location = 'model.safetensors';
  const srcType = { F32: FLOAT, F16: FLOAT16, BF16: BFLOAT16 }[ckpt.weights.dtype];
  const weights = new Map<string, string>();
  const W = (name: string): string => {
    let value = weights.get(name);
    if (!value) {
      const e = ckpt.weights.get(name);
      const raw = g.external(name, srcType, e.shape, location, e.offset, e.length);
      value = srcType === FLOAT ? raw : g.op('Cast', [raw], { to: FLOAT }, `${name}.f32`);
      weights.set(name, value);
    }
    return value;
  };
  return {
    W,
    linear: (x, prefix, name) => g.op('Add', [g.op('MatMul', [x, W(`${prefix}.weight`)]), W(`${prefix}.bias`)], {}, name),
    layerNorm: (x, prefix, name) =>
      g.op('LayerNormalization', [x, W(`${prefix}.weight`), W(`${prefix}.bias`)], { axis: -1, epsilon: eps }, name),
  };
}

/** Token embeddings plus position embeddings: x_0. */
export function embed(g: GraphBuilder, m: GPT2Parts, ids: string, positions: string): string {
  const tokEmb = g.op('Gather', [m.W('wte.weight'), ids], { axis: 0 }, 'tok_emb');
  const posEmb = g.op('Gather', [m.W('wpe.weight'), positions], { axis: 0 }, 'pos_emb');
  return g.op('Add', [tokEmb, posEmb], {}, 'x_0');
}

/** Block `l`'s MLP sub-layer and its residual add: x_{l+1}. */
export function mlpBlock(g: GraphBuilder, m: GPT2Parts, x: string, l: number): string {
  const p = `h.${l}`;
  const h2 = m.layerNorm(x, `${p}.ln_2`, `${p}.ln_2.out`);
  const fc = m.linear(h2, `${p}.mlp.c_fc`, `${p}.fc`);
  const act = g.op('Gelu', [fc], { approximate: 'tanh' }, `${p}.gelu`);
  const mlpOut = m.linear(act, `${p}.mlp.c_proj`, `${p}.mlp_out`);
  return g.op('Add', [x, mlpOut], {}, `x_${l + 1}`);
}

/**
 * The LM head (tied to wte), reduced inside the graph so that seq × V logits never leave it: outputs
 * topk_probs / topk_ids [B,seq,k] and next_logprob [B,seq] (log p(next_ids)). Returns the logits and their
 * log-normaliser for graphs that need more (the decoder's last row).
 */
export function lmHead(g: GraphBuilder, m: GPT2Parts, x: string, k: string, nextIds: string, axisLast: string, seq: string): { logits: string; logZ: string } {
  const xf = m.layerNorm(x, 'ln_f', 'ln_f.out');
  const logits = g.op('MatMul', [xf, g.op('Transpose', [m.W('wte.weight')], { perm: [1, 0] }, 'lm_head.weight')], {}, 'logits'); // [B,seq,V]
  const logZ = g.op('ReduceLogSumExp', [logits, axisLast], { keepdims: 1 }, 'log_z'); // [B,seq,1]
  const [topLogits, topIds] = g.node('TopK', [logits, k], { axis: -1, largest: 1, sorted: 1 }, ['topk_logits', 'topk_ids']);
  g.op('Exp', [g.op('Sub', [topLogits, logZ])], {}, 'topk_probs');
  const nextLogit = g.op('GatherElements', [logits, g.op('Unsqueeze', [nextIds, axisLast])], { axis: -1 }, 'next_logit');
  g.op('Squeeze', [g.op('Sub', [nextLogit, logZ]), axisLast], {}, 'next_logprob');
  g.output('topk_probs', FLOAT, ['B', seq, 'k']);
  g.output(topIds, INT64, ['B', seq, 'k']);
  g.output('next_logprob', FLOAT, ['B', seq]);
  return { logits, logZ };
}
