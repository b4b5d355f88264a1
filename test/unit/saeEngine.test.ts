import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { textWindows } from '../../src/engine/analysis/textWindows';
import { HookedModel } from '../../src/engine/hookedModel';
import type { LoadedSae, SaeConfig } from '../../src/engine/sae/sae';
import { evaluateSae } from '../../src/engine/sae/saeMetrics';
import { featureActivations, runWithSae, saeInput, topFeaturesPerToken, zeroAblation } from '../../src/engine/sae/saeOnModel';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { seededNormal } from '../../src/engine/synthetic/randomGpt2';
import { tempCheckpoint } from '../fixtures/tempCheckpoint';

const PROMPT = { ids: [[5, 80, 13, 200, 42, 7, 99, 3, 150]] };
const TEXT = 'When Mary and John went to the store, John gave a drink to Mary. The house by the river.';

function baseConfig(hookName: string, dIn: number, dSae: number): SaeConfig {
  return {
    format: 'saelens', path: 'memory', architecture: 'standard', transcoder: false, dIn, dSae, dOut: dIn, hookName, hookNameOut: hookName,
    reshapeActivations: 'none', applyBDecToInput: false, normalizeActivations: 'none', scalingFactor: 1, centerInput: false, rescaleActsByDecoderNorm: false,
  };
}

/** W_enc = [I, −I], W_dec = [I; −I]: f = [relu(x), relu(−x)] and x̂ = relu(x) − relu(−x) = x exactly. */
function perfectSae(hookName: string, d: number): LoadedSae {
  const W_enc = new Float32Array(d * 2 * d);
  const W_dec = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    W_enc[i * 2 * d + i] = 1;
    W_enc[i * 2 * d + d + i] = -1;
    W_dec[i * d + i] = 1;
    W_dec[(d + i) * d + i] = -1;
  }
  return { config: baseConfig(hookName, d, 2 * d), weights: { W_enc, b_enc: new Float32Array(2 * d), W_dec, b_dec: new Float32Array(d) } };
}

function randomSae(hookName: string, d: number, dSae: number, seed: number, overrides: Partial<SaeConfig> = {}): LoadedSae {
  const normal = seededNormal(seed);
  const fill = (n: number, scale: number, shift = 0) => Float32Array.from({ length: n }, () => shift + scale * normal());
  return {
    config: { ...baseConfig(hookName, d, dSae), ...overrides },
    weights: { W_enc: fill(d * dSae, 1 / Math.sqrt(d)), b_enc: fill(dSae, 0.1, -0.2), W_dec: fill(dSae * d, 1 / Math.sqrt(dSae)), b_dec: fill(d, 0.1) },
  };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('SAEs on a model: splicing, ablation, top features, metrics', () => {
  let model: HookedModel;
  let cleanup: () => void;
  let clean: Float32Array;
  const runners: SaeRunner[] = [];
  const runner = (sae: LoadedSae) => {
    const r = SaeRunner.create(sae, { threads: 1 });
    runners.push(r);
    return r;
  };

  before(async () => {
    const checkpoint = tempCheckpoint({ seed: 31 });
    cleanup = checkpoint.cleanup;
    model = await HookedModel.load(checkpoint.dir, { threads: 1 });
    clean = (await model.run(PROMPT)).data;
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.dispose()));
    await model.dispose();
    cleanup();
  });

  test('splicing a perfect SAE (identity dictionary) leaves the logits unchanged, at every kind of hook', async () => {
    for (const hook of ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.0.hook_mlp_out']) {
      const spliced = await runWithSae(model, runner(perfectSae(hook, model.config.dModel)), PROMPT);
      assert.ok(maxDiff(spliced.logits.data, clean) < 1e-5, hook);
    }
    const z = perfectSae('blocks.1.attn.hook_z', model.config.dModel);
    z.config.reshapeActivations = 'hook_z';
    assert.ok(maxDiff((await runWithSae(model, runner(z), PROMPT)).logits.data, clean) < 1e-5, 'hook_z');
  });

  test('a random SAE changes the logits; with the error term it does not', async () => {
    const sae = runner(randomSae('blocks.1.hook_resid_pre', model.config.dModel, 64, 3));
    const without = await runWithSae(model, sae, PROMPT);
    assert.ok(maxDiff(without.logits.data, clean) > 1e-2);
    const withError = await runWithSae(model, sae, PROMPT, { useErrorTerm: true });
    assert.ok(maxDiff(withError.logits.data, clean) < 1e-5);
  });

  test('editing features with the error term moves the run by exactly the decoded edit', async () => {
    const hook = 'blocks.1.hook_resid_pre';
    const loaded = randomSae(hook, model.config.dModel, 64, 4);
    const sae = runner(loaded);
    const feature = 7;
    const d = model.config.dModel;
    const edited = await runWithSae(model, sae, PROMPT, {
      useErrorTerm: true,
      editFeatures: (f) => {
        for (let t = 0; t < f.length / 64; t++) f[t * 64 + feature] += 2;
      },
    });
    // Decoding is linear, so this equals adding 2 × W_dec[feature] to the hook at every position.
    const direction = loaded.weights.W_dec.map((w) => 2 * w).subarray(feature * d, (feature + 1) * d);
    const added = await model.runWithHooks(PROMPT, [{ hook, op: 'add', value: { dims: [d], data: direction } }]);
    assert.ok(maxDiff(edited.logits.data, added.logits.data) < 1e-4);
    assert.ok(maxDiff(edited.logits.data, clean) > 1e-3);
  });

  test('zero-ablation of the SAE hook equals a direct zero patch', async () => {
    const hook = 'blocks.0.hook_attn_out';
    const sae = randomSae(hook, model.config.dModel, 32, 5);
    const ablated = await model.runWithHooks(PROMPT, [zeroAblation(sae.config)]);
    const zero = { dims: model.hookDims(hook, 1, 9), data: new Float32Array(9 * model.config.dModel) };
    const patched = await model.runWithHooks(PROMPT, [{ hook, op: 'replace', value: zero }]);
    assert.deepEqual(ablated.logits.data, patched.logits.data);
  });

  test("top features per token are each token's k largest dense activations, best first", async () => {
    const hook = 'blocks.1.hook_resid_post';
    const sae = runner(randomSae(hook, model.config.dModel, 96, 6));
    const rows = await topFeaturesPerToken(model, sae, 'Mary and John went', 5);
    const cache = await model.runWithCache('Mary and John went', [hook]);
    const { features } = await sae.encode(saeInput(sae.config, cache.cache.get(hook)!), { features: true });
    rows.forEach((row, t) => {
      const dense = Array.from(features!.subarray(t * 96, (t + 1) * 96)).map((v, i) => ({ v, i })).filter((e) => e.v > 0).sort((a, b) => b.v - a.v).slice(0, 5);
      assert.deepEqual(row.features.map((f) => f.index), dense.map((e) => e.i), `token ${t}`);
      row.features.forEach((f, j) => assert.ok(Math.abs(f.activation - dense[j].v) < 1e-6));
    });
  });

  test('dense activations of chosen features over a prompt agree with the top-k view and reject unknown features', async () => {
    const hook = 'blocks.1.hook_resid_post';
    const sae = runner(randomSae(hook, model.config.dModel, 96, 6));
    const top = await topFeaturesPerToken(model, sae, 'Mary and John went', 3);
    const chosen = [top[2].features[0].index, 95, top[1].features[1].index];
    const { tokens, activations } = await featureActivations(model, sae, 'Mary and John went', chosen);
    assert.equal(tokens.length, top.length);
    assert.equal(activations.length, tokens.length * 3);
    assert.ok(Math.abs(activations[2 * 3 + 0] - top[2].features[0].activation) < 1e-6);
    assert.ok(Math.abs(activations[1 * 3 + 2] - top[1].features[1].activation) < 1e-6);
    await assert.rejects(featureActivations(model, sae, 'Mary', [96]), /feature 96 is not one of the SAE's 96 features/);
  });

  test('metrics of a perfect SAE: FVE 1, CE loss recovered 1, KL 0, L0 = d_in', async () => {
    const sae = perfectSae('blocks.1.hook_resid_pre', model.config.dModel);
    const report = await evaluateSae(model, sae, runner(sae), [{ source: 't', text: TEXT }], { contextSize: 16 });
    assert.ok(Math.abs(report.fractionOfVarianceExplained - 1) < 1e-6, String(report.fractionOfVarianceExplained));
    assert.ok(report.mse < 1e-10);
    assert.ok(Math.abs(report.cosineSimilarity - 1) < 1e-6);
    assert.ok(Math.abs(report.crossEntropy.lossRecovered - 1) < 1e-5);
    assert.ok(Math.abs(report.kl.withSae) < 1e-6);
    assert.ok(report.kl.zeroAblation > 0.01);
    assert.equal(report.l0, model.config.dModel);
    const windows = textWindows(model, [{ source: 't', text: TEXT }], 16);
    assert.equal(report.windows, windows.length);
    assert.equal(report.tokens, windows.reduce((sum, w) => sum + w.ids.length - 1, 0), 'every position but BOS is measured');
  });
});


describe('regressions', () => {
  test('a transcoder reading one head of hook_z writes the whole output hook (splice and sae-eval)', async () => {
    const { writeSaeLensV6 } = await import('../fixtures/saeFixtures');
    const { loadSae } = await import('../../src/engine/sae/loadSae');
    const checkpoint = tempCheckpoint({ seed: 32 });
    const model = await HookedModel.load(checkpoint.dir, { threads: 1 });
    const written = writeSaeLensV6(`${checkpoint.dir}/transcoder`, {
      architecture: 'transcoder', dIn: model.config.dHead, dOut: model.config.dModel, dSae: 24, hookName: 'blocks.0.attn.hook_z', hookHeadIndex: 1, hookNameOut: 'blocks.0.hook_mlp_out', applyBDecToInput: false, seed: 9,
    });
    const sae = loadSae(written.path);
    const runner = SaeRunner.create(sae, { threads: 1 });
    try {
      const clean = (await model.run(PROMPT)).data;
      assert.ok(maxDiff((await runWithSae(model, runner, PROMPT, { useErrorTerm: true })).logits.data, clean) < 1e-5);
      assert.ok(maxDiff((await runWithSae(model, runner, PROMPT)).logits.data, clean) > 1e-3, 'the reconstruction reaches hook_mlp_out');
      const report = await evaluateSae(model, sae, runner, [{ source: 't', text: TEXT }], { contextSize: 12 });
      assert.ok(Number.isFinite(report.fractionOfVarianceExplained));
      await assert.rejects(evaluateSae(model, sae, runner, [{ source: 't', text: TEXT }], { maxWindows: 0 }), /window limit must be a positive integer/);
      await assert.rejects(evaluateSae(model, sae, runner, [{ source: 't', text: TEXT }], { maxWindows: -1 }), /window limit must be a positive integer/);
    } finally {
      await runner.dispose();
      await model.dispose();
      checkpoint.cleanup();
    }
  });
});
