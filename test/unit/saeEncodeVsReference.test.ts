import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSae } from '../../src/engine/sae/loadSae';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { seededNormal } from '../../src/engine/synthetic/randomGpt2';
import { writeGemmaScope, writeSaeLensLegacy, writeSaeLensV6, writeSparsify, type SaeLensOptions, type WrittenSae } from '../fixtures/saeFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';
import { referenceDecode, referenceEncode } from '../reference/saeReference';

/** The bar: encode/decode within 1e-4 of the float64 reference; top-k identical where not tied. */
const TOLERANCE = 1e-4;
const TOKENS = 24;

const temp = tempDir();
after(temp.cleanup);
let counter = 0;
const place = () => join(temp.dir, `sae${counter++}`);

function maxError(actual: Float32Array, expected: Float64Array): number {
  assert.equal(actual.length, expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= max)) max = error;
  }
  return max;
}

async function compare(written: WrittenSae, options: { hookName?: string; inputScale?: number } = {}): Promise<void> {
  const sae = loadSae(written.path, { hookName: options.hookName });
  const { dIn, dSae } = sae.config;
  const normal = seededNormal(counter + 100);
  const x = Float32Array.from({ length: TOKENS * dIn }, () => (options.inputScale ?? 1) * normal());
  const x64 = Float64Array.from(x);
  const runner = SaeRunner.create(sae, { threads: 1 });
  try {
    const k = 4;
    const engine = await runner.encode(x, { features: true, reconstruction: true, topK: k });
    const features = referenceEncode(sae, x64);
    const reconstruction = referenceDecode(sae, features, x64);
    const fired = features.filter((f) => f > 0).length / features.length;
    assert.ok(fired > 0.005 && fired < 0.995, `the fixture should fire some features and not others (fired ${fired})`);
    const featureError = maxError(engine.features!, features);
    assert.ok(featureError < TOLERANCE, `features: max abs error ${featureError}`);
    const reconstructionError = maxError(engine.reconstruction!, reconstruction);
    assert.ok(reconstructionError < TOLERANCE, `reconstruction: max abs error ${reconstructionError}`);

    // Decoding edited features: the reference decode of the same features.
    const edited = Float32Array.from(features, (f, i) => (i % 7 === 0 ? f + 0.5 : f));
    const decoded = await runner.decode(edited, x);
    assert.ok(maxError(decoded, referenceDecode(sae, Float64Array.from(edited), x64)) < TOLERANCE, 'decode of edited features');

    // Top-k: the reference's k largest per token, wherever the order is not decided by a near-tie.
    let checkedRows = 0;
    for (let t = 0; t < TOKENS; t++) {
      const ranked = Array.from(features.subarray(t * dSae, (t + 1) * dSae)).map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v);
      const decided = ranked.slice(0, k + 1).every((e, j, all) => j === 0 || all[j - 1].v - e.v > 1e-3);
      if (!decided) continue;
      checkedRows++;
      assert.deepEqual(Array.from(engine.top!.indices.subarray(t * k, (t + 1) * k)), ranked.slice(0, k).map((e) => e.i), `token ${t}`);
    }
    assert.ok(checkedRows >= TOKENS / 2, `top-k compared on ${checkedRows} of ${TOKENS} tokens`);
  } finally {
    await runner.dispose();
  }
}

const v6 = (options: Partial<SaeLensOptions> & Pick<SaeLensOptions, 'architecture'>) =>
  writeSaeLensV6(place(), { dIn: 16, dSae: 48, hookName: 'blocks.1.hook_resid_pre', seed: counter, ...options });

describe('SAE encode and decode agree with the float64 reference (max abs error < 1e-4)', () => {
  for (const architecture of ['standard', 'gated', 'jumprelu', 'topk'] as const) {
    test(`SAELens v6 ${architecture}`, () => compare(v6({ architecture, k: 6 })));
  }
  test('SAELens v6 topk with rescale_acts_by_decoder_norm', () => compare(v6({ architecture: 'topk', k: 6, rescaleActsByDecoderNorm: true })));
  test('SAELens v6 transcoder', () => compare(v6({ architecture: 'transcoder', hookNameOut: 'blocks.1.hook_mlp_out', applyBDecToInput: false })));
  test('SAELens v6 skip transcoder', () => compare(v6({ architecture: 'skip_transcoder', hookNameOut: 'blocks.1.hook_mlp_out', applyBDecToInput: false })));
  test('SAELens v6 jumprelu transcoder', () => compare(v6({ architecture: 'jumprelu_transcoder', hookNameOut: 'blocks.1.hook_mlp_out', applyBDecToInput: false })));
  test('normalize_activations constant_norm_rescale', () => compare(v6({ architecture: 'standard', normalizeActivations: 'constant_norm_rescale' }), { inputScale: 5 }));
  test('normalize_activations layer_norm', () => compare(v6({ architecture: 'jumprelu', normalizeActivations: 'layer_norm' }), { inputScale: 3 }));
  test('apply_b_dec_to_input false', () => compare(v6({ architecture: 'standard', applyBDecToInput: false })));
  test('centred input (center_writing_weights)', () => compare(v6({ architecture: 'standard', centerWritingWeights: true })));
  test('hook_z reshape', () => compare(v6({ architecture: 'standard', hookName: 'blocks.1.attn.hook_z', reshapeActivations: 'hook_z' })));
  test('F16 and BF16 weights (against the stored values)', async () => {
    await compare(v6({ architecture: 'standard', dtype: 'F16' }));
    await compare(v6({ architecture: 'gated', dtype: 'BF16' }));
  });
  test('SAELens legacy flat cfg (hook_point) and (hook_name, topk)', async () => {
    await compare(writeSaeLensLegacy(place(), { dIn: 16, dSae: 48, hookName: 'blocks.0.hook_resid_post', architecture: 'standard', style: 'hook_point', seed: 3 }));
    await compare(writeSaeLensLegacy(place(), { dIn: 16, dSae: 48, hookName: 'blocks.0.hook_resid_post', architecture: 'topk', k: 5, style: 'hook_name', seed: 4 }));
  });
  test('EleutherAI sparsify (TopK)', () => compare(writeSparsify(place(), { dIn: 16, hookpoint: 'h.1', expansionFactor: 3, k: 6, seed: 5 })));
  test('Gemma Scope params.npz, stored and deflated', async () => {
    await compare(writeGemmaScope(join(place(), 'gemma-scope-res', 'layer_1', 'width_16k', 'average_l0_5', 'params.npz'), { dIn: 16, dSae: 48, seed: 6, method: 'stored' }));
    await compare(writeGemmaScope(join(place(), 'gemma-scope-res', 'layer_1', 'width_16k', 'average_l0_5', 'params.npz'), { dIn: 16, dSae: 48, seed: 7, method: 'deflate' }));
  });
});

describe('centring of the SAE input', () => {
  test('the GPT-2 res-jb releases are recognised by neuronpedia_id; others are not', async () => {
    const { isCentredRelease } = await import('../../src/engine/sae/loadSae');
    for (const id of ['gpt2-small/0-res-jb', 'gpt2-small/11-res-jb', 'gpt2-small/8-res_fs24576-jb', 'gpt2-small/3-mlp-tm']) assert.ok(isCentredRelease(id), id);
    for (const id of [undefined, 'gpt2-small/0-att-kk', 'gemma-2-2b/12-gemmascope-res-16k', 'gpt2-small/0-res-jbx']) assert.ok(!isCentredRelease(id), String(id));
  });

  test('an explicit centerInput overrides cfg.json, and changes the encoding as the reference says', async () => {
    const written = v6({ architecture: 'standard' });
    assert.equal(loadSae(written.path).config.centerInput, false);
    const centred = loadSae(written.path, { centerInput: true });
    assert.equal(centred.config.centerInput, true);
    const x = Float32Array.from({ length: 16 * 3 }, (_, i) => Math.sin(i) + 2);
    const runner = SaeRunner.create(centred, { threads: 1 });
    try {
      const { features } = await runner.encode(x, { features: true });
      assert.ok(maxError(features!, referenceEncode(centred, Float64Array.from(x))) < TOLERANCE);
      const uncentred = referenceEncode(loadSae(written.path), Float64Array.from(x));
      assert.ok(maxError(features!, uncentred) > 1e-2, 'centring must change the features of inputs with a non-zero mean');
    } finally {
      await runner.dispose();
    }
  });
});
