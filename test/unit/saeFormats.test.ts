/**
 * SAE loading (SAELens v6 and legacy, sparsify, Gemma Scope .npz), the float64 SAE reference on
 * hand-computed cases, bad SAE files (each a one-line MechLensError naming the file and field),
 * and saeMatchesModel against a real tiny model.
 * Run: node --import tsx --test test/unit/saeFormats.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HookedModel } from '../../src/engine/hookedModel';
import { gemmaScopeHook } from '../../src/engine/sae/formats/gemmaScope';
import { NpzFile, parseNpy } from '../../src/engine/sae/formats/npy';
import { sparsifyHooks } from '../../src/engine/sae/formats/sparsify';
import { loadSae, saeMatchesModel } from '../../src/engine/sae/loadSae';
import type { LoadedSae, SaeConfig, SaeWeights } from '../../src/engine/sae/sae';
import { seededNormal } from '../../src/engine/synthetic/randomGpt2';
import { editJson, throwsUserError, truncateFile } from '../fixtures/corruptFiles';
import {
  encodeNpy, writeGemmaScope, writeNpz, writeSaeLensLegacy, writeSaeLensV6, writeSparsify, writeTensors,
  type FixtureTensor, type SaeLensFixtureArchitecture,
} from '../fixtures/saeFixtures';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';
import { referenceDecode, referenceEncode } from '../reference/saeReference';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

function scratch(): string {
  const { dir, cleanup } = tempDir('mechlens-sae-');
  cleanups.push(cleanup);
  return dir;
}

const D_IN = 6;
const D_SAE = 10;

/** The config SAELens v6 fixtures imply, before per-test changes. */
function v6Config(dir: string, hookName: string, changes: Partial<SaeConfig> = {}): SaeConfig {
  return {
    format: 'saelens', path: dir, architecture: 'standard', transcoder: false, dIn: D_IN, dSae: D_SAE, dOut: D_IN,
    hookName, hookNameOut: hookName, reshapeActivations: 'none', applyBDecToInput: true, normalizeActivations: 'none',
    scalingFactor: 1, centerInput: false, rescaleActsByDecoderNorm: false,
    modelName: 'gpt2-tiny', prependBos: true, contextSize: 128, neuronpediaId: `gpt2-tiny/${hookName}`, ...changes,
  };
}

/** The SAE has exactly the weights given (undefined: absent), equal to them. */
function assertWeights(sae: LoadedSae, expected: Partial<Record<keyof SaeWeights, FixtureTensor | undefined>>): void {
  const present = Object.entries(expected).filter(([, tensor]) => tensor !== undefined);
  assert.deepEqual(Object.keys(sae.weights).sort(), present.map(([name]) => name).sort(), 'weights present');
  for (const [name, tensor] of present) assert.deepEqual(sae.weights[name as keyof SaeWeights], tensor!.data, name);
}

describe('SAELens v6', () => {
  const cases: { architecture: SaeLensFixtureArchitecture; config: Partial<SaeConfig> }[] = [
    { architecture: 'standard', config: {} },
    { architecture: 'jumprelu', config: { architecture: 'jumprelu' } },
    { architecture: 'gated', config: { architecture: 'gated' } },
    { architecture: 'topk', config: { architecture: 'topk', k: 3, rescaleActsByDecoderNorm: true } },
    { architecture: 'transcoder', config: { transcoder: true, dOut: 4, applyBDecToInput: false, hookNameOut: 'blocks.0.hook_mlp_out' } },
    { architecture: 'skip_transcoder', config: { transcoder: true, dOut: 4, applyBDecToInput: false, hookNameOut: 'blocks.0.hook_mlp_out' } },
    { architecture: 'jumprelu_transcoder', config: { architecture: 'jumprelu', transcoder: true, dOut: 4, applyBDecToInput: false, hookNameOut: 'blocks.0.hook_mlp_out' } },
  ];
  for (const { architecture, config } of cases) {
    test(`${architecture}: config and weights load as written`, () => {
      const dir = join(scratch(), architecture);
      const transcoder = architecture.includes('transcoder');
      const hookName = transcoder ? 'blocks.0.ln2.hook_normalized' : 'blocks.1.hook_resid_pre';
      const written = writeSaeLensV6(dir, {
        architecture, dIn: D_IN, dSae: D_SAE, hookName, seed: 11, k: 3, rescaleActsByDecoderNorm: true,
        ...(transcoder ? { dOut: 4, hookNameOut: 'blocks.0.hook_mlp_out' } : {}),
      });
      const sae = loadSae(dir);
      assert.deepEqual(sae.config, v6Config(dir, hookName, config));
      const t = written.tensors;
      assertWeights(sae, {
        W_enc: t.W_enc, b_enc: architecture === 'gated' ? t.b_gate : t.b_enc, W_dec: t.W_dec, b_dec: t.b_dec,
        threshold: t.threshold, b_mag: t.b_mag, r_mag: t.r_mag, W_skip: t.W_skip,
      });
      assert.equal(sae.logSparsity, undefined);
    });
  }

  for (const dtype of ['F16', 'BF16'] as const) {
    test(`${dtype} weights are read as the float32 values of the stored halves`, () => {
      const dir = scratch();
      const written = writeSaeLensV6(dir, { architecture: 'jumprelu', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_resid_post', dtype });
      const sae = loadSae(join(dir, 'cfg.json')); // a file inside the folder works too
      assertWeights(sae, { W_enc: written.tensors.W_enc, b_enc: written.tensors.b_enc, W_dec: written.tensors.W_dec, b_dec: written.tensors.b_dec, threshold: written.tensors.threshold });
    });
  }

  test('metadata: sparsity, center_writing_weights, hook_z reshape, head index, normalisation', () => {
    const root = scratch();
    const a = writeSaeLensV6(join(root, 'a'), { architecture: 'standard', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.1.hook_resid_pre', sparsity: true, centerWritingWeights: true, normalizeActivations: 'layer_norm' });
    const saeA = loadSae(a.path);
    assert.deepEqual(saeA.logSparsity, a.tensors.sparsity.data);
    assert.equal(saeA.config.centerInput, true);
    assert.equal(saeA.config.normalizeActivations, 'layer_norm');
    const b = writeSaeLensV6(join(root, 'b'), { architecture: 'standard', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.attn.hook_z', reshapeActivations: 'hook_z', normalizeActivations: 'constant_norm_rescale' });
    assert.deepEqual(loadSae(b.path).config, v6Config(b.path, 'blocks.0.attn.hook_z', { reshapeActivations: 'hook_z', normalizeActivations: 'constant_norm_rescale' }));
    const c = writeSaeLensV6(join(root, 'c'), { architecture: 'standard', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.attn.hook_z', hookHeadIndex: 1 });
    assert.deepEqual(loadSae(c.path).config, v6Config(c.path, 'blocks.0.attn.hook_z', { hookHeadIndex: 1 }));
  });

  test('negative jumprelu thresholds are stored as 0 (the same function)', () => {
    const dir = scratch();
    const written = writeSaeLensV6(dir, { architecture: 'jumprelu', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_resid_post' });
    const threshold = Float32Array.from(written.tensors.threshold.data, (v, i) => (i % 2 ? -v : v));
    writeTensors(join(dir, 'sae_weights.safetensors'), { ...written.tensors, threshold: { shape: [D_SAE], data: threshold } });
    assert.deepEqual(loadSae(dir).weights.threshold, threshold.map((v) => Math.max(v, 0)));
  });

  test('scaling_factor: all ones is dropped; a declared finetuning scale is folded into W_dec rows; an undeclared one is refused', () => {
    const root = scratch();
    const ones = writeSaeLensV6(join(root, 'ones'), { architecture: 'standard', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_resid_pre', scalingFactor: 'ones' });
    assert.deepEqual(loadSae(ones.path).weights.W_dec, ones.tensors.W_dec.data);

    const options = { architecture: 'standard', style: 'hook_name', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_resid_pre', scalingFactor: 'random' } as const;
    const folded = writeSaeLensLegacy(join(root, 'folded'), { ...options, finetuningScalingFactor: true });
    const scale = folded.tensors.scaling_factor.data;
    const expected = folded.tensors.W_dec.data.map((v, i) => Math.fround(v * scale[Math.floor(i / D_IN)]));
    assert.ok(scale.some((s) => s !== 1));
    assert.deepEqual(loadSae(folded.path).weights.W_dec, expected);
    // decoding the folded SAE equals SAELens's (f ⊙ scale)·W_dec + b_dec
    const sae = loadSae(folded.path);
    const f = Float64Array.from({ length: D_SAE }, (_, j) => j + 1);
    const unfolded = referenceDecode({ ...sae, weights: { ...sae.weights, W_dec: folded.tensors.W_dec.data } }, f.map((v, j) => v * scale[j]));
    assertClose(referenceDecode(sae, f), unfolded, 1e-5);

    const refused = writeSaeLensLegacy(join(root, 'refused'), options);
    throwsUserError(() => loadSae(refused.path), ['sae_weights.safetensors', 'scaling_factor', 'finetuning_scaling_factor']);
  });
});

describe('SAELens before v6 (flat cfg.json)', () => {
  test('hook_point layout: hook_point → hookName, boolean normalize_activations, defaults standard and apply_b_dec_to_input', () => {
    const dir = scratch();
    writeSaeLensLegacy(dir, { architecture: 'standard', style: 'hook_point', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.2.hook_resid_pre', normalizeActivations: true, centerWritingWeights: true });
    assert.deepEqual(loadSae(dir).config, {
      format: 'saelens', path: dir, architecture: 'standard', transcoder: false, dIn: D_IN, dSae: D_SAE, dOut: D_IN,
      hookName: 'blocks.2.hook_resid_pre', hookNameOut: 'blocks.2.hook_resid_pre', reshapeActivations: 'none', applyBDecToInput: true,
      normalizeActivations: 'expected_average_only_in', scalingFactor: 1, centerInput: true, rescaleActsByDecoderNorm: false,
      modelName: 'gpt2-small', contextSize: 128,
    });
  });

  test('activation_fn_str topk with activation_fn_kwargs.k → topk; hook_z names default to the hook_z reshape', () => {
    const dir = scratch();
    const written = writeSaeLensLegacy(dir, { architecture: 'topk', style: 'hook_name', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.attn.hook_z', k: 4, applyBDecToInput: false });
    const sae = loadSae(dir);
    assert.equal(sae.config.architecture, 'topk');
    assert.equal(sae.config.k, 4);
    assert.equal(sae.config.reshapeActivations, 'hook_z');
    assert.equal(sae.config.applyBDecToInput, false);
    assert.equal(sae.config.normalizeActivations, 'none');
    assertWeights(sae, { W_enc: written.tensors.W_enc, b_enc: written.tensors.b_enc, W_dec: written.tensors.W_dec, b_dec: written.tensors.b_dec });
  });

  test('legacy gated and jumprelu keep their architecture field', () => {
    const root = scratch();
    for (const architecture of ['gated', 'jumprelu'] as const) {
      const written = writeSaeLensLegacy(join(root, architecture), { architecture, style: 'hook_name', dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_mlp_out' });
      const sae = loadSae(written.path);
      assert.equal(sae.config.architecture, architecture);
      if (architecture === 'gated') assert.deepEqual(sae.weights.b_enc, written.tensors.b_gate.data);
      else assert.deepEqual(sae.weights.threshold, written.tensors.threshold.data);
    }
  });
});

describe('sparsify', () => {
  test('encoder.weight is transposed into W_enc; hookpoint h.1 → blocks.1.hook_resid_post; num_latents 0 → d_in × expansion_factor', () => {
    const written = writeSparsify(scratch(), { hookpoint: 'h.1', dIn: 4, expansionFactor: 3, k: 2, seed: 5 });
    const sae = loadSae(written.path);
    assert.deepEqual(sae.config, {
      format: 'sparsify', path: written.path, architecture: 'topk', transcoder: false, dIn: 4, dSae: 12, dOut: 4,
      hookName: 'blocks.1.hook_resid_post', hookNameOut: 'blocks.1.hook_resid_post', reshapeActivations: 'none', applyBDecToInput: true,
      normalizeActivations: 'none', scalingFactor: 1, centerInput: false, k: 2, rescaleActsByDecoderNorm: false,
    });
    const encoder = written.tensors['encoder.weight'].data;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 12; j++) assert.equal(sae.weights.W_enc[i * 12 + j], encoder[j * 4 + i]);
    assertWeights(sae, { W_enc: { shape: [4, 12], data: sae.weights.W_enc }, b_enc: written.tensors['encoder.bias'], W_dec: written.tensors.W_dec, b_dec: written.tensors.b_dec });
    // sparsify's own encode: topk(relu((x − b_dec)·encoder.weightᵀ + bias), k)
    const x = Float64Array.from([0.5, -1, 2, 0.25]);
    const pre = Array.from({ length: 12 }, (_, j) => written.tensors['encoder.bias'].data[j] + [0, 1, 2, 3].reduce((s, i) => s + (x[i] - written.tensors.b_dec.data[i]) * encoder[j * 4 + i], 0));
    const top = pre.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, 2);
    const expected = new Float64Array(12);
    for (const [v, j] of top) expected[j] = Math.max(v, 0);
    assertClose(referenceEncode(sae, x), expected, 1e-6);
  });

  test('num_latents, transcoders on whole layers, skip connections', () => {
    const root = scratch();
    const written = writeSparsify(root, { hookpoint: 'layers.2', dIn: 4, numLatents: 7, k: 3, transcode: true, skipConnection: true });
    const sae = loadSae(written.path);
    assert.equal(sae.config.dSae, 7);
    assert.equal(sae.config.transcoder, true);
    assert.equal(sae.config.applyBDecToInput, false);
    assert.equal(sae.config.hookName, 'blocks.2.hook_resid_pre');
    assert.equal(sae.config.hookNameOut, 'blocks.2.hook_resid_post');
    assert.deepEqual(sae.weights.W_skip, written.tensors.W_skip.data);
    const mlp = writeSparsify(root, { hookpoint: 'h.0.mlp', dIn: 4, transcode: true });
    throwsUserError(() => loadSae(mlp.path), [`${mlp.path}/cfg.json`, 'transcode', 'h.0.mlp']);
  });

  test('hookpoints map to TransformerLens hooks (the module output)', () => {
    const table: Record<string, string | undefined> = {
      'h.3': 'blocks.3.hook_resid_post', 'transformer.h.3': 'blocks.3.hook_resid_post', 'h.3.mlp': 'blocks.3.hook_mlp_out',
      'h.3.attn': 'blocks.3.hook_attn_out', 'h.3.mlp.act': 'blocks.3.mlp.hook_post', 'layers.10': 'blocks.10.hook_resid_post',
      'model.layers.10.mlp': 'blocks.10.hook_mlp_out', 'model.layers.10.self_attn': 'blocks.10.hook_attn_out',
      'gpt_neox.layers.5.attention': 'blocks.5.hook_attn_out', 'gpt_neox.layers.5': 'blocks.5.hook_resid_post',
      embed_tokens: 'hook_embed', wte: 'hook_embed', 'h.3.ln_1': undefined, 'h.x': undefined, 'blocks.3.hook_resid_post': undefined,
    };
    for (const [hookpoint, hook] of Object.entries(table)) assert.equal(sparsifyHooks(hookpoint)?.output, hook, hookpoint);
  });

  test('an unmappable folder needs options.hookName; groupmax is refused', () => {
    const root = scratch();
    const odd = writeSparsify(root, { hookpoint: 'h.0.ln_1', dIn: 4 });
    throwsUserError(() => loadSae(odd.path), [`${odd.path}/cfg.json`, 'h.0.ln_1', 'hook name']);
    assert.equal(loadSae(odd.path, { hookName: 'blocks.0.ln1.hook_normalized' }).config.hookName, 'blocks.0.ln1.hook_normalized');
    const groupmax = writeSparsify(root, { hookpoint: 'h.1', dIn: 4, activation: 'groupmax' });
    throwsUserError(() => loadSae(groupmax.path), [`${groupmax.path}/cfg.json`, 'activation', 'groupmax', 'topk']);
  });
});

// numpy 2.4 np.savez / np.savez_compressed of W_enc=(arange(6).reshape(2,3)−2.5)/4 as f4, b_dec=[1.5,−2.25,1e−3] as f8, threshold=[0.5,−1] as f2.
const NUMPY_SAVEZ =
  'UEsDBC0AAAAAAAAAIQAexJJz//////////8JABQAV19lbmMubnB5AQAQAJgAAAAAAAAAmAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAIL8AAMC+AAAAvgAAAD4AAMA+AAAgP1BLAwQtAAAAAAAAACEANuoV9v//////////CQAUAGJfZGVjLm5weQEAEACYAAAAAAAAAJgAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALA/Knx0k1iUD9QSwMELQAAAAAAAAAhABaAvFH//////////w0AFAB0aHJlc2hvbGQubnB5AQAQAIQAAAAAAAAAhAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgA4ALxQSwECLQMtAAAAAAAAACEAHsSSc5gAAACYAAAACQAAAAAAAAAAAAAAgAEAAAAAV19lbmMubnB5UEsBAi0DLQAAAAAAAAAhADbqFfaYAAAAmAAAAAkAAAAAAAAAAAAAAIAB0wAAAGJfZGVjLm5weVBLAQItAy0AAAAAAAAAIQAWgLxRhAAAAIQAAAANAAAAAAAAAAAAAACAAaYBAAB0aHJlc2hvbGQubnB5UEsFBgAAAAADAAMAqQAAAGkCAAAAAA==';
const NUMPY_SAVEZ_COMPRESSED =
  'UEsDBC0AAAAIAAAAIQAexJJz//////////8JABQAV19lbmMubnB5AQAQAJgAAAAAAAAAWQAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2airqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RpGOgrGmjoKtQpkAy4GBoX9DAwH9jEwMICwHZANxAr2AFBLAwQtAAAACAAAACEANuoV9v//////////CQAUAGJfZGVjLm5weQEAEACYAAAAAAAAAFUAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjqaOgq1ChQALgYw+GEPoZkO/Fn58ZJvUoA9AFBLAwQtAAAACAAAACEAFoC8Uf//////////DQAUAHRocmVzaG9sZC5ucHkBABAAhAAAAAAAAABIAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqSuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6mjoKtQoUAC4GC4Y9AFBLAQItAy0AAAAIAAAAIQAexJJzWQAAAJgAAAAJAAAAAAAAAAAAAACAAQAAAABXX2VuYy5ucHlQSwECLQMtAAAACAAAACEANuoV9lUAAACYAAAACQAAAAAAAAAAAAAAgAGUAAAAYl9kZWMubnB5UEsBAi0DLQAAAAgAAAAhABaAvFFIAAAAhAAAAA0AAAAAAAAAAAAAAIABJAEAAHRocmVzaG9sZC5ucHlQSwUGAAAAAAMAAwCpAAAAqwEAAAAA';

describe('.npy and .npz', () => {
  for (const [label, base64] of [['savez', NUMPY_SAVEZ], ['savez_compressed', NUMPY_SAVEZ_COMPRESSED]] as const) {
    test(`reads numpy's own ${label} output`, () => {
      const path = join(scratch(), 'real.npz');
      writeFileSync(path, Buffer.from(base64, 'base64'));
      const npz = NpzFile.open(path);
      try {
        assert.deepEqual(npz.names(), ['W_enc', 'b_dec', 'threshold']);
        assert.deepEqual(npz.read('W_enc'), { descr: '<f4', shape: [2, 3], data: Float32Array.from([-0.625, -0.375, -0.125, 0.125, 0.375, 0.625]) });
        assert.deepEqual(npz.read('b_dec'), { descr: '<f8', shape: [3], data: Float32Array.from([1.5, -2.25, 1e-3]) });
        assert.deepEqual(npz.read('threshold'), { descr: '<f2', shape: [2], data: Float32Array.from([0.5, -1]) });
      } finally {
        npz.close();
      }
    });
  }

  test('header versions 1–3, 0-d and 1-d shapes', () => {
    for (const version of [1, 2, 3] as const) {
      for (const shape of [[], [5], [2, 3, 1]]) {
        const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 1.5);
        const bytes = encodeNpy({ shape, data, version });
        assert.equal((bytes.length - data.byteLength) % 64, 0, 'data is 64-byte aligned');
        assert.deepEqual(parseNpy(bytes, 'f.npy', 'array'), { descr: '<f4', shape, data });
      }
    }
  });

  test('bad .npy arrays', () => {
    const good = encodeNpy({ shape: [2], data: Float32Array.from([1, 2]) });
    const cases: [Uint8Array, string[]][] = [
      [Buffer.from('PK\x03\x04 not an array'), ['magic']],
      [Buffer.concat([good.subarray(0, 6), Buffer.from([4, 0]), good.subarray(8)]), ['version 4']],
      [encodeNpy({ shape: [2, 2], data: new Float32Array(4), fortranOrder: true }), ['fortran_order', 'True']],
      [encodeNpy({ shape: [2], data: new Float32Array(2), descr: '<i4' }), ['dtype', '<i4', 'supported']],
      [encodeNpy({ shape: [2], data: new Float32Array(2), descr: '>f4' }), ['dtype', '>f4']],
      [good.subarray(0, good.length - 4), ['shape (2)', '8 bytes', 'holds 4']],
      [Buffer.from(good.toString('latin1').replace("'shape': (2,)", "'shape': [2] ").replace(/ {2}\n$/, '\n'), 'latin1'), ['malformed header']],
    ];
    for (const [bytes, fragments] of cases) throwsUserError(() => parseNpy(bytes, '/x/params.npz', 'entry W_enc.npy'), ['/x/params.npz', 'entry W_enc.npy', ...fragments]);
  });
});

describe('Gemma Scope', () => {
  const release = (root: string, site: string, layer = 1) => join(root, `gemma-scope-2b-pt-${site}`, `layer_${layer}`, 'width_16k', 'average_l0_7', 'params.npz');

  for (const method of ['stored', 'deflate'] as const) {
    for (const zip64 of [false, true]) {
      test(`${method}${zip64 ? ' with ZIP64 records' : ''}: loads from the file or its folder`, () => {
        const path = release(scratch(), 'res', 3);
        const written = writeGemmaScope(path, { dIn: D_IN, dSae: D_SAE, method, zip64, seed: 4 });
        for (const sae of [loadSae(path), loadSae(join(path, '..'))]) {
          assert.deepEqual(sae.config, {
            format: 'gemma-scope', path, architecture: 'jumprelu', transcoder: false, dIn: D_IN, dSae: D_SAE, dOut: D_IN,
            hookName: 'blocks.3.hook_resid_post', hookNameOut: 'blocks.3.hook_resid_post', reshapeActivations: 'none',
            applyBDecToInput: false, normalizeActivations: 'none', scalingFactor: 1, centerInput: false, rescaleActsByDecoderNorm: false,
          });
          assertWeights(sae, written.tensors);
        }
      });
    }
  }

  test('float64 and float16 arrays, lowercase w_enc/w_dec keys', () => {
    const root = scratch();
    for (const descr of ['<f8', '<f2'] as const) {
      const path = release(join(root, descr.slice(1)), 'mlp', 0);
      const written = writeGemmaScope(path, { dIn: D_IN, dSae: D_SAE, method: 'deflate', descr, lowercase: true });
      const sae = loadSae(path);
      assert.equal(sae.config.hookName, 'blocks.0.hook_mlp_out');
      assertWeights(sae, written.tensors);
    }
  });

  test('the hook comes from the path, or from options.hookName', () => {
    const cases: Record<string, string | undefined> = {
      '/d/gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz': 'blocks.12.hook_resid_post',
      '/d/gemma-scope-9b-it-mlp/layer_0/width_131k/average_l0_9/params.npz': 'blocks.0.hook_mlp_out',
      '/d/gemma-scope-2b-pt-att/layer_4/width_16k/average_l0_20/params.npz': 'blocks.4.attn.hook_z',
      '/hf/models--google--gemma-scope-2b-pt-res/snapshots/abc/layer_5/width_1m/average_l0_9/params.npz': 'blocks.5.hook_resid_post',
      '/d/gemma-scope-2b-pt-res/embedding/width_4k/average_l0_111/params.npz': 'hook_embed',
      '/home/researcher/matt/layer_3/params.npz': undefined,
      '/d/gemma-scope-2b-pt-res/width_16k/params.npz': undefined,
    };
    for (const [path, hook] of Object.entries(cases)) assert.equal(gemmaScopeHook(path), hook, path);

    const root = scratch();
    const att = release(root, 'att', 1);
    writeGemmaScope(att, { dIn: 16, dSae: D_SAE, method: 'stored' });
    assert.equal(loadSae(att).config.reshapeActivations, 'hook_z');
    const anonymous = join(root, 'my-sae', 'params.npz');
    writeGemmaScope(anonymous, { dIn: D_IN, dSae: D_SAE, method: 'stored' });
    throwsUserError(() => loadSae(anonymous), [anonymous, 'which hook', 'layer_L', 'pass the hook name']);
    assert.equal(loadSae(anonymous, { hookName: 'blocks.1.hook_resid_post' }).config.hookName, 'blocks.1.hook_resid_post');
  });

  test('embedding SAEs are rescaled by √d_in, as SAELens does', () => {
    const path = join(scratch(), 'gemma-scope-2b-pt-res', 'embedding', 'width_4k', 'average_l0_1', 'params.npz');
    const written = writeGemmaScope(path, { dIn: 4, dSae: D_SAE, method: 'stored' });
    const sae = loadSae(path);
    assert.equal(sae.config.hookName, 'hook_embed');
    assert.deepEqual(sae.weights.W_enc, written.tensors.W_enc.data.map((v) => v / 2));
    assert.deepEqual(sae.weights.W_dec, written.tensors.W_dec.data.map((v) => v * 2));
    assert.deepEqual(sae.weights.b_dec, written.tensors.b_dec.data);
  });
});

/** A hand-built SAE with d_in 2, d_sae 3: W_enc [[1, 0, −1], [0, 2, 1]], b_enc [0.5, −1, 0], W_dec [[1, 0], [0, 1], [1, 1]], b_dec [1, −1]. */
function tinySae(config: Partial<SaeConfig> = {}, weights: Partial<SaeWeights> = {}): LoadedSae {
  return {
    config: {
      format: 'saelens', path: '/tiny', architecture: 'standard', transcoder: false, dIn: 2, dSae: 3, dOut: 2, hookName: 'h', hookNameOut: 'h',
      reshapeActivations: 'none', applyBDecToInput: true, normalizeActivations: 'none', scalingFactor: 1, centerInput: false,
      rescaleActsByDecoderNorm: false, ...config,
    },
    weights: {
      W_enc: Float32Array.from([1, 0, -1, 0, 2, 1]), b_enc: Float32Array.from([0.5, -1, 0]),
      W_dec: Float32Array.from([1, 0, 0, 1, 1, 1]), b_dec: Float32Array.from([1, -1]), ...weights,
    },
  };
}

function assertClose(actual: Float64Array, expected: ArrayLike<number>, tolerance = 1e-12): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}]: ${actual[i]} vs ${expected[i]} (all: ${Array.from(actual).join(', ')})`);
  }
}

const rows = (...values: number[]) => Float64Array.from(values);

describe('float64 reference on hand-computed cases', () => {
  test('standard: x̃ = x − b_dec, relu, decode', () => {
    const sae = tinySae();
    // x = [2, 3] → x̃ = [1, 4] → pre [1.5, 7, 3]; x = [0, 0] → x̃ = [−1, 1] → pre [−0.5, 1, 2]
    const f = referenceEncode(sae, rows(2, 3, 0, 0));
    assertClose(f, [1.5, 7, 3, 0, 1, 2]);
    assertClose(referenceDecode(sae, f), [1.5 + 3 + 1, 7 + 3 - 1, 2 + 1, 1 + 2 - 1]);
  });

  test('jumprelu: relu(pre)·[pre > threshold]', () => {
    // a negative threshold (loaders store it as 0) still gives relu: pre −0.5 > −1 is 0, not −0.5
    const sae = tinySae({ architecture: 'jumprelu', applyBDecToInput: false }, { threshold: Float32Array.from([-1, 7.5, 0.5]) });
    // x = [2, 3] → pre [2.5, 5, 1]; x = [−1, 0] → pre [−0.5, −1, 1]
    assertClose(referenceEncode(sae, rows(2, 3, -1, 0)), [2.5, 0, 1, 0, 0, 1]);
  });

  test('gated: gate from b_gate, magnitude from W_enc ⊙ exp(r_mag) + b_mag', () => {
    const sae = tinySae({ architecture: 'gated', applyBDecToInput: false }, { b_mag: Float32Array.from([0, 1, 1]), r_mag: Float32Array.from([0, Math.log(2), 0]) });
    // x = [2, 3]: gate pre [2.5, 5, 1] all open; magnitude [2, 6·2 + 1, 1 + 1] = [2, 13, 2]
    // x = [1, 1]: gate pre [1.5, 1, 0] (the last closed: 0 is not > 0); magnitude [1, 2·2 + 1, 0 + 1] → [1, 5, 0]
    assertClose(referenceEncode(sae, rows(2, 3, 1, 1)), [2, 13, 2, 1, 5, 0], 1e-6);
  });

  test('topk: the k largest, relu; with rescale the choice uses ‖W_dec row‖ and decode divides it out', () => {
    const plain = tinySae({ architecture: 'topk', k: 2 });
    // pre [1.5, 7, 3] → {7, 3}; x = [−1, −2] → x̃ [−2, −1] → pre [−1.5, −3, 1] → {1, −1.5 → 0}
    assertClose(referenceEncode(plain, rows(2, 3, -1, -2)), [0, 7, 3, 0, 0, 1]);
    // x = [0.75, 0.75] → x̃ [−0.25, 1.75] → pre [0.25, 2.5, 2]; row norms [1, 1, √2] → ranked [0.25, 2.5, 2√2]
    const one = tinySae({ architecture: 'topk', k: 1 });
    assertClose(referenceEncode(one, rows(0.75, 0.75)), [0, 2.5, 0]);
    const rescaled = tinySae({ architecture: 'topk', k: 1, rescaleActsByDecoderNorm: true });
    const f = referenceEncode(rescaled, rows(0.75, 0.75));
    assertClose(f, [0, 0, 2 * Math.SQRT2], 1e-12);
    assertClose(referenceDecode(rescaled, f), [2 + 1, 2 - 1], 1e-12);
  });

  test('skip transcoder: x̂ = f·W_dec + b_dec + x·W_skipᵀ', () => {
    // W_skip [d_out, d_in] = [[3, −1], [0, 2]]
    const sae = tinySae({ transcoder: true, applyBDecToInput: false }, { b_dec: Float32Array.from([0.5, 0]), W_skip: Float32Array.from([3, -1, 0, 2]) });
    const x = rows(2, 3);
    const f = referenceEncode(sae, x);
    assertClose(f, [2.5, 5, 1]);
    // f·W_dec = [2.5 + 1, 5 + 1], + b_dec = [4, 6], + x·W_skipᵀ = [6 − 3, 6]
    assertClose(referenceDecode(sae, f, x), [7, 12]);
    assert.throws(() => referenceDecode(sae, f), /xIn/);
  });

  test('centerInput subtracts the mean first', () => {
    // x = [2, 4] → centred [−1, 1] → x̃ [−2, 2] → pre [−1.5, 3, 4]
    assertClose(referenceEncode(tinySae({ centerInput: true }), rows(2, 4)), [0, 3, 4]);
  });

  test('expected_average_only_in: x·s in, ÷ s out', () => {
    const sae = tinySae({ normalizeActivations: 'expected_average_only_in', scalingFactor: 2 });
    const x = rows(1, 1.5); // ·2 = [2, 3] → as the standard case
    const f = referenceEncode(sae, x);
    assertClose(f, [1.5, 7, 3]);
    assertClose(referenceDecode(sae, f, x), [5.5 / 2, 9 / 2]);
  });

  test('constant_norm_rescale: x·√d/‖x‖ in, × ‖x‖/√d out', () => {
    const sae = tinySae({ normalizeActivations: 'constant_norm_rescale', applyBDecToInput: false });
    const r = Math.SQRT2;
    const x = rows(3, 4); // ‖x‖ = 5 → x̃ = [3r/5, 4r/5]
    const f = referenceEncode(sae, x);
    assertClose(f, [(3 * r) / 5 + 0.5, (8 * r) / 5 - 1, r / 5]);
    assertClose(referenceDecode(sae, f, x), [((4 * r) / 5 + 1.5) * (5 / r), ((9 * r) / 5 - 2) * (5 / r)]);
  });

  test('layer_norm: (x − μ)/(σ + 1e-5) with the sample σ; out × σ + μ', () => {
    const sae = tinySae({ normalizeActivations: 'layer_norm', applyBDecToInput: false });
    const x = rows(1, 3); // μ 2, centred [−1, 1], σ = √(2/1) = √2
    const s = Math.SQRT2 + 1e-5;
    const f = referenceEncode(sae, x);
    assertClose(f, [0, 2 / s - 1, 2 / s]);
    assertClose(referenceDecode(sae, f, x), [(2 / s + 1) * Math.SQRT2 + 2, (4 / s - 2) * Math.SQRT2 + 2]);
  });

  test('random fixtures give a healthy mix of active and inactive features', () => {
    const root = scratch();
    const random = seededNormal(99);
    const n = 64;
    const x = Float64Array.from({ length: n * D_IN }, random);
    for (const architecture of ['standard', 'jumprelu', 'gated', 'topk'] as const) {
      const sae = loadSae(writeSaeLensV6(join(root, architecture), { architecture, dIn: D_IN, dSae: 40, hookName: 'h', k: 5 }).path);
      const f = referenceEncode(sae, x);
      const active = f.filter((v) => v > 0).length / f.length;
      if (architecture === 'topk') assert.ok(active > 0.1 && active <= 5 / 40, `${architecture}: ${active}`);
      else assert.ok(active > 0.15 && active < 0.7, `${architecture}: active fraction ${active}`);
      for (let j = 0; j < 40; j++) assert.ok(f.some((v, i) => i % 40 === j && v > 0) || architecture === 'topk', `${architecture}: feature ${j} never fires`);
    }
  });
});

function without(tensors: Record<string, FixtureTensor>, name: string): Record<string, FixtureTensor> {
  return Object.fromEntries(Object.entries(tensors).filter(([key]) => key !== name));
}

describe('bad SAE files', () => {
  const v6 = (dir: string, architecture: SaeLensFixtureArchitecture = 'standard') => writeSaeLensV6(dir, { architecture, dIn: D_IN, dSae: D_SAE, hookName: 'blocks.0.hook_resid_pre' });

  test('missing folder, missing cfg.json, weights without cfg', () => {
    const root = scratch();
    throwsUserError(() => loadSae(join(root, 'nope')), [join(root, 'nope'), 'not found']);
    const dir = join(root, 'nocfg');
    mkdirSync(dir);
    throwsUserError(() => loadSae(dir), [`${dir}/cfg.json`, 'missing']);
    writeTensors(join(dir, 'sae_weights.safetensors'), { W_enc: { shape: [1], data: new Float32Array(1) } });
    throwsUserError(() => loadSae(dir), [`${dir}/cfg.json`, 'missing']);
    const noWeights = join(root, 'noweights');
    v6(noWeights);
    writeFileSync(join(noWeights, 'sae_weights.safetensors'), '');
    throwsUserError(() => loadSae(noWeights), [`${noWeights}/sae_weights.safetensors`]);
  });

  test('malformed cfg.json, missing d_in, unknown architecture, bad hook_head_index', () => {
    const dir = v6(scratch()).path;
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, '{"d_in": 6,');
    throwsUserError(() => loadSae(dir), [cfg, 'malformed JSON']);
    writeFileSync(cfg, '[1, 2]');
    throwsUserError(() => loadSae(dir), [cfg, 'not a JSON object']);
    v6(dir);
    editJson(cfg, (json) => delete json.d_in);
    throwsUserError(() => loadSae(dir), [cfg, 'd_in', 'positive integer']);
    v6(dir);
    editJson(cfg, (json) => (json.architecture = 'matryoshka'));
    throwsUserError(() => loadSae(dir), [cfg, 'architecture', 'matryoshka', 'standard, gated, jumprelu, topk, transcoder, skip_transcoder, jumprelu_transcoder']);
    v6(dir);
    editJson(cfg, (json) => ((json.metadata as Record<string, unknown>).hook_head_index = -1));
    throwsUserError(() => loadSae(dir), [cfg, 'metadata.hook_head_index']);
    v6(dir);
    editJson(cfg, (json) => delete (json.metadata as Record<string, unknown>).hook_name);
    throwsUserError(() => loadSae(dir), [cfg, 'metadata.hook_name', 'missing']);
    assert.equal(loadSae(dir, { hookName: 'blocks.0.hook_resid_pre' }).config.hookName, 'blocks.0.hook_resid_pre');
  });

  test('cfg fields that SAELens itself refuses or that MechLens cannot honour', () => {
    const root = scratch();
    const transcoder = writeSaeLensV6(join(root, 't'), { architecture: 'transcoder', dIn: D_IN, dSae: D_SAE, hookName: 'a', hookNameOut: 'b' }).path;
    editJson(join(transcoder, 'cfg.json'), (json) => (json.apply_b_dec_to_input = true));
    throwsUserError(() => loadSae(transcoder), ['cfg.json', 'apply_b_dec_to_input', 'transcoder']);
    editJson(join(transcoder, 'cfg.json'), (json) => {
      json.apply_b_dec_to_input = false;
      json.normalize_activations = 'layer_norm';
    });
    throwsUserError(() => loadSae(transcoder), ['cfg.json', 'normalize_activations', 'layer_norm']);
    editJson(join(transcoder, 'cfg.json'), (json) => {
      json.normalize_activations = 'none';
      delete (json.metadata as Record<string, unknown>).hook_name_out;
    });
    throwsUserError(() => loadSae(transcoder), ['cfg.json', 'metadata.hook_name_out']);
    const topk = writeSaeLensV6(join(root, 'k'), { architecture: 'topk', dIn: D_IN, dSae: D_SAE, hookName: 'a', k: 3 }).path;
    editJson(join(topk, 'cfg.json'), (json) => (json.k = D_SAE + 1));
    throwsUserError(() => loadSae(topk), ['cfg.json', 'k 11', 'd_sae 10']);
    const legacy = writeSaeLensLegacy(join(root, 'l'), { architecture: 'standard', style: 'hook_name', dIn: D_IN, dSae: D_SAE, hookName: 'a' }).path;
    editJson(join(legacy, 'cfg.json'), (json) => (json.activation_fn_str = 'tanh-relu'));
    throwsUserError(() => loadSae(legacy), ['cfg.json', 'activation_fn_str', 'tanh-relu']);
    editJson(join(legacy, 'cfg.json'), (json) => (json.activation_fn_str = 'topk'));
    throwsUserError(() => loadSae(legacy), ['cfg.json', 'activation_fn_kwargs.k']);
  });

  test('weights that contradict cfg.json: shapes, NaN, a missing tensor', () => {
    const dir = join(scratch(), 'w');
    const weights = join(dir, 'sae_weights.safetensors');
    const { tensors } = v6(dir);
    writeTensors(weights, { ...tensors, W_enc: { shape: [D_IN, D_SAE + 1], data: new Float32Array(D_IN * (D_SAE + 1)) } });
    throwsUserError(() => loadSae(dir), [weights, 'W_enc', `[${D_IN}, ${D_SAE + 1}]`, 'cfg.json (d_in 6, d_sae 10)', `[${D_IN}, ${D_SAE}]`]);
    const nan = tensors.W_dec.data.slice();
    nan[7] = NaN;
    writeTensors(weights, { ...tensors, W_dec: { shape: tensors.W_dec.shape, data: nan } });
    throwsUserError(() => loadSae(dir), [weights, 'W_dec', 'NaN', 'index 7']);
    writeTensors(weights, without(tensors, 'b_enc'));
    throwsUserError(() => loadSae(dir), [weights, 'missing tensor b_enc']);

    const gated = join(scratch(), 'g');
    const g = writeSaeLensV6(gated, { architecture: 'gated', dIn: D_IN, dSae: D_SAE, hookName: 'a' });
    writeTensors(join(gated, 'sae_weights.safetensors'), without(g.tensors, 'r_mag'));
    throwsUserError(() => loadSae(gated), ['sae_weights.safetensors', 'missing tensor r_mag', 'b_gate, b_mag, r_mag']);
    const skip = join(scratch(), 's');
    const s = writeSaeLensV6(skip, { architecture: 'skip_transcoder', dIn: D_IN, dSae: D_SAE, dOut: 4, hookName: 'a', hookNameOut: 'b' });
    writeTensors(join(skip, 'sae_weights.safetensors'), { ...s.tensors, W_skip: { shape: [D_IN, 4], data: new Float32Array(24) } });
    throwsUserError(() => loadSae(skip), ['W_skip', '[6, 4]', 'd_out 4', '[4, 6]']);
    const sparsity = join(scratch(), 'sp');
    writeSaeLensV6(sparsity, { architecture: 'standard', dIn: D_IN, dSae: D_SAE, hookName: 'a' });
    writeTensors(join(sparsity, 'sparsity.safetensors'), { sparsity: { shape: [D_SAE - 1], data: new Float32Array(D_SAE - 1) } });
    throwsUserError(() => loadSae(sparsity), ['sparsity.safetensors', 'tensor sparsity', `[${D_SAE - 1}]`]);
  });

  test('sparsify weights: transposed encoder shape, missing W_dec', () => {
    const written = writeSparsify(scratch(), { hookpoint: 'h.0', dIn: 4, numLatents: 6 });
    const path = join(written.path, 'sae.safetensors');
    writeTensors(path, { ...written.tensors, 'encoder.weight': { shape: [4, 6], data: new Float32Array(24) } });
    throwsUserError(() => loadSae(written.path), [path, 'encoder.weight', '[4, 6]', '[6, 4]']);
    writeTensors(path, without(written.tensors, 'W_dec'));
    throwsUserError(() => loadSae(written.path), [path, 'missing tensor W_dec']);
  });

  test('npz that is not a ZIP, truncated, missing a key, fortran order, unsupported dtype, corrupt data', () => {
    const root = scratch();
    const path = join(root, 'gemma-scope-2b-pt-res', 'layer_0', 'params.npz');
    const written = writeGemmaScope(path, { dIn: D_IN, dSae: D_SAE, method: 'deflate' });
    writeFileSync(path, 'this is not a zip archive at all, just some text');
    throwsUserError(() => loadSae(path), [path, 'not a ZIP archive']);
    writeGemmaScope(path, { dIn: D_IN, dSae: D_SAE, method: 'deflate' });
    truncateFile(path, 30);
    throwsUserError(() => loadSae(path), [path, /not a ZIP archive|truncated/]);
    const arrays = (changes: Record<string, object | undefined>) =>
      Object.fromEntries(Object.entries({ ...written.tensors, ...changes }).filter(([, v]) => v !== undefined)) as Record<string, FixtureTensor>;
    writeNpz(path, arrays({ threshold: undefined }), { method: 'stored' });
    throwsUserError(() => loadSae(path), [path, 'no array named threshold']);
    writeNpz(path, arrays({ W_dec: { ...written.tensors.W_dec, fortranOrder: true } }), { method: 'stored' });
    throwsUserError(() => loadSae(path), [path, 'entry W_dec.npy', 'fortran_order']);
    writeNpz(path, arrays({ b_enc: { ...written.tensors.b_enc, descr: '<i4' } }), { method: 'deflate' });
    throwsUserError(() => loadSae(path), [path, 'entry b_enc.npy', "dtype \"<i4\""]);
    writeNpz(path, arrays({ W_dec: { shape: [D_SAE + 1, D_IN], data: new Float32Array((D_SAE + 1) * D_IN) } }), { method: 'stored' });
    throwsUserError(() => loadSae(path), [path, 'W_dec', `[${D_SAE + 1}, ${D_IN}]`, `W_enc [${D_IN}, ${D_SAE}]`]);
    const nan = written.tensors.b_dec.data.slice();
    nan[2] = Infinity;
    writeNpz(path, arrays({ b_dec: { shape: [D_IN], data: nan } }), { method: 'stored' });
    throwsUserError(() => loadSae(path), [path, 'b_dec', 'Infinity']);
    writeNpz(path, arrays({}), { method: 'stored' });
    const bytes = readFileSync(path);
    bytes[200] ^= 0xff; // inside W_enc.npy's data
    writeFileSync(path, bytes);
    throwsUserError(() => loadSae(path), [path, 'entry W_enc.npy', 'CRC-32']);
  });
});

describe('saeMatchesModel against a real tiny model (d_model 16, 2 heads of 8, 2 layers)', () => {
  let model: HookedModel;
  before(async () => {
    const { dir, cleanup } = tempCheckpoint();
    cleanups.push(cleanup);
    model = await HookedModel.load(dir, { threads: 1 });
  });
  after(async () => {
    await model?.dispose();
  });

  const saeAt = (root: string, name: string, options: Partial<Parameters<typeof writeSaeLensV6>[1]>) =>
    loadSae(writeSaeLensV6(join(root, name), { architecture: 'standard', dIn: 16, dSae: 8, hookName: 'blocks.1.hook_resid_pre', ...options }).path);

  test('SAEs that fit pass: resid, hook_z flattened, one head of hook_z, a transcoder', () => {
    const root = scratch();
    saeMatchesModel(saeAt(root, 'resid', {}), model);
    saeMatchesModel(saeAt(root, 'z', { hookName: 'blocks.0.attn.hook_z', reshapeActivations: 'hook_z' }), model);
    saeMatchesModel(saeAt(root, 'head', { hookName: 'blocks.0.attn.hook_z', hookHeadIndex: 1, dIn: 8 }), model);
    saeMatchesModel(saeAt(root, 'tc', { architecture: 'skip_transcoder', hookName: 'blocks.0.ln2.hook_normalized', hookNameOut: 'blocks.0.hook_mlp_out', dOut: 16 }), model);
  });

  test('a hook the model lacks', () => {
    const root = scratch();
    const sae = saeAt(root, 'deep', { hookName: 'blocks.6.hook_resid_pre' });
    throwsUserError(() => saeMatchesModel(sae, model), [`${sae.config.path}/cfg.json`, 'blocks.6.hook_resid_pre', 'does not have', 'blocks.0–1']);
    const out = saeAt(root, 'out', { architecture: 'transcoder', hookName: 'blocks.0.ln2.hook_normalized', hookNameOut: 'blocks.0.hook_mlp_output', dOut: 16 });
    throwsUserError(() => saeMatchesModel(out, model), ['writes blocks.0.hook_mlp_output', 'does not have']);
  });

  test('widths that do not fit', () => {
    const root = scratch();
    const narrow = saeAt(root, 'narrow', { dIn: 12 });
    const message = throwsUserError(() => saeMatchesModel(narrow, model), []);
    assert.equal(message, `${narrow.config.path}/cfg.json: the SAE reads blocks.1.hook_resid_pre with d_in 12, but this model's blocks.1.hook_resid_pre has width 16`);
    throwsUserError(() => saeMatchesModel(saeAt(root, 'z', { hookName: 'blocks.0.attn.hook_z', reshapeActivations: 'hook_z', dIn: 8 }), model), ['d_in 8', 'width 16 (2 heads × 8)']);
    throwsUserError(() => saeMatchesModel(saeAt(root, 'zraw', { hookName: 'blocks.0.attn.hook_z' }), model), ['d_in 16', 'width 8']);
    throwsUserError(() => saeMatchesModel(saeAt(root, 'head', { hookName: 'blocks.0.attn.hook_z', hookHeadIndex: 2, dIn: 8 }), model), ['head 2', '2 heads']);
    throwsUserError(() => saeMatchesModel(saeAt(root, 'perhead', { hookName: 'blocks.0.hook_resid_pre', hookHeadIndex: 0 }), model), ['per head', '[1, 1, 16]']);
    const tc = saeAt(root, 'tc', { architecture: 'transcoder', hookName: 'blocks.0.ln2.hook_normalized', hookNameOut: 'blocks.0.hook_mlp_out', dOut: 12 });
    throwsUserError(() => saeMatchesModel(tc, model), ['writes blocks.0.hook_mlp_out with d_out 12', 'width 16']);
    const gemma = join(root, 'gemma-scope-2b-pt-mlp', 'layer_1', 'params.npz');
    writeGemmaScope(gemma, { dIn: 20, dSae: 8, method: 'stored' });
    throwsUserError(() => saeMatchesModel(loadSae(gemma), model), [`${gemma}: the SAE reads blocks.1.hook_mlp_out with d_in 20`, 'width 16']);
  });
});
