import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../../errors';
import { ConfigFields } from '../../model/configFields';
import { SafetensorsFile } from '../../model/safetensors';
import type { LoadedSae, NormalizeActivations, SaeArchitecture, SaeConfig, SaeWeights } from '../sae';
import { readJsonObject } from '../../files';

/**
 * SAELens folders: cfg.json (the v6 layout with a `metadata` object, or the flat layout of
 * versions before 6), sae_weights.safetensors, and optionally sparsity.safetensors.
 * Semantics follow sae_lens/saes/*.py and loading/pretrained_sae_loaders.py (handle_pre_6_0_config,
 * read_sae_components_from_disk).
 */

export const SAELENS_ARCHITECTURES = ['standard', 'gated', 'jumprelu', 'topk', 'transcoder', 'skip_transcoder', 'jumprelu_transcoder'] as const;
type SaeLensArchitecture = (typeof SAELENS_ARCHITECTURES)[number];

const AS_SAE: Record<SaeLensArchitecture, { architecture: SaeArchitecture; transcoder: boolean; skip: boolean }> = {
  standard: { architecture: 'standard', transcoder: false, skip: false },
  gated: { architecture: 'gated', transcoder: false, skip: false },
  jumprelu: { architecture: 'jumprelu', transcoder: false, skip: false },
  topk: { architecture: 'topk', transcoder: false, skip: false },
  transcoder: { architecture: 'standard', transcoder: true, skip: false },
  skip_transcoder: { architecture: 'standard', transcoder: true, skip: true },
  jumprelu_transcoder: { architecture: 'jumprelu', transcoder: true, skip: false },
};

const NORMALIZE_MODES: readonly NormalizeActivations[] = ['none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm'];

export function loadSaeLens(dir: string, options: { hookName?: string } = {}): LoadedSae {
  const cfgPath = join(dir, 'cfg.json');
  const { config, skip, finetuningScale } = parseSaeLensConfig(cfgPath, readJsonObject(cfgPath), dir, options.hookName);
  const weights = readWeights(join(dir, 'sae_weights.safetensors'), config, skip, finetuningScale);
  const sparsityPath = join(dir, 'sparsity.safetensors');
  const logSparsity = existsSync(sparsityPath) ? readSparsity(sparsityPath, config.dSae) : undefined;
  return { config, weights, ...(logSparsity ? { logSparsity } : {}) };
}

function parseSaeLensConfig(path: string, raw: Record<string, unknown>, dir: string, hookOption: string | undefined) {
  const v6 = isObject(raw.metadata);
  // v6 keeps run metadata under `metadata`; flattened as "metadata.x" so messages name the field as written.
  const meta = (key: string) => (v6 ? `metadata.${key}` : key);
  const flat: Record<string, unknown> = { ...raw };
  if (v6) for (const [key, value] of Object.entries(raw.metadata as object)) flat[`metadata.${key}`] = value;
  const f = new ConfigFields(path, flat);

  let name = f.oneOf('architecture', SAELENS_ARCHITECTURES, 'standard');
  if (!v6) {
    // Before v6, TopK SAEs were standard ones with activation_fn "topk" and activation_fn_kwargs.k.
    const activationKey = 'activation_fn_str' in raw ? 'activation_fn_str' : 'activation_fn';
    if (f.oneOf(activationKey, ['relu', 'topk'], 'relu') === 'topk') name = 'topk';
    if (isObject(raw.activation_fn_kwargs)) flat['activation_fn_kwargs.k'] = raw.activation_fn_kwargs.k;
  }
  const { architecture, transcoder, skip } = AS_SAE[name];
  const dIn = f.positiveInt('d_in');
  const dSae = f.positiveInt('d_sae');
  const dOut = transcoder ? f.positiveInt('d_out') : dIn;

  const hookKey = v6 ? meta('hook_name') : 'hook_point' in raw ? 'hook_point' : 'hook_name';
  const hookName = optionalString(f, hookKey) ?? hookOption;
  if (!hookName) throw fileError(path, `${hookKey} is missing: the SAE does not say which hook it reads (pass the hook name)`);
  const headKey = v6 ? meta('hook_head_index') : 'hook_point_head_index' in raw ? 'hook_point_head_index' : 'hook_head_index';
  const hookHeadIndex = optionalNonNegativeInt(f, headKey);
  if (flat[meta('hook_head_index_out')] != null) throw fileError(path, `${meta('hook_head_index_out')} is not supported`);
  const hookNameOut = transcoder ? optionalString(f, meta('hook_name_out')) : hookName;
  if (!hookNameOut) throw fileError(path, `${meta('hook_name_out')} is missing: a ${name} must say which hook its output reconstructs`);

  const reshapeDefault = !v6 && hookName.includes('hook_z') && hookHeadIndex === undefined ? 'hook_z' : 'none';
  const reshapeActivations = f.oneOf('reshape_activations', ['none', 'hook_z'], reshapeDefault);
  if (reshapeActivations === 'hook_z' && (transcoder || hookHeadIndex !== undefined)) {
    throw fileError(path, `reshape_activations hook_z cannot be combined with ${transcoder ? `architecture ${name}` : headKey}`);
  }
  const applyBDecToInput = f.boolean('apply_b_dec_to_input', !transcoder);
  if (transcoder && applyBDecToInput) throw fileError(path, `apply_b_dec_to_input must be false for a ${name} (its b_dec lives in the output space)`);
  if (typeof raw.normalize_activations === 'boolean' && !v6) flat.normalize_activations = raw.normalize_activations ? 'expected_average_only_in' : 'none';
  const normalizeActivations = f.oneOf('normalize_activations', NORMALIZE_MODES, 'none');
  if (transcoder && (normalizeActivations === 'constant_norm_rescale' || normalizeActivations === 'layer_norm')) {
    throw fileError(path, `normalize_activations ${normalizeActivations} is not supported for a ${name} (SAELens does not undo it on the output)`);
  }
  const kKey = !v6 && (flat['activation_fn_kwargs.k'] != null || flat.k == null) ? 'activation_fn_kwargs.k' : 'k';
  const k = architecture === 'topk' ? f.positiveInt(kKey) : undefined;
  if (k !== undefined && k > dSae) throw fileError(path, `${kKey} ${k} is larger than d_sae ${dSae}`);
  const rescaleActsByDecoderNorm = architecture === 'topk' && f.boolean('rescale_acts_by_decoder_norm', false);
  const kwargs = flat[meta('model_from_pretrained_kwargs')];

  const config: SaeConfig = {
    format: 'saelens',
    path: dir,
    architecture,
    transcoder,
    dIn,
    dSae,
    dOut,
    hookName,
    hookNameOut,
    ...(hookHeadIndex !== undefined ? { hookHeadIndex } : {}),
    reshapeActivations,
    applyBDecToInput,
    normalizeActivations,
    // expected_average_only_in: SAELens trainers fold the constant into the weights before saving.
    scalingFactor: 1,
    centerInput: isObject(kwargs) && kwargs.center_writing_weights === true,
    ...(k !== undefined ? { k } : {}),
    rescaleActsByDecoderNorm,
    ...optionalMetadata(flat, meta),
  };
  return { config, skip, finetuningScale: raw.finetuning_scaling_factor === true };
}

function readWeights(path: string, config: SaeConfig, skip: boolean, finetuningScale: boolean): SaeWeights {
  const { dIn, dSae, dOut, architecture } = config;
  const gated = architecture === 'gated';
  const needed = ['W_enc', 'W_dec', 'b_dec', gated ? 'b_gate' : 'b_enc'];
  if (architecture === 'jumprelu') needed.push('threshold');
  if (gated) needed.push('b_mag', 'r_mag');
  if (skip) needed.push('W_skip');
  const implied = `cfg.json (d_in ${dIn}, d_sae ${dSae}${config.transcoder ? `, d_out ${dOut}` : ''})`;
  const file = SafetensorsFile.open(path);
  try {
    const read = (name: string, shape: number[]): Float32Array => {
      const info = file.get(name);
      if (!info) throw fileError(path, `missing tensor ${name} (a ${architecture}${config.transcoder ? ' transcoder' : ' SAE'} has ${needed.join(', ')})`);
      expectShape(path, name, info.shape, shape, implied);
      return expectFinite(path, name, file.readFloat32(name));
    };
    const weights: SaeWeights = {
      W_enc: read('W_enc', [dIn, dSae]),
      b_enc: read(gated ? 'b_gate' : 'b_enc', [dSae]),
      W_dec: read('W_dec', [dSae, dOut]),
      b_dec: read('b_dec', [dOut]),
    };
    if (architecture === 'jumprelu') weights.threshold = clampThreshold(read('threshold', [dSae]));
    if (gated) {
      weights.b_mag = read('b_mag', [dSae]);
      weights.r_mag = read('r_mag', [dSae]);
    }
    if (skip) weights.W_skip = read('W_skip', [dOut, dIn]);
    if (file.get('scaling_factor')) foldScalingFactor(path, read('scaling_factor', [dSae]), weights.W_dec, dOut, finetuningScale);
    return weights;
  } finally {
    file.close();
  }
}

/**
 * SAELens before v6 multiplied feature activations by `scaling_factor` [d_sae] before W_dec
 * (apply_finetuning_scaling_factor). All ones is dropped; otherwise it is folded into W_dec's rows,
 * which keeps both the feature activations and the reconstruction. Like SAELens, a scale that the
 * config does not declare (finetuning_scaling_factor) is refused.
 */
function foldScalingFactor(path: string, scale: Float32Array, W_dec: Float32Array, dOut: number, declared: boolean): void {
  if (scale.every((s) => Math.abs(s - 1) <= 1e-8 + 1e-5)) return;
  if (!declared) throw fileError(path, 'tensor scaling_factor is not all ones, but cfg.json does not set finetuning_scaling_factor true (SAELens refuses this too)');
  for (let i = 0; i < scale.length; i++) for (let j = 0; j < dOut; j++) W_dec[i * dOut + j] *= scale[i];
}

function readSparsity(path: string, dSae: number): Float32Array {
  const file = SafetensorsFile.open(path);
  try {
    const info = file.get('sparsity');
    if (!info) throw fileError(path, 'missing tensor sparsity');
    expectShape(path, 'sparsity', info.shape, [dSae], `cfg.json (d_sae ${dSae})`);
    return expectFinite(path, 'sparsity', file.readFloat32('sparsity'));
  } finally {
    file.close();
  }
}

function optionalMetadata(flat: Record<string, unknown>, meta: (key: string) => string): Partial<SaeConfig> {
  const out: Partial<SaeConfig> = {};
  const modelName = flat[meta('model_name')];
  const prependBos = flat[meta('prepend_bos')];
  const contextSize = flat[meta('context_size')];
  const neuronpediaId = flat[meta('neuronpedia_id')];
  if (typeof modelName === 'string') out.modelName = modelName;
  if (typeof prependBos === 'boolean') out.prependBos = prependBos;
  if (Number.isSafeInteger(contextSize) && (contextSize as number) > 0) out.contextSize = contextSize as number;
  if (typeof neuronpediaId === 'string') out.neuronpediaId = neuronpediaId;
  return out;
}

function optionalString(f: ConfigFields, field: string): string | undefined {
  const value = f.raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw fileError(f.file, `${field} must be a hook name, got ${JSON.stringify(value)}`);
  return value;
}

function optionalNonNegativeInt(f: ConfigFields, field: string): number | undefined {
  const value = f.raw[field];
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw fileError(f.file, `${field} must be a head index or null, got ${JSON.stringify(value)}`);
  return value as number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Helpers shared by the SAE format readers.

export function expectShape(path: string, name: string, actual: readonly number[], expected: readonly number[], implied: string): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw fileError(path, `tensor ${name} has shape [${actual.join(', ')}], but ${implied} implies [${expected.join(', ')}]`);
  }
}

export function expectFinite(path: string, name: string, data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw fileError(path, `tensor ${name} holds ${data[i]} at flat index ${i}: weights must be finite`);
  }
  return data;
}

/** relu(pre)·[pre > θ] equals pre·[pre > max(θ, 0)]: negative thresholds are stored as 0, which changes nothing. */
export function clampThreshold(threshold: Float32Array): Float32Array {
  for (let i = 0; i < threshold.length; i++) if (threshold[i] < 0) threshold[i] = 0;
  return threshold;
}
