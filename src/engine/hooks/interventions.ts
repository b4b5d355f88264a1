import { MechLensError } from '../errors';
import { elementCount, formatDims, sameDims, type Tensor } from '../tensor';

/**
 * What a caller can do to a hook's value during a run (TransformerLens's run_with_hooks):
 * replace it or add to it at chosen positions, or edit it with a function.
 */
export type Intervention =
  | { hook: string; op: 'replace'; value: Tensor; positions?: number[] }
  | { hook: string; op: 'add'; value: Tensor; positions?: number[] }
  | { hook: string; op: 'edit'; fn: (value: Tensor, hook: string) => Tensor | void | Promise<Tensor | void> };

/** The axis that indexes token positions: 1 for [batch, pos, …]; 2 (the query) for attention [batch, head, q, k]. */
export function positionAxis(hook: string): number {
  return hook.endsWith('.hook_attn_scores') || hook.endsWith('.hook_pattern') ? 2 : 1;
}

/**
 * Applies a replace or add to `target` (the hook's value, edited in place).
 * `value` has the hook's full dims (its entries at the chosen positions are used), or the dims
 * of one position (broadcast to every batch entry and chosen position).
 */
export function applyAtPositions(target: Tensor, intervention: Extract<Intervention, { op: 'replace' | 'add' }>): void {
  const { hook, op, value } = intervention;
  const axis = positionAxis(hook);
  const outer = elementCount(target.dims.slice(0, axis));
  const pos = target.dims[axis];
  const innerDims = target.dims.slice(axis + 1);
  const inner = elementCount(innerDims);
  const positions = intervention.positions ?? Array.from({ length: pos }, (_, i) => i);
  for (const p of positions) {
    if (!Number.isInteger(p) || p < 0 || p >= pos) throw new MechLensError(`${hook}: position ${p} is outside the prompt (0–${pos - 1})`);
  }
  const full = sameDims(value.dims, target.dims);
  if (!full && !sameDims(value.dims, innerDims)) {
    throw new MechLensError(`${hook}: value has dims ${formatDims(value.dims)}; expected the hook's dims ${formatDims(target.dims)} or one position's ${formatDims(innerDims)}`);
  }
  const out = target.data;
  const src = value.data;
  for (let o = 0; o < outer; o++) {
    for (const p of positions) {
      const at = (o * pos + p) * inner;
      const from = full ? at : 0;
      if (op === 'replace') out.set(src.subarray(from, from + inner), at);
      else for (let i = 0; i < inner; i++) out[at + i] += src[from + i];
    }
  }
}
