import type { Activation } from '../model/modelConfig';
import { int, ints, string, type GraphBuilder, type HookDims } from './graphDefinition';

/**
 * Building blocks shared by the architectures. Activations flow as 2-D [tokens, features]
 * (tokens = batch·pos), which is the same memory as TransformerLens's [batch, pos, …],
 * so Gemm serves every linear layer and hooks only need their dims relabelled.
 */

export const dims = {
  model: (d: number): HookDims => (b, p) => [b, p, d],
  heads: (h: number, dh: number): HookDims => (b, p) => [b, p, h, dh],
  scale: (): HookDims => (b, p) => [b, p, 1],
  attention: (h: number): HookDims => (b, p) => [b, h, p, p],
};

/** Names of the runtime inputs every decoder graph takes. */
export const RUNTIME_INPUTS = {
  /** [tokens] int64, flattened batch of equal-length sequences. */
  tokenIds: 'input_ids',
  /** [tokens] int64, the position of each token within its sequence. */
  positionIds: 'position_ids',
  /** [pos, pos] bool, true where the query may attend to the key. */
  attentionMask: 'attention_mask',
  /** [2] int64: batch, pos. */
  batchPos: 'batch_pos',
} as const;

/** y = x·W + b for W stored [in, out] (GPT-2 Conv1D), or x·Wᵀ + b for W stored [out, in] (nn.Linear). */
export function linear(g: GraphBuilder, x: string, weight: string, bias: string | undefined, layout: 'in_out' | 'out_in'): string {
  const inputs = bias ? [x, g.weight(weight), g.weight(bias)] : [x, g.weight(weight)];
  return g.op('Gemm', inputs, { transB: int(layout === 'out_in' ? 1 : 0) });
}

/**
 * LayerNorm with TransformerLens's hooks: hook_scale = √(var + eps) and
 * hook_normalized = (x − mean) / scale, before the weight and bias.
 */
export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, eps: number, hookPrefix: string, d: number): string {
  const lastAxis = g.constant('int64', [1], [-1]);
  const mean = g.op('ReduceMean', [x, lastAxis], { keepdims: int(1) });
  const centred = g.op('Sub', [x, mean]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred]), lastAxis], { keepdims: int(1) });
  const scale = g.hook(`${hookPrefix}.hook_scale`, g.op('Sqrt', [g.op('Add', [variance, g.constant('float', [], [eps])])]), dims.scale());
  const normalized = g.hook(`${hookPrefix}.hook_normalized`, g.op('Div', [centred, scale]), dims.model(d));
  return g.op('Add', [g.op('Mul', [normalized, g.weight(weight)]), g.weight(bias)]);
}

export function activation(g: GraphBuilder, x: string, kind: Activation): string {
  switch (kind) {
    case 'gelu_tanh':
      return g.op('Gelu', [x], { approximate: string('tanh') });
    case 'gelu_erf':
      return g.op('Gelu', [x], { approximate: string('none') });
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.constant('float', [], [1.702])])])]);
  }
}

/**
 * Causal multi-head attention from per-head q, k, v given as [tokens, heads·dHead].
 * Exposes hook_attn_scores (scaled, masked with −∞) and hook_pattern as [batch, heads, q, k],
 * and returns z as [tokens, heads·dHead] (hooked by the caller as hook_z).
 */
export function attention(g: GraphBuilder, q: string, k: string, v: string, nHeads: number, dHead: number, scale: number, hookPrefix: string): string {
  const headShape = g.op('Concat', [RUNTIME_INPUTS.batchPos, g.constant('int64', [2], [nHeads, dHead])], { axis: int(0) }, 'int64');
  const split = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, headShape])], { perm: ints(perm) });
  const q4 = split(q, [0, 2, 1, 3]); // [b, h, p, dh]
  const kT = split(k, [0, 2, 3, 1]); // [b, h, dh, p]
  const v4 = split(v, [0, 2, 1, 3]); // [b, h, p, dh]
  const raw = g.op('Mul', [g.op('MatMul', [q4, kT]), g.constant('float', [], [scale])]);
  const masked = g.op('Where', [RUNTIME_INPUTS.attentionMask, raw, g.constant('float', [], [-Infinity])]);
  const scores = g.hook(`${hookPrefix}.hook_attn_scores`, masked, dims.attention(nHeads));
  const pattern = g.hook(`${hookPrefix}.hook_pattern`, g.op('Softmax', [scores], { axis: int(-1) }), dims.attention(nHeads));
  const z = g.op('Transpose', [g.op('MatMul', [pattern, v4])], { perm: ints([0, 2, 1, 3]) }); // [b, p, h, dh]
  return g.op('Reshape', [z, g.constant('int64', [2], [-1, nHeads * dHead])]);
}

