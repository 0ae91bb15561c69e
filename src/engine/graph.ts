// The GPT-2 forward pass as an ONNX graph, built in TypeScript. Reads like nanoGPT's model.py:
// one named step per line of the math. Weights are external data pointing straight into
// model.safetensors, so nothing is copied into the graph and gpt2-xl stays far below protobuf's 2 GB.
//
// Inputs   input_ids [B,T] int64, attention_mask [B,T] int64 (1 = valid; right padding), next_ids [B,T] int64, k [1] int64
// Outputs  attn_{l}       [B,H,T,T]  attention probabilities of layer l (causal; rows sum to 1)
//          attn_norm      [L,B,T]    L2 norm of each layer's attention sub-layer output (after c_proj, before the residual add)
//          attn_out_{l}   [B,T,D]    that output itself                          (option attnOut)
//          resid_{l}      [B,T,D]    residual stream: l=0 embeddings, l=i+1 after block i  (option residuals)
//          topk_probs     [B,T,k]    next-token probabilities, descending          (option lmHead)
//          topk_ids       [B,T,k]    their token ids (int64)
//          next_logprob   [B,T]      log p(next_ids) at every position
import { GraphBuilder, FLOAT, FLOAT16, BFLOAT16, INT64 } from './onnxBuilder';
import type { GPT2Checkpoint } from './model';

export interface GraphOptions {
  attnOut?: boolean;
  residuals?: boolean;
  lmHead?: boolean;
}

export function buildGPT2Graph(ckpt: GPT2Checkpoint, opts: GraphOptions = {}): Uint8Array {
  const { n_layer: L, n_head: H, n_embd: D, layer_norm_epsilon: eps } = ckpt.config;
  const hd = D / H;
  const g = new GraphBuilder();
  const location = 'model.safetensors';
  const srcType = { F32: FLOAT, F16: FLOAT16, BF16: BFLOAT16 }[ckpt.weights.dtype];

  /** A weight as a float32 value: external data, cast from fp16/bf16 when needed. */
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
  const linear = (x: string, prefix: string, name: string) =>
    g.op('Add', [g.op('MatMul', [x, W(`${prefix}.weight`)]), W(`${prefix}.bias`)], {}, name);
  const layerNorm = (x: string, prefix: string, name: string) =>
    g.op('LayerNormalization', [x, W(`${prefix}.weight`), W(`${prefix}.bias`)], { axis: -1, epsilon: eps }, name);

  const ids = g.input('input_ids', INT64, ['B', 'T']);
  const mask = g.input('attention_mask', INT64, ['B', 'T']);
  const nextIds = g.input('next_ids', INT64, ['B', 'T']);
  const k = g.input('k', INT64, [1]);

  // constants
  const one = g.scalar('one', 1);
  const negInf = g.scalar('neg_big', -1e30);
  const scale = g.scalar('attn_scale', 1 / Math.sqrt(hd));
  const i0 = g.int64s('i0', [0]);
  const i1 = g.int64s('i1', [1]);
  const axisLast = g.int64s('axis_last', [-1]);
  const axes12 = g.int64s('axes_1_2', [1, 2]);
  const shapeHeads = g.int64s('shape_heads', [0, 0, H, hd]);
  const shapeMerge = g.int64s('shape_merge', [0, 0, D]);

  // positions and the additive attention mask [B,1,T,T]: causal AND key is valid
  const T = g.op('Gather', [g.op('Shape', [ids]), i1], { axis: 0 }, 'T');
  const pos = g.op('Range', [g.int64Scalar('s0', 0), g.op('Squeeze', [T]), g.int64Scalar('s1', 1)], {}, 'positions');
  const TT = g.op('Concat', [T, T], { axis: 0 }, 'TxT');
  const ones = g.op('ConstantOfShape', [TT], { value: { dataType: FLOAT, dims: [1], floatData: [1] } }, 'ones_TxT');
  const causal = g.op('Trilu', [ones], { upper: 0 }, 'causal');
  const keyValid = g.op('Unsqueeze', [g.op('Cast', [mask], { to: FLOAT }), axes12], {}, 'key_valid'); // [B,1,1,T]
  const allowed = g.op('Mul', [causal, keyValid], {}, 'allowed'); // [B,1,T,T]
  const attnBias = g.op('Mul', [g.op('Sub', [one, allowed]), negInf], {}, 'attn_bias');

  // embeddings
  const tokEmb = g.op('Gather', [W('wte.weight'), ids], { axis: 0 }, 'tok_emb');
  const posEmb = g.op('Gather', [W('wpe.weight'), pos], { axis: 0 }, 'pos_emb');
  let x = g.op('Add', [tokEmb, posEmb], {}, 'x_0');
  const residuals = [x];
  const norms: string[] = [];

  for (let l = 0; l < L; l++) {
    const p = `h.${l}`;
    // --- attention ---
    const h = layerNorm(x, `${p}.ln_1`, `${p}.ln_1.out`);
    const qkv = linear(h, `${p}.attn.c_attn`, `${p}.qkv`);
    const [q, kk, v] = g.node('Split', [qkv, g.int64s(`${p}.split`, [D, D, D])], { axis: -1 }, [`${p}.q`, `${p}.k`, `${p}.v`]);
    const qScaled = g.op('Mul', [q, scale], {}, `${p}.q_scaled`); // q/√hd on [T,D] is cheaper than on the [H,T,T] scores
    const qh = g.op('Transpose', [g.op('Reshape', [qScaled, shapeHeads])], { perm: [0, 2, 1, 3] }, `${p}.q_heads`); // [B,H,T,hd]
    const kT = g.op('Transpose', [g.op('Reshape', [kk, shapeHeads])], { perm: [0, 2, 3, 1] }, `${p}.k_heads_T`); // [B,H,hd,T]
    const vh = g.op('Transpose', [g.op('Reshape', [v, shapeHeads])], { perm: [0, 2, 1, 3] }, `${p}.v_heads`); // [B,H,T,hd]
    const scores = g.op('MatMul', [qh, kT], {}, `${p}.scores`); // q·kᵀ/√hd
    const masked = g.op('Add', [scores, attnBias], {}, `${p}.scores_masked`);
    const att = g.op('Softmax', [masked], { axis: -1 }, `attn_${l}`);
    g.output(att, FLOAT, ['B', H, 'T', 'T']);
    const y = g.op('MatMul', [att, vh], {}, `${p}.att_v`); // [B,H,T,hd]
    const merged = g.op('Reshape', [g.op('Transpose', [y], { perm: [0, 2, 1, 3] }), shapeMerge], {}, `${p}.merged`);
    const attnOut = linear(merged, `${p}.attn.c_proj`, `attn_out_${l}`); // the "attention adjustment"
    if (opts.attnOut) g.output(attnOut, FLOAT, ['B', 'T', D]);
    norms.push(g.op('ReduceL2', [attnOut, axisLast], { keepdims: 0 }, `${p}.attn_norm`)); // [B,T]
    x = g.op('Add', [x, attnOut], {}, `${p}.x_mid`);
    // --- MLP ---
    const h2 = layerNorm(x, `${p}.ln_2`, `${p}.ln_2.out`);
    const fc = linear(h2, `${p}.mlp.c_fc`, `${p}.fc`);
    const act = g.op('Gelu', [fc], { approximate: 'tanh' }, `${p}.gelu`);
    const mlpOut = linear(act, `${p}.mlp.c_proj`, `${p}.mlp_out`);
    x = g.op('Add', [x, mlpOut], {}, `x_${l + 1}`);
    residuals.push(x);
  }

  const stackedNorms = g.op('Concat', norms.map((n) => g.op('Unsqueeze', [n, i0])), { axis: 0 }, 'attn_norm');
  g.output(stackedNorms, FLOAT, [L, 'B', 'T']);
  if (opts.residuals) {
    residuals.forEach((r, i) => g.output(g.op('Identity', [r], {}, `resid_${i}`), FLOAT, ['B', 'T', D]));
  }

  if (opts.lmHead !== false) {
    // --- LM head (tied to wte), reduced inside the graph: never return T×V logits ---
    const xf = layerNorm(x, 'ln_f', 'ln_f.out');
    const logits = g.op('MatMul', [xf, g.op('Transpose', [W('wte.weight')], { perm: [1, 0] }, 'lm_head.weight')], {}, 'logits'); // [B,T,V]
    const logZ = g.op('ReduceLogSumExp', [logits, axisLast], { keepdims: 1 }, 'log_z'); // [B,T,1]
    const [topLogits, topIds] = g.node('TopK', [logits, k], { axis: -1, largest: 1, sorted: 1 }, ['topk_logits', 'topk_ids']);
    g.op('Exp', [g.op('Sub', [topLogits, logZ])], {}, 'topk_probs');
    const nextLogit = g.op('GatherElements', [logits, g.op('Unsqueeze', [nextIds, axisLast])], { axis: -1 }, 'next_logit');
    g.op('Squeeze', [g.op('Sub', [nextLogit, logZ]), axisLast], {}, 'next_logprob');
    g.output('topk_probs', FLOAT, ['B', 'T', 'k']);
    g.output(topIds, INT64, ['B', 'T', 'k']);
    g.output('next_logprob', FLOAT, ['B', 'T']);
  }
  return g.encode(20);
}
