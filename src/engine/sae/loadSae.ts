import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../errors';
import type { ModelConfig } from '../model/modelConfig';
import { loadGemmaScope } from './formats/gemmaScope';
import { loadSaeLens } from './formats/saelens';
import { loadSparsify } from './formats/sparsify';
import type { LoadedSae } from './sae';

export interface LoadSaeOptions {
  /**
   * The TransformerLens hook the SAE reads, for files that do not say it: Gemma Scope (else inferred
   * from the path) and sparsify (else mapped from the folder name); SAELens uses it only when
   * cfg.json has no hook name.
   */
  hookName?: string;
  /**
   * Subtract each activation's mean over d_in before encoding. Default: what cfg.json says
   * (model_from_pretrained_kwargs.center_writing_weights), or the known SAELens releases below.
   */
  centerInput?: boolean;
}

/**
 * SAELens releases trained on TransformerLens's processed GPT-2 (center_writing_weights), which its
 * pretrained_saes.yaml records but their cfg.json files may not: recognised by neuronpedia_id
 * (gpt2-small-res-jb, gpt2-small-res-jb-feature-splitting, gpt2-small-mlp-tm; formats.md §2).
 */
const CENTRED_RELEASES = [/^gpt2-small\/\d+-res-jb$/, /^gpt2-small\/\d+-res_fs\d+-jb$/, /^gpt2-small\/\d+-mlp-tm$/];

export function isCentredRelease(neuronpediaId: string | undefined): boolean {
  return neuronpediaId !== undefined && CENTRED_RELEASES.some((pattern) => pattern.test(neuronpediaId));
}

/**
 * Loads an SAE, detecting its format: a folder with cfg.json and sae_weights.safetensors (SAELens),
 * with cfg.json and sae.safetensors (sparsify), or a params.npz file or a folder holding one (Gemma Scope).
 */
export function loadSae(path: string, options: LoadSaeOptions = {}): LoadedSae {
  const sae = loadByFormat(path, options);
  if (options.centerInput !== undefined) sae.config.centerInput = options.centerInput;
  else if (isCentredRelease(sae.config.neuronpediaId)) sae.config.centerInput = true;
  return sae;
}

function loadByFormat(path: string, options: LoadSaeOptions): LoadedSae {
  if (!existsSync(path)) throw fileError(path, 'not found (give an SAE folder, or a Gemma Scope params.npz)');
  if (statSync(path).isFile()) {
    if (path.endsWith('.npz')) return loadGemmaScope(path, options);
    if (['cfg.json', 'sae_weights.safetensors', 'sae.safetensors'].includes(basename(path))) return loadByFormat(dirname(path), options);
    throw fileError(path, 'not an SAE: give a SAELens or sparsify folder (cfg.json with its weights) or a Gemma Scope params.npz');
  }
  const has = (name: string) => existsSync(join(path, name));
  if (has('params.npz')) return loadGemmaScope(join(path, 'params.npz'), options);
  if (!has('cfg.json')) {
    throw fileError(join(path, 'cfg.json'), 'missing: an SAE folder holds cfg.json with sae_weights.safetensors (SAELens) or sae.safetensors (sparsify), or a Gemma Scope params.npz');
  }
  if (has('sae_weights.safetensors')) return loadSaeLens(path, options);
  if (has('sae.safetensors')) return loadSparsify(path, options);
  throw fileError(path, 'has cfg.json but no weights: sae_weights.safetensors (SAELens) or sae.safetensors (sparsify) is missing');
}

/** What saeMatchesModel needs of a model (HookedModel has it). */
export interface SaeHost {
  config: ModelConfig;
  hookNames: readonly string[];
  hookDims(hook: string, batch: number, pos: number): number[];
}

/** The file that states the SAE's hook and widths, for messages. */
export function saeSourceFile(sae: LoadedSae): string {
  return sae.config.format === 'gemma-scope' ? sae.config.path : join(sae.config.path, 'cfg.json');
}

/** Throws a one-line MechLensError unless the SAE's hooks exist in the model with the SAE's widths. */
export function saeMatchesModel(sae: LoadedSae, model: SaeHost): void {
  const { hookName, hookNameOut, dIn, dOut, reshapeActivations, hookHeadIndex, transcoder } = sae.config;
  const file = saeSourceFile(sae);
  const requireHook = (hook: string, verb: string) => {
    if (model.hookNames.includes(hook)) return model.hookDims(hook, 1, 1);
    const { modelType, nLayers } = model.config;
    throw fileError(file, `the SAE ${verb} ${hook}, which this ${modelType} model does not have (its hooks are hook_embed, blocks.0–${nLayers - 1}.hook_resid_pre, …; list them with --cache)`);
  };
  const dims = requireHook(hookName, 'reads');
  const mismatch = (width: number, detail = '') =>
    fileError(file, `the SAE reads ${hookName} with d_in ${dIn}, but this model's ${hookName} has width ${width}${detail}`);
  if (reshapeActivations === 'hook_z' || hookHeadIndex !== undefined) {
    if (dims.length !== 4) throw fileError(file, `the SAE reads ${hookName} per head, but this model's ${hookName} has dims [${dims.join(', ')}], not [batch, pos, head, d_head]`);
    const [, , heads, dHead] = dims;
    if (hookHeadIndex !== undefined && hookHeadIndex >= heads) {
      throw fileError(file, `the SAE reads head ${hookHeadIndex} of ${hookName}, but this model has ${heads} heads`);
    }
    const width = hookHeadIndex !== undefined ? dHead : heads * dHead;
    if (width !== dIn) throw mismatch(width, hookHeadIndex !== undefined ? ' (d_head)' : ` (${heads} heads × ${dHead})`);
  } else if (dims[dims.length - 1] !== dIn) {
    throw mismatch(dims[dims.length - 1]);
  }
  if (!transcoder && hookNameOut === hookName) return;
  const outDims = requireHook(hookNameOut, 'writes');
  const outWidth = outDims[outDims.length - 1];
  if (outWidth !== dOut) throw fileError(file, `the transcoder writes ${hookNameOut} with d_out ${dOut}, but this model's ${hookNameOut} has width ${outWidth}`);
}
