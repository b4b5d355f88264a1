import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileError, MechLensError } from '../errors';
import { ConfigFields } from './configFields';
import { gpt2CanonicalName, gpt2TensorShapes, parseGpt2Config } from './gpt2';
import type { ModelConfig } from './modelConfig';
import { TextTokenizer } from './tokenizer';
import { WeightFiles } from './weightFiles';
import { readJsonObject } from '../files';

/** What each supported architecture contributes to loading. */
interface Architecture {
  parseConfig(fields: ConfigFields): ModelConfig;
  tensorShapes(config: ModelConfig): Map<string, number[]>;
  /** Maps a key as stored in the file to the name the graph uses. */
  canonicalName(fileKey: string): string;
}

const ARCHITECTURES: Record<string, Architecture> = {
  gpt2: { parseConfig: parseGpt2Config, tensorShapes: gpt2TensorShapes, canonicalName: gpt2CanonicalName },
};

export const SUPPORTED_MODEL_TYPES = Object.keys(ARCHITECTURES);

export interface WeightTensor {
  dims: number[];
  /** float32 data; for F32 files this is the buffer read from the file, not a copy of it. */
  data: Float32Array;
}

export interface Checkpoint {
  dir: string;
  config: ModelConfig;
  tokenizer: TextTokenizer;
  weights: Map<string, WeightTensor>;
  /** Bytes of tensor data in the weight files that the model uses. */
  weightBytes: number;
}

export function readModelConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw fileError(path, 'missing (a HuggingFace config.json is required)');
  const raw = readJsonObject(path);
  const modelType = raw.model_type;
  const architecture = typeof modelType === 'string' ? ARCHITECTURES[modelType] : undefined;
  if (!architecture) {
    throw fileError(path, `model_type ${JSON.stringify(modelType)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  return architecture.parseConfig(new ConfigFields(path, raw));
}

/** Loads a HuggingFace checkpoint folder: config.json, tokenizer.json, and safetensors weights (single or sharded). */
export function loadCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir)) throw new MechLensError(`${dir}: model folder not found`, dir);
  if (!statSync(dir).isDirectory()) throw new MechLensError(`${dir}: not a folder (give the checkpoint folder holding config.json)`, dir);
  const config = readModelConfig(dir);
  const architecture = ARCHITECTURES[config.modelType];
  const tokenizer = TextTokenizer.load(dir);
  const files = WeightFiles.open(dir);
  try {
    const byCanonical = new Map(files.names().map((key) => [architecture.canonicalName(key), key]));
    const weights = new Map<string, WeightTensor>();
    let weightBytes = 0;
    for (const [name, expected] of architecture.tensorShapes(config)) {
      const key = byCanonical.get(name);
      if (key === undefined) throw fileError(files.pathOf(name), `missing tensor ${name} (needed by config.json: model_type ${config.modelType}, n_layer ${config.nLayers})`);
      const info = files.info(key)!;
      if (!sameDims(info.shape, expected)) {
        throw fileError(files.pathOf(key), `tensor ${key} has shape [${info.shape.join(', ')}], but config.json implies [${expected.join(', ')}]`);
      }
      weights.set(name, { dims: expected, data: files.readFloat32(key) });
      weightBytes += info.byteLength;
    }
    return { dir, config, tokenizer, weights, weightBytes };
  } finally {
    files.close();
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
