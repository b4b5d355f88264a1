import { resolve } from 'node:path';
import { fileError } from '../../errors';
import { PLAIN_SAE_SETTINGS, type LoadedSae } from '../sae';
import { NpzFile } from './npy';
import { clampThreshold, expectFinite, expectShape } from './saelens';

/**
 * Gemma Scope: `<release>/layer_L/width_W/average_l0_N/params.npz` with W_enc [d, n], W_dec [n, d],
 * b_enc [n], b_dec [d], threshold [n]: a JumpReLU SAE without the b_dec subtraction
 * (SAELens gemma_2_sae_huggingface_loader).
 */

const SITES: Record<string, 'res' | 'mlp' | 'att'> = { res: 'res', resid: 'res', mlp: 'mlp', att: 'att', attn: 'att' };

/**
 * The hook a Gemma Scope SAE reads, from its path: the nearest folder whose name has a res, mlp or
 * att word (gemma-scope-2b-pt-res) gives the site, a layer_L folder the layer, an embedding folder hook_embed.
 */
export function gemmaScopeHook(path: string): string | undefined {
  const folders = resolve(path).split(/[\\/]+/).slice(0, -1).reverse();
  const layer = folders.map((s) => /^layer_(\d+)$/.exec(s)).find((m) => m)?.[1];
  const embedding = folders.includes('embedding');
  for (const folder of folders) {
    const sites = new Set(folder.toLowerCase().split(/[-_.\s]+/).flatMap((word) => (SITES[word] ? [SITES[word]] : [])));
    if (sites.size !== 1) continue;
    const site = [...sites][0];
    if (embedding && site === 'res') return 'hook_embed';
    if (layer === undefined) return undefined;
    return site === 'res' ? `blocks.${layer}.hook_resid_post` : site === 'mlp' ? `blocks.${layer}.hook_mlp_out` : `blocks.${layer}.attn.hook_z`;
  }
  return undefined;
}

export function loadGemmaScope(npzPath: string, options: { hookName?: string } = {}): LoadedSae {
  const hookName = options.hookName ?? gemmaScopeHook(npzPath);
  if (!hookName) {
    throw fileError(npzPath, 'cannot tell which hook this Gemma Scope SAE reads: its path has no layer_L folder under a res, mlp or att release (as in gemma-scope-2b-pt-res/layer_5/width_16k/average_l0_68/params.npz); pass the hook name');
  }
  const file = NpzFile.open(npzPath);
  try {
    const read = (name: string) => {
      const lower = name.replace(/^W_/, 'w_'); // some releases write w_enc, w_dec
      const array = file.read(file.has(name) || !file.has(lower) ? name : lower);
      return { shape: array.shape, data: expectFinite(npzPath, name, array.data) };
    };
    const encoder = read('W_enc');
    if (encoder.shape.length !== 2) throw fileError(npzPath, `array W_enc has shape [${encoder.shape.join(', ')}]; it must be [d_in, d_sae]`);
    const [dIn, dSae] = encoder.shape;
    const implied = `W_enc [${dIn}, ${dSae}]`;
    const checked = (name: string, shape: number[]) => {
      const array = read(name);
      expectShape(npzPath, name, array.shape, shape, implied);
      return array.data;
    };
    const weights = {
      W_enc: encoder.data,
      W_dec: checked('W_dec', [dSae, dIn]),
      b_enc: checked('b_enc', [dSae]),
      b_dec: checked('b_dec', [dIn]),
      threshold: clampThreshold(checked('threshold', [dSae])),
    };
    if (hookName === 'hook_embed') {
      // Embedding SAEs were trained on unscaled embeddings; TransformerLens's Gemma hook_embed is ×√d_in (as SAELens rescales).
      const root = Math.sqrt(dIn);
      for (let i = 0; i < weights.W_enc.length; i++) weights.W_enc[i] /= root;
      for (let i = 0; i < weights.W_dec.length; i++) weights.W_dec[i] *= root;
    }
    return {
      config: {
        format: 'gemma-scope',
        path: npzPath,
        architecture: 'jumprelu',
        transcoder: false,
        dIn,
        dSae,
        dOut: dIn,
        hookName,
        hookNameOut: hookName,
        ...PLAIN_SAE_SETTINGS,
        reshapeActivations: hookName.endsWith('attn.hook_z') ? 'hook_z' : 'none',
        applyBDecToInput: false,
      },
      weights,
    };
  } finally {
    file.close();
  }
}
