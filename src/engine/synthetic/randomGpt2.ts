import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToBfloat16, float32ToFloat16 } from '../model/floatConversion';
import type { SafetensorsDtype } from '../model/safetensors';
import { encodeSafetensors, type TensorToWrite } from '../model/safetensorsWriter';
import { byteLevelTokenizer } from './byteLevelTokenizer';

/**
 * Writes a random GPT-2 checkpoint in the exact HuggingFace layout (config.json,
 * model.safetensors or shards with model.safetensors.index.json, tokenizer.json,
 * tokenizer_config.json), for tests, benchmarks and the demo.
 */

export interface Gpt2Shape {
  nLayers: number;
  dModel: number;
  nHeads: number;
  nPositions: number;
  /** At least the tokenizer's size; extra rows are padded vocabulary, as real checkpoints have. */
  vocabSize?: number;
  nInner?: number;
}

export const GPT2_PRESETS = {
  /** The smallest useful model: fast enough for every unit test. */
  tiny: { nLayers: 2, dModel: 16, nHeads: 2, nPositions: 32 },
  small: { nLayers: 4, dModel: 64, nHeads: 4, nPositions: 128 },
  /** GPT-2 small's shape: 124M parameters. */
  'gpt2-small': { nLayers: 12, dModel: 768, nHeads: 12, nPositions: 1024, vocabSize: 50257 },
} as const satisfies Record<string, Gpt2Shape>;

export type Gpt2Preset = keyof typeof GPT2_PRESETS;

export interface RandomGpt2Options {
  shape: Gpt2Shape;
  seed?: number;
  dtype?: Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16'>;
  /** Split the tensors over this many shard files with an index. Default 1 (one model.safetensors). */
  shards?: number;
  /** Store keys as "transformer.h.0…" (as GPT2LMHeadModel.save_pretrained does) instead of the hub's bare "h.0…". */
  transformerPrefix?: boolean;
  /** Untied unembedding: write lm_head.weight and tie_word_embeddings false. */
  untied?: boolean;
  activation?: string;
  scaleAttnByInverseLayerIdx?: boolean;
  /** Standard deviation of the random matrices relative to 1/√fan_in. Default 1, which gives lively attention. */
  scale?: number;
  /** Tensors (by bare name, e.g. "h.0.attn.c_attn.weight") written instead of random ones: hand-built models. */
  tensors?: Record<string, Float32Array>;
}

/** mulberry32: uniform numbers in [0, 1), small, fast, and the same on every machine. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normals from seededUniform by Box–Muller. */
export function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function writeRandomGpt2(dir: string, options: RandomGpt2Options): void {
  const { shape } = options;
  const tokenizer = byteLevelTokenizer();
  const vocabSize = shape.vocabSize ?? tokenizer.size;
  if (vocabSize < tokenizer.size) throw new Error(`vocabSize ${vocabSize} is smaller than the tokenizer's ${tokenizer.size} tokens`);
  const d = shape.dModel;
  const inner = shape.nInner ?? 4 * d;
  const normal = seededNormal(options.seed ?? 0);
  const scale = options.scale ?? 1;
  const dtype = options.dtype ?? 'F32';
  const matrix = (rows: number, cols: number, fanIn: number) => random([rows, cols], scale / Math.sqrt(fanIn), 0);
  const random = (dims: number[], std: number, mean: number): [number[], Float32Array] => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    return [dims, data];
  };

  const tensors: Record<string, [number[], Float32Array]> = {
    'wte.weight': random([vocabSize, d], 1, 0),
    'wpe.weight': random([shape.nPositions, d], 0.5, 0),
    'ln_f.weight': random([d], 0.1, 1),
    'ln_f.bias': random([d], 0.1, 0),
  };
  for (let l = 0; l < shape.nLayers; l++) {
    const h = `h.${l}`;
    Object.assign(tensors, {
      [`${h}.ln_1.weight`]: random([d], 0.1, 1),
      [`${h}.ln_1.bias`]: random([d], 0.1, 0),
      [`${h}.attn.c_attn.weight`]: matrix(d, 3 * d, d),
      [`${h}.attn.c_attn.bias`]: random([3 * d], 0.1, 0),
      [`${h}.attn.c_proj.weight`]: matrix(d, d, d),
      [`${h}.attn.c_proj.bias`]: random([d], 0.1, 0),
      [`${h}.ln_2.weight`]: random([d], 0.1, 1),
      [`${h}.ln_2.bias`]: random([d], 0.1, 0),
      [`${h}.mlp.c_fc.weight`]: matrix(d, inner, d),
      [`${h}.mlp.c_fc.bias`]: random([inner], 0.1, 0),
      [`${h}.mlp.c_proj.weight`]: matrix(inner, d, inner),
      [`${h}.mlp.c_proj.bias`]: random([d], 0.1, 0),
    });
  }
  if (options.untied) tensors['lm_head.weight'] = random([vocabSize, d], 1 / Math.sqrt(d), 0);
  for (const [name, data] of Object.entries(options.tensors ?? {})) {
    const [dims, current] = tensors[name] ?? [];
    if (!dims || data.length !== current!.length) throw new Error(`tensor ${name}: no such tensor, or not ${dims?.join('×')} values`);
    tensors[name] = [dims, data];
  }

  mkdirSync(dir, { recursive: true });
  const encode = ([dims, data]: [number[], Float32Array]): TensorToWrite => ({
    dtype,
    shape: dims,
    data: dtype === 'F16' ? float32ToFloat16(data) : dtype === 'BF16' ? float32ToBfloat16(data) : data,
  });
  const key = (name: string) => (options.transformerPrefix && name !== 'lm_head.weight' ? `transformer.${name}` : name);
  const entries = Object.entries(tensors).map(([name, tensor]) => [key(name), encode(tensor)] as const);
  writeWeights(dir, entries, options.shards ?? 1);

  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabSize,
    n_positions: shape.nPositions,
    n_ctx: shape.nPositions,
    n_embd: d,
    n_layer: shape.nLayers,
    n_head: shape.nHeads,
    n_inner: shape.nInner ?? null,
    activation_function: options.activation ?? 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: options.scaleAttnByInverseLayerIdx ?? false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: !options.untied,
    bos_token_id: tokenizer.endOfTextId,
    eos_token_id: tokenizer.endOfTextId,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizer.tokenizerConfig, null, 2));
}

function writeWeights(dir: string, entries: (readonly [string, TensorToWrite])[], shards: number): void {
  if (shards <= 1) {
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(Object.fromEntries(entries), { format: 'pt' }));
    return;
  }
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = entries.filter((_, i) => i % shards === s);
    for (const [name, tensor] of part) {
      weightMap[name] = file;
      totalSize += tensor.data.byteLength;
    }
    writeFileSync(join(dir, file), encodeSafetensors(Object.fromEntries(part), { format: 'pt' }));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
}
