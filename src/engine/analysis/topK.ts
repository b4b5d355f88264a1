/** The k largest entries of a row of logits, with log-probabilities, best first. */

export interface Prediction {
  id: number;
  logit: number;
  logProb: number;
}

/** log Σ exp(row), computed stably in float64. */
export function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/** Ties keep the lower id first, so results are deterministic. */
export function topK(row: Float32Array, k: number): Prediction[] {
  const count = Math.min(k, row.length);
  const ids: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (ids.length === count && row[i] <= row[ids[count - 1]]) continue;
    let at = ids.length === count ? count - 1 : ids.length;
    while (at > 0 && row[i] > row[ids[at - 1]]) at--;
    ids.splice(at, 0, i);
    if (ids.length > count) ids.pop();
  }
  const normaliser = logSumExp(row);
  return ids.map((id) => ({ id, logit: row[id], logProb: row[id] - normaliser }));
}

/** Row `index` of a [rows, width] matrix, without copying. */
export function row(data: Float32Array, width: number, index: number): Float32Array {
  return data.subarray(index * width, (index + 1) * width);
}
