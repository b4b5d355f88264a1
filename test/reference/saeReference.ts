/**
 * A float64 reference of SAE encoding and decoding in plain TypeScript, written from the formulas
 * (src/engine/sae/sae.ts's header, checked against SAELens saes/*.py, sparsify's sparse_coder.py
 * and Gemma Scope's JumpReLU), not from the engine's graphs. Rows are tokens; the input is
 * already flattened (hook_z [H, dh] → [H·dh]), so its width is d_in.
 *
 * Where the header and SAELens differ, this follows SAELens:
 * - topk with rescale_acts_by_decoder_norm: decode divides f by ‖W_dec row‖ first (TopKSAE.decode);
 * - expected_average_only_in with a scale s: the output is divided by s (the fold W_enc·s, W_dec/s, b_dec/s).
 */
import type { LoadedSae } from '../../src/engine/sae/sae';

interface RowStats {
  /** constant_norm_rescale: √d_in/‖x‖ */
  coefficient: number;
  /** layer_norm */
  mu: number;
  sigma: number;
}

/** Feature activations [n, dSae] of inputs x [n, dIn]. */
export function referenceEncode(sae: LoadedSae, x: Float64Array): Float64Array {
  const { dIn, dSae, architecture, k } = sae.config;
  const { W_enc, b_enc, W_dec, threshold, b_mag, r_mag } = sae.weights;
  const n = rowCount(x, dIn, 'x');
  const f = new Float64Array(n * dSae);
  for (let t = 0; t < n; t++) {
    const { input } = prepare(sae, x.subarray(t * dIn, (t + 1) * dIn));
    const pre = affine(input, W_enc, b_enc, dSae);
    const out = f.subarray(t * dSae, (t + 1) * dSae);
    if (architecture === 'standard') {
      for (let j = 0; j < dSae; j++) out[j] = Math.max(pre[j], 0);
    } else if (architecture === 'jumprelu') {
      for (let j = 0; j < dSae; j++) out[j] = pre[j] > threshold![j] ? Math.max(pre[j], 0) : 0;
    } else if (architecture === 'gated') {
      const magnitude = new Float64Array(dSae);
      for (let j = 0; j < dSae; j++) {
        let sum = b_mag![j];
        for (let i = 0; i < dIn; i++) sum += input[i] * W_enc[i * dSae + j] * Math.exp(r_mag![j]);
        magnitude[j] = sum;
      }
      for (let j = 0; j < dSae; j++) out[j] = pre[j] > 0 ? Math.max(magnitude[j], 0) : 0;
    } else {
      if (sae.config.rescaleActsByDecoderNorm) {
        const norms = rowNorms(W_dec, dSae, sae.config.dOut);
        for (let j = 0; j < dSae; j++) pre[j] *= norms[j];
      }
      const order = Array.from({ length: dSae }, (_, j) => j).sort((a, b) => pre[b] - pre[a] || a - b);
      for (const j of order.slice(0, k)) out[j] = Math.max(pre[j], 0);
    }
  }
  return f;
}

/**
 * Reconstructions [n, dOut] of feature activations f [n, dSae]. `xIn` [n, dIn] (the raw, flattened
 * input) is needed to undo constant_norm_rescale and layer_norm, and for skip transcoders.
 */
export function referenceDecode(sae: LoadedSae, f: Float64Array, xIn?: Float64Array): Float64Array {
  const { dIn, dSae, dOut, normalizeActivations, scalingFactor, rescaleActsByDecoderNorm, architecture } = sae.config;
  const { W_dec, b_dec, W_skip } = sae.weights;
  const n = rowCount(f, dSae, 'f');
  const needsInput = W_skip !== undefined || normalizeActivations === 'constant_norm_rescale' || normalizeActivations === 'layer_norm';
  if (needsInput && (!xIn || rowCount(xIn, dIn, 'xIn') !== n)) throw new Error(`referenceDecode: this SAE needs xIn with ${n} rows of ${dIn}`);
  const norms = architecture === 'topk' && rescaleActsByDecoderNorm ? rowNorms(W_dec, dSae, dOut) : undefined;
  const out = new Float64Array(n * dOut);
  for (let t = 0; t < n; t++) {
    const acts = Float64Array.from(f.subarray(t * dSae, (t + 1) * dSae), (v, j) => (norms ? v / norms[j] : v));
    const y = affine(acts, W_dec, b_dec, dOut);
    const raw = xIn?.subarray(t * dIn, (t + 1) * dIn);
    if (W_skip && raw) {
      for (let o = 0; o < dOut; o++) for (let i = 0; i < dIn; i++) y[o] += raw[i] * W_skip[o * dIn + i];
    }
    const stats = raw ? prepare(sae, raw).stats : undefined;
    for (let o = 0; o < dOut; o++) {
      if (normalizeActivations === 'expected_average_only_in') y[o] /= scalingFactor;
      else if (normalizeActivations === 'constant_norm_rescale') y[o] /= stats!.coefficient;
      else if (normalizeActivations === 'layer_norm') y[o] = y[o] * stats!.sigma + stats!.mu;
    }
    out.set(y, t * dOut);
  }
  return out;
}

/** centerInput, normalizeIn, then − b_dec: the encoder's input, and the statistics the decoder undoes. */
function prepare(sae: LoadedSae, row: ArrayLike<number>): { input: Float64Array; stats: RowStats } {
  const { dIn, centerInput, normalizeActivations, scalingFactor, applyBDecToInput } = sae.config;
  const x = Float64Array.from(row);
  if (centerInput) subtract(x, mean(x));
  const stats: RowStats = { coefficient: 1, mu: 0, sigma: 1 };
  if (normalizeActivations === 'expected_average_only_in') {
    for (let i = 0; i < dIn; i++) x[i] *= scalingFactor;
  } else if (normalizeActivations === 'constant_norm_rescale') {
    stats.coefficient = Math.sqrt(dIn) / Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    for (let i = 0; i < dIn; i++) x[i] *= stats.coefficient;
  } else if (normalizeActivations === 'layer_norm') {
    stats.mu = mean(x);
    subtract(x, stats.mu);
    stats.sigma = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / (dIn - 1));
    for (let i = 0; i < dIn; i++) x[i] /= stats.sigma + 1e-5;
  }
  if (applyBDecToInput) for (let i = 0; i < dIn; i++) x[i] -= sae.weights.b_dec[i];
  return { input: x, stats };
}

/** v·W + b for W [v.length, width] row-major. */
function affine(v: Float64Array, W: Float32Array, b: Float32Array, width: number): Float64Array {
  const out = Float64Array.from(b);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    for (let j = 0; j < width; j++) out[j] += v[i] * W[i * width + j];
  }
  return out;
}

function rowNorms(W: Float32Array, rows: number, width: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < width; c++) sum += W[r * width + c] ** 2;
    norms[r] = Math.sqrt(sum);
  }
  return norms;
}

function mean(x: Float64Array): number {
  return x.reduce((s, v) => s + v, 0) / x.length;
}

function subtract(x: Float64Array, value: number): void {
  for (let i = 0; i < x.length; i++) x[i] -= value;
}

function rowCount(data: Float64Array, width: number, name: string): number {
  if (data.length % width !== 0) throw new Error(`reference: ${name} has ${data.length} values, not a multiple of ${width}`);
  return data.length / width;
}
