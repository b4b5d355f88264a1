/**
 * The engine's one representation of a sparse autoencoder (or transcoder), whatever format it
 * was loaded from (SAELens, EleutherAI sparsify, Gemma Scope). Loaders convert to this layout;
 * the encode/decode graphs and the float64 reference read only this.
 *
 * Encoding of an activation x at `hookName` (per token):
 *   x̃ = flatten(x)                                  (hook_z [H, dh] → [H·dh] when reshape is 'hook_z')
 *   x̃ = x̃ − mean(x̃)                                 if centerInput (TransformerLens center_writing_weights)
 *   x̃ = normalizeIn(x̃)                              (see NormalizeActivations)
 *   x̃ = x̃ − b_dec                                   if applyBDecToInput
 *   standard:  f = relu(x̃·W_enc + b_enc)
 *   jumprelu:  pre = x̃·W_enc + b_enc;  f = pre · [pre > threshold]   (threshold ≥ 0, so this is relu(pre)·[pre > threshold])
 *   gated:     f = [x̃·W_enc + b_gate > 0] · relu(x̃·(W_enc ⊙ exp(r_mag)) + b_mag)
 *   topk:      pre = x̃·W_enc + b_enc (× ‖W_dec row‖ if rescaleActsByDecoderNorm); keep the k largest, relu, zero the rest
 * Decoding: x̂ = f·W_dec + b_dec (+ x·W_skipᵀ for skip transcoders, x the flattened raw input), then normalizeOut, then un-flatten;
 *   topk with rescaleActsByDecoderNorm decodes f / ‖W_dec row‖ (SAELens TopKSAE.decode).
 * Transcoders read `hookName` and reconstruct `hookNameOut`.
 */

export type SaeArchitecture = 'standard' | 'jumprelu' | 'gated' | 'topk';

/**
 * How SAELens normalises the input (and undoes it on the output):
 * - none
 * - expected_average_only_in: x·s with a constant s (scalingFactor); output ÷ s (the fold W_enc·s, W_dec/s, b_dec/s)
 * - constant_norm_rescale: x·√d_in/‖x‖ per token; output × ‖x‖/√d_in
 * - layer_norm: (x − μ)/(σ + 1e-5) per token, σ the unbiased standard deviation (torch's x.std());
 *   output × σ + μ (SAELens multiplies back by σ, not σ + 1e-5)
 */
export type NormalizeActivations = 'none' | 'expected_average_only_in' | 'constant_norm_rescale' | 'layer_norm';

export type SaeFormat = 'saelens' | 'sparsify' | 'gemma-scope';

export interface SaeWeights {
  /** [dIn, dSae] */
  W_enc: Float32Array;
  /** [dSae]; for gated SAEs this is b_gate. */
  b_enc: Float32Array;
  /** [dSae, dOut] */
  W_dec: Float32Array;
  /** [dOut] */
  b_dec: Float32Array;
  /** [dSae], jumprelu only */
  threshold?: Float32Array;
  /** [dSae], gated only */
  b_mag?: Float32Array;
  /** [dSae], gated only */
  r_mag?: Float32Array;
  /** [dOut, dIn], skip transcoders only */
  W_skip?: Float32Array;
}

export interface SaeConfig {
  format: SaeFormat;
  /** The folder or file it was loaded from. */
  path: string;
  architecture: SaeArchitecture;
  /** True for transcoders: reads hookName, writes hookNameOut; b_dec is not subtracted from the input. */
  transcoder: boolean;
  dIn: number;
  dSae: number;
  /** dIn for SAEs; the output width for transcoders. */
  dOut: number;
  /** TransformerLens hook name the SAE reads, e.g. blocks.6.hook_resid_pre. */
  hookName: string;
  /** Where a transcoder's output belongs; equals hookName for SAEs. */
  hookNameOut: string;
  /** SAELens hook_head_index: the SAE reads one head of a [b, p, H, dh] hook. */
  hookHeadIndex?: number;
  /** 'hook_z': the SAE reads hook_z flattened to [H·dh]. */
  reshapeActivations: 'none' | 'hook_z';
  applyBDecToInput: boolean;
  normalizeActivations: NormalizeActivations;
  /** The constant s of expected_average_only_in when it is not folded into the weights; else 1. */
  scalingFactor: number;
  /** Subtract the mean over d_in first (SAEs trained on TransformerLens with center_writing_weights). */
  centerInput: boolean;
  /** topk only */
  k?: number;
  rescaleActsByDecoderNorm: boolean;
  /** Metadata the training recorded, when known. */
  modelName?: string;
  prependBos?: boolean;
  contextSize?: number;
  neuronpediaId?: string;
}

export interface LoadedSae {
  config: SaeConfig;
  weights: SaeWeights;
  /** log10 of each feature's firing frequency (SAELens sparsity.safetensors), when shipped. */
  logSparsity?: Float32Array;
}

/** The settings of an SAE whose format has no normalisation, centring or reshaping (sparsify, Gemma Scope). */
export const PLAIN_SAE_SETTINGS = {
  reshapeActivations: 'none',
  normalizeActivations: 'none',
  scalingFactor: 1,
  centerInput: false,
  rescaleActsByDecoderNorm: false,
} as const satisfies Partial<SaeConfig>;
