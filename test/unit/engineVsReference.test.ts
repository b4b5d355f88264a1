import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { HookedModel } from '../../src/engine/hookedModel';
import { WeightFiles } from '../../src/engine/model/weightFiles';
import { GPT2_PRESETS, seededNormal, type RandomGpt2Options } from '../../src/engine/synthetic/randomGpt2';
import { tempCheckpoint } from '../fixtures/tempCheckpoint';
import { gpt2ReferenceForward, type RefTensor } from '../reference/gpt2Reference';

/** The bar: logits and every hook within 1e-4 of the float64 reference. */
const TOLERANCE = 1e-4;

function maxAbsError(actual: Float32Array, expected: Float64Array): number {
  assert.equal(actual.length, expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === expected[i]) continue; // equal infinities (masked scores)
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= max)) max = error; // NaN propagates as a failure
  }
  return max;
}

/** The checkpoint's tensors, upcast to float64 exactly as stored (fp16/bf16 values widened, not re-rounded). */
function referenceTensors(dir: string): Record<string, RefTensor> {
  const files = WeightFiles.open(dir);
  try {
    const tensors: Record<string, RefTensor> = {};
    for (const key of files.names()) {
      const name = key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
      tensors[name] = { shape: [...files.info(key)!.shape], data: Float64Array.from(files.readFloat32(key)) };
    }
    return tensors;
  } finally {
    files.close();
  }
}

function randomIds(batch: number, length: number, vocab: number, seed: number): number[][] {
  const normal = seededNormal(seed);
  return Array.from({ length: batch }, () => Array.from({ length }, () => Math.floor(Math.abs(normal() * 1e6)) % vocab));
}

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

async function compareWithReference(options: Partial<RandomGpt2Options>, batch: number, length: number): Promise<void> {
  const { dir, cleanup } = tempCheckpoint(options);
  cleanups.push(cleanup);
  const model = await HookedModel.load(dir, { threads: 1 });
  try {
    const ids = randomIds(batch, length, model.config.dVocab, 11);
    const result = await model.runWithCache({ ids }, 'all');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const reference = gpt2ReferenceForward(config, referenceTensors(dir), ids);

    assert.deepEqual(result.logits.dims, reference.logits.shape);
    const logitError = maxAbsError(result.logits.data, reference.logits.data);
    assert.ok(logitError < TOLERANCE, `logits: max abs error ${logitError}`);
    // Every hook the reference computes must be cached by the engine, with the same dims and values.
    assert.equal(result.cache.size, reference.hooks.size, 'the engine and the reference expose the same number of hooks');
    for (const [name, expected] of reference.hooks) {
      const actual = result.cache.get(name);
      assert.ok(actual, `engine has no hook ${name}`);
      assert.deepEqual(actual.dims, expected.shape, `${name} dims`);
      const error = maxAbsError(actual.data, expected.data);
      assert.ok(error < TOLERANCE, `${name}: max abs error ${error}`);
    }
  } finally {
    await model.dispose();
  }
}

describe('engine agrees with the float64 reference forward (max abs error < 1e-4)', () => {
  test('tiny, F32, batch of 2', () => compareWithReference({}, 2, 9));
  test('tiny, F16 weights (against the upcast weights)', () => compareWithReference({ dtype: 'F16', seed: 3 }, 2, 9));
  test('tiny, BF16 weights (against the upcast weights)', () => compareWithReference({ dtype: 'BF16', seed: 4 }, 2, 9));
  test('untied lm_head, "transformer." keys, 3 shards, scale_attn_by_inverse_layer_idx, erf GELU', () =>
    compareWithReference({ untied: true, transformerPrefix: true, shards: 3, scaleAttnByInverseLayerIdx: true, activation: 'gelu', seed: 5 }, 1, 12));
  for (const activation of ['relu', 'silu', 'quick_gelu', 'gelu_pytorch_tanh']) {
    test(`activation ${activation}`, () => compareWithReference({ activation, seed: 6 }, 1, 6));
  }
  test('small preset (4 layers, d_model 64), 100 tokens at full context use', () => compareWithReference({ shape: GPT2_PRESETS.small, seed: 8 }, 1, 100));
  test('a sequence filling the whole context (n_positions 32)', () => compareWithReference({ seed: 9 }, 1, 32));
  test('a single token', () => compareWithReference({ seed: 10 }, 3, 1));
});
