// The GPT-2 forward with a key/value cache, as an ONNX graph: N new tokens at positions P…P+N-1 attend to
// the P cached keys/values and to each other (causally). Prefill is the same graph with P = 0; then its
// attention equals the analysis graph's (graph.ts), which this file follows line for line.
//
// Inputs   input_ids          [B,N]       int64   the new tokens
//          next_ids           [B,N]       int64   the token after each new one (for next_logprob; any id where unknown)
//          k                  [1]         int64   how many top next-token predictions to return
//          past_key_{l}       [B,H,P,hd]  float   cached keys of layer l (P may be 0)
//          past_value_{l}     [B,H,P,hd]  float   cached values
// Outputs  present_key_{l}    [B,H,P+N,hd]        past and new keys (feed back as past_key_{l})
//          present_value_{l}  [B,H,P+N,hd]
//          attn_{l}           [B,H,N,P+N] the new rows of layer l's attention (causal; rows sum to 1)
//          attn_norm          [L,B,N]     L2 norm of each layer's attention sub-layer output at the new positions
//          topk_probs         [B,N,k]     next-token probabilities, descending
//          topk_ids           [B,N,k]     their token ids (int64)
//          next_logprob       [B,N]       log p(next_ids) at every new position
//          last_logprobs      [B,V]       the log-softmax at the last new position: what a sampler needs (never N×V)
import { GraphBuilder, FLOAT, INT64 } from './onnxBuilder';
import { embed, gpt2Parts, lmHead, mlpBlock } from './graphParts';
import type { GPT2Checkpoint } from './model';

export function buildDecodeGraph(ckpt: GPT2Checkpoint): Uint8Array {
  const { n_layer: L, n_head: H, n_embd: D } = ckpt.config;
  const hd = D / H;
  const g = new GraphBuilder();
  const m = gpt2Parts(g, ckpt);
  const { linear, layerNorm } = m;

  const ids = g.input('input_ids', INT64, ['B', 'N']);
  const nextIds = g.input('next_ids', INT64, ['B', 'N']);
  const k = g.input('k', INT64, [1]);
  const pastK = Array.from({ length: L }, (_, l) => g.input(`past_key_${l}`, FLOAT, ['B', H, 'P', hd]));
  const pastV = Array.from({ length: L }, (_, l) => g.input(`past_value_${l}`, FLOAT, ['B', H, 'P', hd]));

  // constants
  const one = g.scalar('one', 1);
  const negInf = g.scalar('neg_big', -1e30);
  const scale = g.scalar('attn_scale', 1 / Math.sqrt(hd));
  const i0 = g.int64s('i0', [0]);
  const i1 = g.int64s('i1', [1]);
  const i2 = g.int64s('i2', [2]);
  const axisLast = g.int64s('axis_last', [-1]);
  const shapeHeads = g.int64s('shape_heads', [0, 0, H, hd]);
  const shapeMerge = g.int64s('shape_merge', [0, 0, D]);

  // positions P…P+N-1 and the additive mask [N, P+N]: new row i sees keys j ≤ P + i
  const N = g.op('Gather', [g.op('Shape', [ids]), i1], { axis: 0 }, 'N');
  const P = g.op('Gather', [g.op('Shape', [pastK[0]]), i2], { axis: 0 }, 'P');
  const PN = g.op('Add', [P, N], {}, 'P_plus_N');
  const pos = g.op('Range', [g.op('Squeeze', [P]), g.op('Squeeze', [PN]), g.int64Scalar('s1', 1)], {}, 'positions');
  const NxPN = g.op('Concat', [N, PN], { axis: 0 }, 'N_x_PN');
  const ones = g.op('ConstantOfShape', [NxPN], { value: { dataType: FLOAT, dims: [1], floatData: [1] } }, 'ones_N_x_PN');
  const allowed = g.op('Trilu', [ones, g.op('Squeeze', [P])], { upper: 0 }, 'causal_after_past'); // keeps j - i ≤ P
  const attnBias = g.op('Mul', [g.op('Sub', [one, allowed]), negInf], {}, 'attn_bias');

  // embeddings of the new tokens at their absolute positions
  let x = embed(g, m, ids, pos);
  const norms: string[] = [];

  for (let l = 0; l < L; l++) {
    const p = `h.${l}`;
    // --- attention: new queries against past + new keys ---
    const h = layerNorm(x, `${p}.ln_1`, `${p}.ln_1.out`);
    const qkv = linear(h, `${p}.attn.c_attn`, `${p}.qkv`);
    const [q, kk, v] = g.node('Split', [qkv, g.int64s(`${p}.split`, [D, D, D])], { axis: -1 }, [`${p}.q`, `${p}.k`, `${p}.v`]);
    const qScaled = g.op('Mul', [q, scale], {}, `${p}.q_scaled`);
    const qh = g.op('Transpose', [g.op('Reshape', [qScaled, shapeHeads])], { perm: [0, 2, 1, 3] }, `${p}.q_heads`); // [B,H,N,hd]
    const kNew = g.op('Transpose', [g.op('Reshape', [kk, shapeHeads])], { perm: [0, 2, 1, 3] }, `${p}.k_heads`); // [B,H,N,hd]
    const vNew = g.op('Transpose', [g.op('Reshape', [v, shapeHeads])], { perm: [0, 2, 1, 3] }, `${p}.v_heads`);
    const keys = g.op('Concat', [pastK[l], kNew], { axis: 2 }, `present_key_${l}`); // [B,H,P+N,hd]
    const values = g.op('Concat', [pastV[l], vNew], { axis: 2 }, `present_value_${l}`);
    g.output(keys, FLOAT, ['B', H, 'PN', hd]);
    g.output(values, FLOAT, ['B', H, 'PN', hd]);
    const kT = g.op('Transpose', [keys], { perm: [0, 1, 3, 2] }, `${p}.keys_T`); // [B,H,hd,P+N]
    const scores = g.op('MatMul', [qh, kT], {}, `${p}.scores`); // q·kᵀ/√hd  [B,H,N,P+N]
    const masked = g.op('Add', [scores, attnBias], {}, `${p}.scores_masked`);
    const att = g.op('Softmax', [masked], { axis: -1 }, `attn_${l}`);
    g.output(att, FLOAT, ['B', H, 'N', 'PN']);
    const y = g.op('MatMul', [att, values], {}, `${p}.att_v`); // [B,H,N,hd]
    const merged = g.op('Reshape', [g.op('Transpose', [y], { perm: [0, 2, 1, 3] }), shapeMerge], {}, `${p}.merged`);
    const attnOut = linear(merged, `${p}.attn.c_proj`, `attn_out_${l}`);
    norms.push(g.op('ReduceL2', [attnOut, axisLast], { keepdims: 0 }, `${p}.attn_norm`)); // [B,N]
    x = g.op('Add', [x, attnOut], {}, `${p}.x_mid`);
    // --- MLP ---
    x = mlpBlock(g, m, x, l);
  }

  const stackedNorms = g.op('Concat', norms.map((n) => g.op('Unsqueeze', [n, i0])), { axis: 0 }, 'attn_norm');
  g.output(stackedNorms, FLOAT, [L, 'B', 'N']);

  // --- LM head (tied to wte), reduced inside the graph ---
  const { logits, logZ } = lmHead(g, m, x, k, nextIds, axisLast, 'N');
  const last = g.op('Sub', [N, i1], {}, 'last_index');
  const lastIndex = g.op('Squeeze', [last], {}, 'last_index_scalar');
  const lastLogits = g.op('Sub', [g.op('Gather', [logits, lastIndex], { axis: 1 }), g.op('Gather', [logZ, lastIndex], { axis: 1 })], {}, 'last_logprobs'); // [B,V]
  g.output(lastLogits, FLOAT, ['B', ckpt.config.vocab_size]);
  return g.encode(20);
}
