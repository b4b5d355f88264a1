import { basename, join } from 'node:path';
import { fileError } from '../../errors';
import { ConfigFields } from '../../model/configFields';
import { SafetensorsFile } from '../../model/safetensors';
import { PLAIN_SAE_SETTINGS, type LoadedSae } from '../sae';
import { readJsonObject } from '../../files';
import { expectFinite, expectShape } from './saelens';

/**
 * EleutherAI sparsify: `<hookpoint>/cfg.json` and `<hookpoint>/sae.safetensors` (sparsify/sparse_coder.py).
 * Encode: topk(relu((x − b_dec)·encoder.weightᵀ + encoder.bias), k), without the b_dec
 * subtraction for transcoders; decode: acts·W_dec + b_dec (+ x·W_skipᵀ).
 * The hookpoint is a HuggingFace module path; the SAE reads that module's output.
 */

/** The TransformerLens hook holding a module's output, and for whole layers also its input. */
export function sparsifyHooks(hookpoint: string): { output: string; input?: string } | undefined {
  if (/^(?:(?:transformer\.)?wte|(?:model\.)?embed_tokens|(?:gpt_neox\.)?embed_in)$/.test(hookpoint)) return { output: 'hook_embed' };
  const match =
    /^(?:transformer\.)?h\.(\d+)(?:\.(attn|mlp|mlp\.act))?$/.exec(hookpoint) ??
    /^(?:model\.|gpt_neox\.)?layers\.(\d+)(?:\.(self_attn|attention|mlp|mlp\.act))?$/.exec(hookpoint);
  if (!match) return undefined;
  const block = `blocks.${Number(match[1])}`;
  switch (match[2]) {
    case undefined:
      return { output: `${block}.hook_resid_post`, input: `${block}.hook_resid_pre` };
    case 'mlp':
      return { output: `${block}.hook_mlp_out` };
    case 'mlp.act':
      return { output: `${block}.mlp.hook_post` };
    default:
      return { output: `${block}.hook_attn_out` };
  }
}

export function loadSparsify(dir: string, options: { hookName?: string } = {}): LoadedSae {
  const cfgPath = join(dir, 'cfg.json');
  const f = new ConfigFields(cfgPath, readJsonObject(cfgPath));
  if (f.raw.activation === 'groupmax') {
    throw fileError(cfgPath, 'activation "groupmax" is not supported (only topk: groupmax keeps the largest latent of each of k groups)');
  }
  f.oneOf('activation', ['topk'], 'topk');
  const dIn = f.positiveInt('d_in');
  const nLatents = (f.raw.num_latents ?? 0) === 0 ? dIn * f.positiveInt('expansion_factor', 32) : f.positiveInt('num_latents');
  const k = f.positiveInt('k', 32);
  if (k > nLatents) throw fileError(cfgPath, `k ${k} is larger than the number of latents ${nLatents}`);
  const transcode = f.boolean('transcode', false);
  const skip = f.boolean('skip_connection', false);
  const { hookName, hookNameOut } = placeHooks(dir, cfgPath, transcode, options.hookName);

  const weightsPath = join(dir, 'sae.safetensors');
  const file = SafetensorsFile.open(weightsPath);
  try {
    const implied = `cfg.json (d_in ${dIn}, ${nLatents} latents)`;
    const read = (name: string, shape: number[]): Float32Array => {
      const info = file.get(name);
      if (!info) throw fileError(weightsPath, `missing tensor ${name} (a sparsify SAE has encoder.weight, encoder.bias, W_dec, b_dec${skip ? ', W_skip' : ''})`);
      expectShape(weightsPath, name, info.shape, shape, implied);
      return expectFinite(weightsPath, name, file.readFloat32(name));
    };
    const encoder = read('encoder.weight', [nLatents, dIn]);
    const W_enc = new Float32Array(dIn * nLatents);
    for (let j = 0; j < nLatents; j++) for (let i = 0; i < dIn; i++) W_enc[i * nLatents + j] = encoder[j * dIn + i];
    const weights = {
      W_enc,
      b_enc: read('encoder.bias', [nLatents]),
      W_dec: read('W_dec', [nLatents, dIn]),
      b_dec: read('b_dec', [dIn]),
      ...(skip ? { W_skip: read('W_skip', [dIn, dIn]) } : {}),
    };
    return {
      config: {
        format: 'sparsify',
        path: dir,
        architecture: 'topk',
        transcoder: transcode,
        dIn,
        dSae: nLatents,
        dOut: dIn,
        hookName,
        hookNameOut,
        ...PLAIN_SAE_SETTINGS,
        applyBDecToInput: !transcode,
        k,
      },
      weights,
    };
  } finally {
    file.close();
  }
}

function placeHooks(dir: string, cfgPath: string, transcode: boolean, hookOption: string | undefined): { hookName: string; hookNameOut: string } {
  const hookpoint = basename(dir);
  const hooks = sparsifyHooks(hookpoint);
  if (transcode) {
    if (!hooks?.input) {
      throw fileError(cfgPath, `transcode: a transcoder on hookpoint ${JSON.stringify(hookpoint)} (the folder name) reads that module's input, which has no TransformerLens hook; only whole layers (h.N, layers.N) are supported`);
    }
    return { hookName: hooks.input, hookNameOut: hooks.output };
  }
  const hookName = hookOption ?? hooks?.output;
  if (!hookName) {
    throw fileError(cfgPath, `the hookpoint ${JSON.stringify(hookpoint)} (the folder name) is not a module MechLens can map to a hook (h.N, h.N.attn, h.N.mlp, layers.N, …): pass the hook name`);
  }
  return { hookName, hookNameOut: hookName };
}
