/** A dense float32 tensor in C order, as the engine hands activations to its callers. */
export interface Tensor {
  dims: number[];
  data: Float32Array;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** The Frobenius norm of the finite entries (masked attention scores are −∞), accumulated in float64. */
export function norm(data: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) sum += data[i] * data[i];
  return Math.sqrt(sum);
}
