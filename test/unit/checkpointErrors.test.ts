/**
 * Bad checkpoints and bad inputs, through loadCheckpoint (src/engine/model/checkpoint.ts) and
 * HookedModel: each gives a one-line MechLensError that names the file (or folder) and the field.
 * Run: node --import tsx --test test/unit/checkpointErrors.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadCheckpoint, SUPPORTED_MODEL_TYPES, type Checkpoint } from '../../src/engine/model/checkpoint';
import { SafetensorsFile } from '../../src/engine/model/safetensors';
import { encodeSafetensors, type TensorToWrite } from '../../src/engine/model/safetensorsWriter';
import { GPT2_PRESETS } from '../../src/engine/synthetic/randomGpt2';
import { editJson, rejectsUserError, throwsUserError, truncateFile } from '../fixtures/corruptFiles';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

/** A fresh tiny checkpoint folder, removed after the tests. */
function checkpoint(options: Parameters<typeof tempCheckpoint>[0] = {}): string {
  const { dir, cleanup } = tempCheckpoint(options);
  cleanups.push(cleanup);
  return dir;
}

const tiny = GPT2_PRESETS.tiny;

/** Rewrites model.safetensors without the tensors for which `keep` is false. */
function dropTensors(dir: string, drop: (name: string) => boolean): void {
  const path = join(dir, 'model.safetensors');
  const file = SafetensorsFile.open(path);
  const tensors: Record<string, TensorToWrite> = {};
  try {
    for (const [name, info] of file.tensors) if (!drop(name)) tensors[name] = { dtype: info.dtype, shape: [...info.shape], data: file.readBytes(name) };
  } finally {
    file.close();
  }
  writeFileSync(path, encodeSafetensors(tensors, { format: 'pt' }));
}

async function withModel<T>(dir: string, fn: (model: HookedModel) => Promise<T>): Promise<T> {
  const model = await HookedModel.load(dir, { threads: 1 });
  try {
    return await fn(model);
  } finally {
    await model.dispose();
  }
}

describe('loadCheckpoint: the folder', () => {
  test('a missing folder', () => {
    const { dir, cleanup } = tempDir();
    cleanup();
    throwsUserError(() => loadCheckpoint(dir), [dir, 'not found']);
  });

  test('a file instead of a folder', () => {
    const file = join(checkpoint(), 'config.json');
    throwsUserError(() => loadCheckpoint(file), [file, 'not a folder']);
  });

  test('an empty folder: config.json is missing', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'config.json'), 'missing']);
  });
});

describe('loadCheckpoint: config.json', () => {
  test('missing config.json', () => {
    const dir = checkpoint();
    rmSync(join(dir, 'config.json'));
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'config.json'), 'missing']);
  });

  test('malformed config.json', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    for (const content of ['{"model_type": "gpt2",', '', 'model_type: gpt2']) {
      writeFileSync(path, content);
      throwsUserError(() => loadCheckpoint(dir), [path, 'malformed JSON']);
    }
    for (const content of ['[]', 'null', '"gpt2"', '3']) {
      writeFileSync(path, content);
      throwsUserError(() => loadCheckpoint(dir), [path, 'not a JSON object']);
    }
  });

  test('an unsupported model_type says which are supported', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    assert.deepEqual(SUPPORTED_MODEL_TYPES, ['gpt2']);
    editJson(path, (json) => (json.model_type = 'llama'));
    throwsUserError(() => loadCheckpoint(dir), [path, 'model_type "llama" is not supported', 'supported: gpt2']);
    editJson(path, (json) => delete json.model_type);
    throwsUserError(() => loadCheckpoint(dir), [path, 'model_type', 'supported: gpt2']);
    editJson(path, (json) => (json.model_type = ['gpt2']));
    throwsUserError(() => loadCheckpoint(dir), [path, 'model_type', 'supported: gpt2']);
  });

  test('n_embd must be a positive integer', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    for (const value of [0, -16, 16.5, '16', null]) {
      editJson(path, (json) => (json.n_embd = value));
      throwsUserError(() => loadCheckpoint(dir), [path, 'n_embd must be a positive integer', `got ${JSON.stringify(value)}`]);
    }
    editJson(path, (json) => delete json.n_embd);
    throwsUserError(() => loadCheckpoint(dir), [path, 'n_embd must be a positive integer']);
  });

  test('other integer fields: n_head, n_layer, vocab_size, n_positions, n_inner', () => {
    for (const field of ['n_head', 'n_layer', 'vocab_size', 'n_positions', 'n_inner']) {
      const dir = checkpoint();
      const path = join(dir, 'config.json');
      editJson(path, (json) => (json[field] = -3));
      throwsUserError(() => loadCheckpoint(dir), [path, `${field} must be a positive integer`, 'got -3']);
    }
  });

  test('n_embd not divisible by n_head', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    editJson(path, (json) => (json.n_head = 3));
    throwsUserError(() => loadCheckpoint(dir), [path, 'n_embd (16) must be divisible by n_head (3)']);
  });

  test('an unknown activation_function lists the supported ones', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    editJson(path, (json) => (json.activation_function = 'swiglu'));
    throwsUserError(() => loadCheckpoint(dir), [path, 'activation_function "swiglu" is not supported', 'gelu_new', 'relu']);
  });

  test('other mistyped fields name themselves', () => {
    const cases: [string, unknown, string][] = [
      ['layer_norm_epsilon', -1, 'layer_norm_epsilon must be a positive number'],
      ['scale_attn_weights', 'yes', 'scale_attn_weights must be true or false'],
      ['tie_word_embeddings', 1, 'tie_word_embeddings must be true or false'],
      ['bos_token_id', -1, 'bos_token_id must be a token id'],
      ['add_cross_attention', true, 'add_cross_attention'],
    ];
    for (const [field, value, fragment] of cases) {
      const dir = checkpoint();
      const path = join(dir, 'config.json');
      editJson(path, (json) => (json[field] = value));
      throwsUserError(() => loadCheckpoint(dir), [path, fragment]);
    }
  });
});

describe('loadCheckpoint: tokenizer.json', () => {
  test('missing tokenizer.json', () => {
    const dir = checkpoint();
    rmSync(join(dir, 'tokenizer.json'));
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'tokenizer.json'), 'missing']);
  });

  test('tokenizer.json that is not JSON', () => {
    const dir = checkpoint();
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 200));
    throwsUserError(() => loadCheckpoint(dir), [path, 'malformed JSON']);
  });

  test('tokenizer.json that is JSON without a "model"', () => {
    const dir = checkpoint();
    const path = join(dir, 'tokenizer.json');
    for (const content of ['{"version": "1.0"}', '{"model": "BPE"}', '{"model": null}']) {
      writeFileSync(path, content);
      throwsUserError(() => loadCheckpoint(dir), [path, 'no "model" object']);
    }
    writeFileSync(path, '[1, 2]');
    throwsUserError(() => loadCheckpoint(dir), [path, 'not a JSON object']);
  });

  test('tokenizer.json whose model the tokenizer library rejects', () => {
    const dir = checkpoint();
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify({ model: { type: 'BPE' } }));
    throwsUserError(() => loadCheckpoint(dir), [path, 'malformed']);
  });

  test('malformed tokenizer_config.json', () => {
    const dir = checkpoint();
    const path = join(dir, 'tokenizer_config.json');
    writeFileSync(path, '{');
    throwsUserError(() => loadCheckpoint(dir), [path, 'malformed JSON']);
  });
});

describe('loadCheckpoint: weights', () => {
  test('missing model.safetensors', () => {
    const dir = checkpoint();
    rmSync(join(dir, 'model.safetensors'));
    throwsUserError(() => loadCheckpoint(dir), [dir, 'model.safetensors']);
  });

  test('truncated model.safetensors', () => {
    const dir = checkpoint();
    const path = join(dir, 'model.safetensors');
    truncateFile(path, 5);
    throwsUserError(() => loadCheckpoint(dir), [path, /tensor \S+: data_offsets \[\d+, \d+\] lie outside the data section/]);
    truncateFile(path, readFileSync(path).length - 20);
    throwsUserError(() => loadCheckpoint(dir), [path, 'header length', 'larger than the file (20 bytes)']);
  });

  test('a tensor shape that contradicts n_embd in config.json names the tensor and both shapes', () => {
    const dir = checkpoint();
    const path = join(dir, 'config.json');
    editJson(path, (json) => (json.n_embd = 32));
    const message = throwsUserError(() => loadCheckpoint(dir), [join(dir, 'model.safetensors'), 'config.json', /tensor \S+ has shape \[[\d, ]+\], but config.json implies \[[\d, ]+\]/]);
    // Every tensor depends on n_embd; whichever is reported, its stored and implied shapes differ.
    const [, stored, implied] = /has shape \[([\d, ]+)\], but config.json implies \[([\d, ]+)\]/.exec(message)!;
    assert.notEqual(stored, implied);
    assert.ok(stored.split(', ').includes('16') || stored.split(', ').includes('48') || stored.split(', ').includes('64'), message);
  });

  test('a tensor shape that contradicts n_positions names wpe.weight and both shapes', () => {
    const dir = checkpoint();
    editJson(join(dir, 'config.json'), (json) => (json.n_positions = 64));
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'model.safetensors'), 'tensor wpe.weight has shape [32, 16], but config.json implies [64, 16]']);
  });

  test('a tensor shape that contradicts vocab_size names wte.weight and both shapes', () => {
    const dir = checkpoint();
    const vocab = loadCheckpoint(dir).config.dVocab;
    editJson(join(dir, 'config.json'), (json) => (json.vocab_size = vocab + 10));
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'model.safetensors'), `tensor wte.weight has shape [${vocab}, 16], but config.json implies [${vocab + 10}, 16]`]);
  });

  test('a tensor shape that contradicts n_inner names the MLP tensor', () => {
    const dir = checkpoint();
    editJson(join(dir, 'config.json'), (json) => (json.n_inner = 32));
    throwsUserError(() => loadCheckpoint(dir), [join(dir, 'model.safetensors'), /tensor h\.0\.mlp\.c_(fc|proj)\.(weight|bias) has shape \[[\d, ]*64[\d, ]*\], but config.json implies/]);
  });

  test('a missing tensor names the tensor and the checkpoint folder', () => {
    // One tensor dropped from model.safetensors.
    const dropped = checkpoint();
    dropTensors(dropped, (name) => name === 'h.1.ln_2.bias');
    throwsUserError(() => loadCheckpoint(dropped), [dropped, 'missing tensor h.1.ln_2.bias']);
    // More layers in config.json than in the file: the first missing tensor is named.
    const deeper = checkpoint();
    editJson(join(deeper, 'config.json'), (json) => (json.n_layer = 3));
    throwsUserError(() => loadCheckpoint(deeper), [deeper, /missing tensor h\.2\./, 'n_layer 3']);
    // An untied config without lm_head.weight.
    const untied = checkpoint();
    editJson(join(untied, 'config.json'), (json) => (json.tie_word_embeddings = false));
    throwsUserError(() => loadCheckpoint(untied), [untied, 'missing tensor lm_head.weight']);
    // A sharded checkpoint whose index leaves a tensor out.
    const sharded = checkpoint({ shards: 2 });
    editJson(join(sharded, 'model.safetensors.index.json'), (json) => delete (json.weight_map as Record<string, string>)['wpe.weight']);
    throwsUserError(() => loadCheckpoint(sharded), [sharded, 'missing tensor wpe.weight']);
  });

  test('a weight tensor of an integer dtype', () => {
    const dir = checkpoint();
    const path = join(dir, 'model.safetensors');
    const file = SafetensorsFile.open(path);
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, info] of file.tensors) tensors[name] = { dtype: name === 'ln_f.bias' ? 'I32' : info.dtype, shape: [...info.shape], data: file.readBytes(name) };
    file.close();
    writeFileSync(path, encodeSafetensors(tensors));
    throwsUserError(() => loadCheckpoint(dir), [path, 'tensor ln_f.bias has dtype I32']);
  });
});

describe('loadCheckpoint: layouts that load', () => {
  let reference: Checkpoint;
  before(() => {
    reference = loadCheckpoint(checkpoint());
  });

  const assertSameWeights = (loaded: Checkpoint, label: string, extra: string[] = []) => {
    assert.deepEqual([...loaded.weights.keys()].sort(), [...reference.weights.keys(), ...extra].sort(), label);
    for (const [name, tensor] of reference.weights) {
      assert.deepEqual(loaded.weights.get(name)!.dims, tensor.dims, `${label}: ${name}`);
      assert.deepEqual(loaded.weights.get(name)!.data, tensor.data, `${label}: ${name}`);
    }
  };

  test('the reference tiny checkpoint has the preset shape', () => {
    assert.equal(reference.config.dModel, tiny.dModel);
    assert.equal(reference.config.nLayers, tiny.nLayers);
    assert.equal(reference.config.nCtx, tiny.nPositions);
    assert.equal(reference.weights.size, 4 + 12 * tiny.nLayers);
    assert.ok(reference.weightBytes > 0);
  });

  test('"transformer."-prefixed keys', () => {
    const dir = checkpoint({ transformerPrefix: true });
    const file = SafetensorsFile.open(join(dir, 'model.safetensors'));
    assert.ok(file.get('transformer.h.0.ln_1.weight'), 'test premise: the file has prefixed keys');
    file.close();
    assertSameWeights(loadCheckpoint(dir), 'prefixed');
  });

  test('sharded weights', () => {
    const dir = checkpoint({ shards: 3 });
    rmSync(join(dir, 'model.safetensors'), { force: true });
    assertSameWeights(loadCheckpoint(dir), 'sharded');
  });

  test('untied lm_head, with and without the prefix', () => {
    for (const transformerPrefix of [false, true]) {
      const loaded = loadCheckpoint(checkpoint({ untied: true, transformerPrefix }));
      assert.equal(loaded.config.tiedEmbeddings, false);
      assertSameWeights(loaded, `untied, prefix ${transformerPrefix}`, ['lm_head.weight']);
      assert.deepEqual(loaded.weights.get('lm_head.weight')!.dims, [reference.config.dVocab, tiny.dModel]);
    }
  });

  test('F16 and BF16 weights load as float32', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const loaded = loadCheckpoint(checkpoint({ dtype }));
      const a = loaded.weights.get('wte.weight')!.data;
      const b = reference.weights.get('wte.weight')!.data;
      assert.equal(a.length, b.length);
      const tolerance = dtype === 'F16' ? 2 ** -10 : 2 ** -7;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tolerance * Math.abs(b[i]) + 1e-7, `${dtype}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  });

  test('the loaded models run', async () => {
    for (const options of [{ transformerPrefix: true }, { shards: 2 }, { untied: true }]) {
      await withModel(checkpoint(options), async (model) => {
        const logits = await model.run('the of');
        assert.equal(logits.dims[2], model.config.dVocab);
        assert.ok(logits.data.every(Number.isFinite), JSON.stringify(options));
      });
    }
  });
});

describe('HookedModel: bad input', () => {
  let dir: string;
  let model: HookedModel;
  before(async () => {
    dir = checkpoint();
    model = await HookedModel.load(dir, { threads: 1 });
  });
  after(async () => {
    await model.dispose();
  });

  test('HookedModel.load reports checkpoint errors as user errors', async () => {
    const { dir: missing, cleanup } = tempDir();
    cleanup();
    await rejectsUserError(() => HookedModel.load(missing), [missing, 'not found']);
    const llama = checkpoint();
    editJson(join(llama, 'config.json'), (json) => (json.model_type = 'llama'));
    await rejectsUserError(() => HookedModel.load(llama), [join(llama, 'config.json'), 'supported: gpt2']);
    await rejectsUserError(() => HookedModel.load(dir, { threads: 0 }), ['threads must be a positive integer']);
  });

  test('a prompt longer than n_positions names n_positions and config.json', async () => {
    assert.equal(model.config.nCtx, 32);
    const long = 'the' + ' the'.repeat(40);
    await rejectsUserError(() => model.run(long), ['42 tokens', 'context of 32', 'n_positions', join(dir, 'config.json')]);
    await rejectsUserError(() => model.runWithCache(long), ['n_positions']);
    await rejectsUserError(() => model.run({ ids: [Array.from({ length: 33 }, () => 1)] }), ['33 tokens', 'n_positions']);
  });

  test('a prompt of exactly n_positions tokens runs', async () => {
    const prompt = 'the' + ' the'.repeat(30);
    assert.equal(model.toTokens(prompt).ids[0].length, 32, 'test premise: BOS + 31 tokens');
    const logits = await model.run(prompt);
    assert.deepEqual(logits.dims, [1, 32, model.config.dVocab]);
    await rejectsUserError(() => model.run(prompt + ' the'), ['33 tokens', 'n_positions']);
  });

  test('an empty prompt', async () => {
    await rejectsUserError(() => model.run(''), ['prompt is empty']);
    await rejectsUserError(() => model.run('', { prependBos: false }), ['prompt is empty']);
    await rejectsUserError(() => model.run(['the', '']), ['prompt is empty']);
    await rejectsUserError(() => model.run([]), ['no prompts']);
    await rejectsUserError(() => model.run({ ids: [[]] }), ['prompt 0 has no tokens']);
  });

  test('batch prompts of unequal token length', async () => {
    assert.deepEqual(model.toTokens(['the of']).ids[0].length, 3, 'test premise: BOS, "the", " of"');
    await rejectsUserError(() => model.run(['the', 'the of']), ['same number of tokens', 'prompt 0 has 2', 'prompt 1 has 3']);
    await rejectsUserError(() => model.run({ ids: [[1, 2], [1]] }), ['same number of tokens']);
  });

  test('token ids out of range', async () => {
    const vocab = model.config.dVocab;
    await rejectsUserError(() => model.run({ ids: [[0, vocab]] }), [`token id ${vocab}`, 'outside the vocabulary', `0–${vocab - 1}`]);
    await rejectsUserError(() => model.run({ ids: [[-1]] }), ['token id -1', 'outside the vocabulary']);
    await rejectsUserError(() => model.run({ ids: [[1.5]] }), ['token id 1.5', 'outside the vocabulary']);
    const ok = await model.run({ ids: [[0, vocab - 1]] });
    assert.deepEqual(ok.dims, [1, 2, vocab]);
  });

  test('an unknown hook name', async () => {
    await rejectsUserError(() => model.runWithCache('the of', ['nope']), ['unknown hook "nope"', 'hook_resid_pre']);
    await rejectsUserError(() => model.runWithCache('the of', ['blocks.0.hook_resid_pre', 'blocks.9.hook_resid_pre']), ['unknown hook "blocks.9.hook_resid_pre"']);
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook: 'nope', op: 'add', value: { dims: [16], data: new Float32Array(16) } }]), ['unknown hook "nope"']);
    assert.throws(() => model.hookDims('nope', 1, 1), /unknown hook "nope"/);
  });

  test('an intervention value with the wrong dims', async () => {
    const hook = 'blocks.0.hook_resid_pre';
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook, op: 'add', value: { dims: [3], data: new Float32Array(3) } }]), [hook, 'value has dims [3]', '[1, 3, 16]', '[16]']);
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook, op: 'replace', value: { dims: [1, 2, 16], data: new Float32Array(32) } }]), [hook, 'value has dims [1, 2, 16]']);
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook, op: 'edit', fn: () => ({ dims: [1], data: new Float32Array(1) }) }]), [hook, 'returned 1 values', '[1, 3, 16]']);
  });

  test('an intervention position out of range', async () => {
    const hook = 'blocks.1.hook_resid_post';
    const value = { dims: [16], data: new Float32Array(16) };
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook, op: 'add', value, positions: [3] }]), [hook, 'position 3 is outside the prompt', '0–2']);
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook, op: 'replace', value, positions: [-1] }]), [hook, 'position -1']);
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook: 'blocks.0.attn.hook_pattern', op: 'add', value: { dims: [3], data: new Float32Array(3) }, positions: [5] }]), ['blocks.0.attn.hook_pattern', 'position 5']);
  });

  test('the model still works after rejected inputs', async () => {
    const first = await model.run('the of');
    await rejectsUserError(() => model.runWithHooks('the of', [{ hook: 'hook_embed', op: 'add', value: { dims: [2], data: new Float32Array(2) } }]), ['hook_embed']);
    const afterwards = await model.run('the of');
    assert.deepEqual(afterwards.data, first.data);
  });

  test('a checkpoint folder removed after loading does not affect the loaded model', async () => {
    const other = checkpoint();
    await withModel(other, async (loaded) => {
      rmSync(other, { recursive: true, force: true });
      mkdirSync(other);
      const logits = await loaded.run('the of');
      assert.ok(logits.data.every(Number.isFinite));
    });
  });
});
