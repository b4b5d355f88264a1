import { fileError } from '../errors';
import type { ConfigFields } from './configFields';
import type { Activation, ModelConfig } from './modelConfig';

/**
 * GPT-2 (HF model_type "gpt2"): config fields that change the math, and the tensors
 * a checkpoint must hold. Conv1D weights are stored [in, out]: y = x·W + b.
 */

const ACTIVATIONS: Record<string, Activation> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu: 'gelu_erf',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
  quick_gelu: 'quick_gelu',
};

export function parseGpt2Config(fields: ConfigFields): ModelConfig {
  const dModel = fields.positiveInt('n_embd');
  const nHeads = fields.positiveInt('n_head');
  const nLayers = fields.positiveInt('n_layer');
  if (dModel % nHeads !== 0) throw fileError(fields.file, `n_embd (${dModel}) must be divisible by n_head (${nHeads})`);
  const dHead = dModel / nHeads;
  const activationName = fields.oneOf('activation_function', Object.keys(ACTIVATIONS), 'gelu_new');
  if (fields.boolean('add_cross_attention', false)) throw fileError(fields.file, 'add_cross_attention: encoder-decoder GPT-2 is not supported');
  const scaleAttnWeights = fields.boolean('scale_attn_weights', true);
  const byInverseLayer = fields.boolean('scale_attn_by_inverse_layer_idx', false);
  const attnScales = Array.from({ length: nLayers }, (_, layer) => (scaleAttnWeights ? 1 / Math.sqrt(dHead) : 1) / (byInverseLayer ? layer + 1 : 1));
  const inner = fields.raw.n_inner;
  return {
    modelType: 'gpt2',
    nLayers,
    dModel,
    nHeads,
    dHead,
    dMlp: inner === null || inner === undefined ? 4 * dModel : fields.positiveInt('n_inner'),
    dVocab: fields.positiveInt('vocab_size'),
    nCtx: fields.positiveInt('n_positions', fields.raw.n_ctx as number | undefined),
    activation: ACTIVATIONS[activationName],
    normEps: fields.positiveNumber('layer_norm_epsilon', 1e-5),
    attnScales,
    tiedEmbeddings: fields.boolean('tie_word_embeddings', true),
    bosTokenId: fields.optionalTokenId('bos_token_id'),
    eosTokenId: fields.optionalTokenId('eos_token_id'),
  };
}

/** Every tensor a GPT-2 checkpoint must hold, with the shape config.json implies. */
export function gpt2TensorShapes(config: ModelConfig): Map<string, number[]> {
  const { dModel: d, dMlp, dVocab, nCtx, nLayers } = config;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [dVocab, d]],
    ['wpe.weight', [nCtx, d]],
    ['ln_f.weight', [d]],
    ['ln_f.bias', [d]],
  ]);
  for (let l = 0; l < nLayers; l++) {
    const h = `h.${l}`;
    shapes.set(`${h}.ln_1.weight`, [d]);
    shapes.set(`${h}.ln_1.bias`, [d]);
    shapes.set(`${h}.attn.c_attn.weight`, [d, 3 * d]);
    shapes.set(`${h}.attn.c_attn.bias`, [3 * d]);
    shapes.set(`${h}.attn.c_proj.weight`, [d, d]);
    shapes.set(`${h}.attn.c_proj.bias`, [d]);
    shapes.set(`${h}.ln_2.weight`, [d]);
    shapes.set(`${h}.ln_2.bias`, [d]);
    shapes.set(`${h}.mlp.c_fc.weight`, [d, dMlp]);
    shapes.set(`${h}.mlp.c_fc.bias`, [dMlp]);
    shapes.set(`${h}.mlp.c_proj.weight`, [dMlp, d]);
    shapes.set(`${h}.mlp.c_proj.bias`, [d]);
  }
  if (!config.tiedEmbeddings) shapes.set('lm_head.weight', [dVocab, d]);
  return shapes;
}

/**
 * The hub's gpt2 files have bare keys (h.0.…); checkpoints saved from GPT2LMHeadModel
 * carry a "transformer." prefix. Both map to the bare key.
 */
export function gpt2CanonicalName(fileKey: string): string {
  return fileKey.startsWith('transformer.') ? fileKey.slice('transformer.'.length) : fileKey;
}
