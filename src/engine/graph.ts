// The GPT-2 forward pass as an ONNX graph, built in TypeScript. Reads like nanoGPT's model.py:
// one named step per line of the math. Weights are external data pointing straight into
// model.safetensors, so nothing is copied into the graph and gpt2-xl stays far below protobuf's 2 GB.
// The pieces it shares with the key/value-cache decoder (graphDecode.ts) live in graphParts.ts.
//
// Inputs   input_ids [B,T] int64, attention_mask [B,T] int64 (1 = valid; right padding), next_ids [B,T] int64, k [1] int64
// Outputs  attn_{l}       [B,H,T,T]  attention probabilities of layer l (causal; rows sum to 1)
//          attn_norm      [L,B,T]    L2 norm of each layer's attention sub-layer output (after c_proj, before the residual add)
//          attn_out_{l}   [B,T,D]    that output itself                          (option attnOut)
//          resid_{l}      [B,T,D]    residual stream: l=0 embeddings, l=i+1 after block i  (option residuals)
//          topk_probs     [B,T,k]    next-token probabilities, descending          (option lmHead)
//          topk_ids       [B,T,k]    their token ids (int64)
//          next_logprob   [B,T]      log p(next_ids) at every position
import { GraphBuilder, FLOAT, INT64 } from './onnxBuilder';
import { embed, gpt2Parts, lmHead, mlpBlock } from './graphParts';
import type { GPT2Checkpoint } from './model';

export interface GraphOptions {
  attnOut?: boolean;
  residuals?: boolean;
  lmHead?: boolean;
}

export function buildGPT2Graph(ckpt: GPT2Checkpoint, opts: GraphOptions = {}): Uint8Array {
  const { n_layer: L, n_head: H, n_embd: D } = ckpt.config;
  const hd = D / H;
  const g = new GraphBuilder();
  const m = gpt2Parts(g, ckpt);
  const { linear, layerNorm } = m;

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
  let x = embed(g, m, ids, pos);
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
    x = mlpBlock(g, m, x, l);
    residuals.push(x);
  }

  const stackedNorms = g.op('Concat', norms.map((n) => g.op('Unsqueeze', [n, i0])), { axis: 0 }, 'attn_norm');
  g.output(stackedNorms, FLOAT, [L, 'B', 'T']);
  if (opts.residuals) {
    residuals.forEach((r, i) => g.output(g.op('Identity', [r], {}, `resid_${i}`), FLOAT, ['B', 'T', D]));
  }

  if (opts.lmHead !== false) {
    // --- LM head (tied to wte), reduced inside the graph: never return T×V logits ---
    lmHead(g, m, x, k, nextIds, axisLast, 'T');
  }
  return g.encode(20);
}
