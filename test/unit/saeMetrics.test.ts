/**
 * evaluateSae (src/engine/sae/saeMetrics.ts) against an independent brute force, written from the
 * definitions in algorithms.md §4–5: every window is run through the model one at a time
 * (runWithCache for the hook values and the clean logits, runWithHooks with a 'replace' of the
 * float64 reference reconstruction, and with zeros), and every statistic is recomputed in float64
 * here, without evaluateSae or anything of saeMetrics.ts.
 * Reconstruction and code statistics leave out each window's BOS position; CE and KL use every
 * next-token prediction.
 * Run: node --import tsx --test test/unit/saeMetrics.test.ts
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadSae } from '../../src/engine/sae/loadSae';
import type { LoadedSae } from '../../src/engine/sae/sae';
import { evaluateSae, type SaeReport } from '../../src/engine/sae/saeMetrics';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { rejectsUserError } from '../fixtures/corruptFiles';
import { writeSaeLensV6, writeTensors, type SaeLensOptions } from '../fixtures/saeFixtures';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';
import { referenceDecode, referenceEncode } from '../reference/saeReference';

const TEXTS = [
  { source: 'a.txt', text: 'When Mary and John went to the store, John gave a drink to Mary and the cat sat.' },
  { source: 'b.txt', text: 'Hello world, the cat sat.' },
];
const CONTEXT = 12;
const D_SAE = 48;

/** What the definitions give, computed here in float64. */
interface Expected {
  windows: number[][];
  tokens: number;
  predictions: number;
  l0: number;
  l1: number;
  mse: number;
  fve: number;
  cosine: number;
  relativeNorm: number;
  shrinkage: number;
  ce: { clean: number; withSae: number; zeroAblation: number; lossRecovered: number; deltaLoss: number };
  kl: { withSae: number; zeroAblation: number; score: number };
  density: number[];
  dead: number;
  dense1: number;
  dense10: number;
  effective: { count: number; perNeuron: number; entropy: number; alive: number };
}

/** Windows as the evaluation cuts them: BOS, then each run of contextSize − 1 of the text's tokens. */
function cutWindows(model: HookedModel, texts: { text: string }[], contextSize: number): number[][] {
  const windows: number[][] = [];
  for (const { text } of texts) {
    if (text.trim() === '') continue;
    const ids = model.tokenizer.encode(text).map((token) => token.id);
    for (let start = 0; start < ids.length; start += contextSize - 1) windows.push([model.bosTokenId, ...ids.slice(start, start + contextSize - 1)]);
  }
  return windows;
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - lse);
}

/** KL(p‖q) from log-probabilities. */
function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let v = 0; v < logP.length; v++) {
    const p = Math.exp(logP[v]);
    if (p > 0) kl += p * (logP[v] - logQ[v]);
  }
  return kl;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function bruteForce(model: HookedModel, sae: LoadedSae, windows: number[][]): Promise<Expected> {
  const { hookName, hookNameOut, dIn, dSae, dOut } = sae.config;
  const targets: Float64Array[] = [];
  const reconstructions: Float64Array[] = [];
  const codes: Float64Array[] = [];
  const ce = { clean: [] as number[], sae: [] as number[], zero: [] as number[] };
  const kl = { sae: [] as number[], zero: [] as number[] };
  const vocab = model.config.dVocab;
  for (const ids of windows) {
    const p = ids.length;
    const clean = await model.runWithCache({ ids: [ids] }, [hookName, hookNameOut]);
    const input = Float64Array.from(clean.cache.get(hookName)!.data);
    const target = clean.cache.get(hookNameOut)!.data;
    const z = referenceEncode(sae, input);
    const reconstruction = referenceDecode(sae, z, input);
    const dims = model.hookDims(hookNameOut, 1, p);
    assert.deepEqual(dims, [1, p, dOut]);
    const spliced = await model.runWithHooks({ ids: [ids] }, [{ hook: hookNameOut, op: 'replace', value: { dims, data: Float32Array.from(reconstruction) } }]);
    const ablated = await model.runWithHooks({ ids: [ids] }, [{ hook: hookNameOut, op: 'replace', value: { dims, data: new Float32Array(p * dOut) } }]);
    for (let t = 1; t < p; t++) {
      targets.push(Float64Array.from(target.subarray(t * dOut, (t + 1) * dOut)));
      reconstructions.push(reconstruction.slice(t * dOut, (t + 1) * dOut));
      codes.push(z.slice(t * dSae, (t + 1) * dSae));
    }
    for (let t = 0; t + 1 < p; t++) {
      const at = (data: Float32Array) => logSoftmax(data.subarray(t * vocab, (t + 1) * vocab));
      const [logClean, logSae, logZero] = [at(clean.logits.data), at(spliced.logits.data), at(ablated.logits.data)];
      const next = ids[t + 1];
      ce.clean.push(-logClean[next]);
      ce.sae.push(-logSae[next]);
      ce.zero.push(-logZero[next]);
      kl.sae.push(klDivergence(logClean, logSae));
      kl.zero.push(klDivergence(logClean, logZero));
    }
  }

  const T = targets.length;
  const centre = new Float64Array(dOut);
  for (const x of targets) for (let i = 0; i < dOut; i++) centre[i] += x[i] / T;
  let squaredError = 0;
  let variance = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < dOut; i++) {
      squaredError += (targets[t][i] - reconstructions[t][i]) ** 2;
      variance += (targets[t][i] - centre[i]) ** 2;
    }
  }
  const norm = (v: Float64Array) => Math.sqrt(dot(v, v));
  const cosines = targets.map((x, t) => dot(x, reconstructions[t]) / (norm(x) * norm(reconstructions[t])));
  const ratios = targets.map((x, t) => norm(reconstructions[t]) / norm(x));
  const reconstructionSquared = reconstructions.reduce((s, r) => s + dot(r, r), 0);
  const xDotReconstruction = targets.reduce((s, x, t) => s + dot(x, reconstructions[t]), 0);

  const density = Array.from({ length: dSae }, (_, j) => codes.filter((z) => z[j] > 0).length / T);
  const decoderNorms = Array.from({ length: dSae }, (_, j) => norm(Float64Array.from(sae.weights.W_dec.subarray(j * dOut, (j + 1) * dOut))));
  const mass = Array.from({ length: dSae }, (_, j) => codes.reduce((s, z) => s + Math.abs(z[j]), 0) * decoderNorms[j]);
  const total = mass.reduce((a, b) => a + b, 0);
  const entropy = -mass.filter((m) => m > 0).reduce((s, m) => s + (m / total) * Math.log(m / total), 0);

  const ceClean = mean(ce.clean);
  const ceSae = mean(ce.sae);
  const ceZero = mean(ce.zero);
  const klSae = mean(kl.sae);
  const klZero = mean(kl.zero);
  return {
    windows,
    tokens: T,
    predictions: ce.clean.length,
    l0: codes.reduce((s, z) => s + z.filter((v) => v > 0).length, 0) / T,
    l1: codes.reduce((s, z) => s + z.reduce((a, v) => a + Math.abs(v), 0), 0) / T,
    mse: squaredError / (T * dOut),
    fve: 1 - squaredError / variance,
    cosine: mean(cosines),
    relativeNorm: mean(ratios),
    shrinkage: reconstructionSquared / xDotReconstruction,
    ce: { clean: ceClean, withSae: ceSae, zeroAblation: ceZero, lossRecovered: (ceZero - ceSae) / (ceZero - ceClean), deltaLoss: ceSae - ceClean },
    kl: { withSae: klSae, zeroAblation: klZero, score: (klZero - klSae) / klZero },
    density,
    dead: density.filter((d) => d === 0).length / dSae,
    dense1: density.filter((d) => d > 0.01).length / dSae,
    dense10: density.filter((d) => d > 0.1).length / dSae,
    effective: { count: Math.exp(entropy), perNeuron: Math.exp(entropy) / dIn, entropy, alive: mass.filter((m) => m > 0).length },
  };
}

/** |actual − expected| ≤ rtol·|expected| + atol */
function close(actual: number, expected: number, what: string, rtol = 1e-4, atol = 1e-7): void {
  assert.equal(typeof actual, 'number', `${what}: ${actual}`);
  assert.ok(Number.isFinite(expected), `test bug: ${what} expected ${expected}`);
  assert.ok(Math.abs(actual - expected) <= rtol * Math.abs(expected) + atol, `${what}: got ${actual}, expected ${expected} (difference ${actual - expected})`);
}

/** Counts of log10(d + 1e-10) in [edges[i], edges[i+1]); values at or past the last edge (d = 1) count in the last bin. */
function histogramCounts(density: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const d of density) {
    const value = Math.log10(d + 1e-10);
    let bin = edges.findIndex((edge, i) => i + 1 < edges.length && edge <= value && value < edges[i + 1]);
    if (bin < 0) bin = value >= edges[edges.length - 1] ? counts.length - 1 : -1;
    assert.ok(bin >= 0, `log density ${value} is below the histogram's first edge ${edges[0]}`);
    counts[bin]++;
  }
  return counts;
}

interface Case {
  name: string;
  options: SaeLensOptions;
  architecture: string;
  /** Edits the written tensors (e.g. to make features dead or rare) before they are written again. */
  edit?: (tensors: Record<string, { shape: number[]; data: Float32Array }>) => void;
}

const CASES: Case[] = [
  {
    name: 'standard SAE at blocks.1.hook_resid_pre',
    options: { architecture: 'standard', hookName: 'blocks.1.hook_resid_pre', dIn: 16, dSae: D_SAE, seed: 11, inputScale: 1.4 },
    architecture: 'standard',
    // Features 0–2 never fire; 3–8 fire rarely: the density histogram gets several bins and the dead fraction is not 0.
    edit: (tensors) => {
      for (let j = 0; j < 3; j++) tensors.b_enc.data[j] = -1000;
      for (let j = 3; j < 9; j++) tensors.b_enc.data[j] = -2.5 - 0.25 * j;
    },
  },
  {
    name: 'top-k SAE (k 4) at blocks.1.hook_resid_pre',
    options: { architecture: 'topk', hookName: 'blocks.1.hook_resid_pre', dIn: 16, dSae: D_SAE, k: 4, seed: 12, inputScale: 1.4 },
    architecture: 'topk',
  },
  {
    name: 'transcoder blocks.0.hook_resid_mid → blocks.0.hook_mlp_out',
    options: { architecture: 'transcoder', hookName: 'blocks.0.hook_resid_mid', hookNameOut: 'blocks.0.hook_mlp_out', dIn: 16, dOut: 16, dSae: D_SAE, seed: 13, inputScale: 1.2 },
    architecture: 'standard transcoder',
  },
];

describe('evaluateSae against a float64 brute force from the definitions', () => {
  let model: HookedModel;
  const cleanups: (() => void)[] = [];
  const runners: SaeRunner[] = [];
  const loaded = new Map<string, { sae: LoadedSae; runner: SaeRunner; report: SaeReport; expected: Expected }>();

  before(async () => {
    const checkpoint = tempCheckpoint({ seed: 7 });
    cleanups.push(checkpoint.cleanup);
    model = await HookedModel.load(checkpoint.dir, { threads: 1 });
    const saes = tempDir('mechlens-sae-metrics-');
    cleanups.push(saes.cleanup);
    for (const [i, c] of CASES.entries()) {
      const dir = join(saes.dir, `sae${i}`);
      const written = writeSaeLensV6(dir, c.options);
      if (c.edit) {
        c.edit(written.tensors);
        writeTensors(join(dir, 'sae_weights.safetensors'), written.tensors);
      }
      const sae = loadSae(dir);
      const runner = SaeRunner.create(sae, { threads: 1 });
      runners.push(runner);
      const report = await evaluateSae(model, sae, runner, TEXTS, { contextSize: CONTEXT });
      loaded.set(c.name, { sae, runner, report, expected: await bruteForce(model, sae, cutWindows(model, TEXTS, CONTEXT)) });
    }
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.dispose()));
    await model?.dispose();
    cleanups.forEach((cleanup) => cleanup());
  });

  test('the fixture is not degenerate: several windows, short last ones, dead and rare features', () => {
    const { expected } = loaded.get(CASES[0].name)!;
    const lengths = expected.windows.map((w) => w.length);
    assert.ok(lengths.length >= 4, `windows of lengths ${lengths}`);
    assert.ok(lengths.some((n) => n === CONTEXT) && lengths.some((n) => n < CONTEXT), `full and short windows: ${lengths}`);
    assert.ok(lengths.every((n) => n >= 2 && n <= CONTEXT));
    assert.ok(expected.dead > 0 && expected.dead < 0.5, `dead fraction ${expected.dead}`);
    assert.ok(expected.density.some((d) => d > 0 && d <= 0.1), 'some features are rare');
    for (const c of CASES) {
      const e = loaded.get(c.name)!.expected;
      assert.ok(Math.abs(e.ce.zeroAblation - e.ce.clean) > 1e-3, `${c.name}: zero-ablation changes the loss (${e.ce.zeroAblation} vs ${e.ce.clean})`);
      assert.ok(e.kl.withSae > 1e-4, `${c.name}: the SAE is not perfect (KL ${e.kl.withSae})`);
    }
  });

  for (const c of CASES) {
    describe(c.name, () => {
      const get = () => loaded.get(c.name)!;

      test('identity and counts: texts, windows, context, tokens measured (BOS excluded)', () => {
        const { report, expected, sae } = get();
        assert.deepEqual(report.sae, {
          path: sae.config.path,
          hookName: c.options.hookName,
          hookNameOut: c.options.hookNameOut ?? c.options.hookName,
          architecture: c.architecture,
          dIn: 16,
          dSae: D_SAE,
        });
        assert.equal(report.texts, TEXTS.length);
        assert.equal(report.contextSize, CONTEXT);
        assert.equal(report.windows, expected.windows.length);
        assert.equal(report.tokens, expected.tokens);
        const textTokens = TEXTS.reduce((s, { text }) => s + model.tokenizer.encode(text).length, 0);
        assert.equal(report.tokens, textTokens, 'every text token is measured once, BOS never');
      });

      test('sparsity: L0 exactly, L1', () => {
        const { report, expected } = get();
        assert.equal(report.l0, expected.l0);
        if (c.options.architecture === 'topk') assert.equal(report.l0, 4);
        close(report.l1, expected.l1, 'L1', 1e-5);
      });

      test('reconstruction: MSE, textbook FVE, cosine, relative norm, shrinkage', () => {
        const { report, expected } = get();
        close(report.mse, expected.mse, 'MSE', 1e-5);
        close(report.fractionOfVarianceExplained, expected.fve, 'FVE', 1e-5);
        close(report.cosineSimilarity, expected.cosine, 'cosine', 1e-5);
        close(report.relativeNorm, expected.relativeNorm, 'relative norm', 1e-5);
        close(report.shrinkage, expected.shrinkage, 'shrinkage', 1e-5);
      });

      test('cross-entropy: clean, with the SAE spliced in, zero-ablated; loss recovered and Δloss', () => {
        const { report, expected } = get();
        close(report.crossEntropy.clean, expected.ce.clean, 'CE clean');
        close(report.crossEntropy.withSae, expected.ce.withSae, 'CE with SAE');
        close(report.crossEntropy.zeroAblation, expected.ce.zeroAblation, 'CE zero-ablated');
        close(report.crossEntropy.lossRecovered, expected.ce.lossRecovered, 'CE loss recovered');
        close(report.crossEntropy.deltaLoss, expected.ce.deltaLoss, 'Δloss', 1e-4, 1e-6);
      });

      test('KL(p_clean ‖ p) with the SAE and zero-ablated, and the KL score', () => {
        const { report, expected } = get();
        close(report.kl.withSae, expected.kl.withSae, 'KL with SAE', 1e-4, 1e-6);
        close(report.kl.zeroAblation, expected.kl.zeroAblation, 'KL zero-ablated', 1e-4, 1e-6);
        close(report.kl.score, expected.kl.score, 'KL score');
      });

      test('density: dead and dense fractions exactly, and the log10-density histogram', () => {
        const { report, expected } = get();
        assert.equal(report.density.deadFraction, expected.dead);
        assert.equal(report.density.denseOver1Percent, expected.dense1);
        assert.equal(report.density.denseOver10Percent, expected.dense10);
        const { edges, counts } = report.density.histogram;
        assert.equal(counts.length, edges.length - 1);
        for (let i = 1; i < edges.length; i++) assert.ok(edges[i] > edges[i - 1], `edges increase: ${edges}`);
        assert.ok(edges[0] <= -10, `the first edge ${edges[0]} covers log10(1e-10) (dead features)`);
        assert.ok(edges[edges.length - 1] >= -1e-9, `the last edge ${edges[edges.length - 1]} reaches log10(1)`);
        assert.deepEqual(counts, histogramCounts(expected.density, edges));
        assert.equal(counts.reduce((a, b) => a + b, 0), D_SAE);
      });

      test('effective number of features: F = exp(H) of the decoder-norm-weighted activation mass, ψ = F / d_in, alive count', () => {
        const { report, expected } = get();
        close(report.effectiveFeatures.entropy, expected.effective.entropy, 'H', 1e-5);
        close(report.effectiveFeatures.count, expected.effective.count, 'F', 1e-5);
        close(report.effectiveFeatures.perNeuron, expected.effective.perNeuron, 'ψ', 1e-5);
        assert.equal(report.effectiveFeatures.aliveFeatures, expected.effective.alive);
        assert.equal(report.effectiveFeatures.aliveFeatures, D_SAE - Math.round(expected.dead * D_SAE), 'alive = not dead');
      });
    });
  }

  test('the batch size does not change the report', async () => {
    const { sae, runner, report } = loaded.get(CASES[0].name)!;
    const oneByOne = await evaluateSae(model, sae, runner, TEXTS, { contextSize: CONTEXT, batchSize: 1 });
    assert.equal(oneByOne.tokens, report.tokens);
    assert.equal(oneByOne.l0, report.l0);
    assert.deepEqual(oneByOne.density, report.density);
    close(oneByOne.fractionOfVarianceExplained, report.fractionOfVarianceExplained, 'FVE', 1e-5);
    close(oneByOne.crossEntropy.withSae, report.crossEntropy.withSae, 'CE with SAE', 1e-5);
    close(oneByOne.kl.withSae, report.kl.withSae, 'KL with SAE', 1e-4, 1e-7);
  });

  test('maxWindows keeps the first windows', async () => {
    const { sae, runner } = loaded.get(CASES[1].name)!;
    const windows = cutWindows(model, TEXTS, CONTEXT);
    const first = await evaluateSae(model, sae, runner, TEXTS, { contextSize: CONTEXT, maxWindows: 2 });
    assert.equal(first.windows, 2);
    assert.equal(first.tokens, windows[0].length - 1 + windows[1].length - 1);
    const expected = await bruteForce(model, sae, windows.slice(0, 2));
    assert.equal(first.l0, expected.l0);
    close(first.crossEntropy.clean, expected.ce.clean, 'CE clean');
    close(first.fractionOfVarianceExplained, expected.fve, 'FVE', 1e-5);
  });

  test('an empty or whitespace-only text set is a user error', async () => {
    const { sae, runner } = loaded.get(CASES[0].name)!;
    await rejectsUserError(() => evaluateSae(model, sae, runner, [], { contextSize: CONTEXT }), ['empty']);
    await rejectsUserError(() => evaluateSae(model, sae, runner, [{ source: 'blank.txt', text: '  \n\t \n' }, { source: 'empty.txt', text: '' }], { contextSize: CONTEXT }), ['empty']);
  });

  test("a context size outside 2…n_ctx is a user error naming the range; the bounds themselves work", async () => {
    const { sae, runner } = loaded.get(CASES[0].name)!;
    for (const contextSize of [0, 1, 33, 1000, 2.5]) {
      await rejectsUserError(() => evaluateSae(model, sae, runner, TEXTS, { contextSize }), ['2', `${model.config.nCtx}`, String(contextSize)]);
    }
    const full = await evaluateSae(model, sae, runner, TEXTS, { contextSize: model.config.nCtx });
    assert.equal(full.windows, cutWindows(model, TEXTS, model.config.nCtx).length);
    assert.equal(full.tokens, cutWindows(model, TEXTS, 2).length, 'the same tokens, whatever the window');
    const pairs = await evaluateSae(model, sae, runner, [TEXTS[1]], { contextSize: 2 });
    const textTokens = model.tokenizer.encode(TEXTS[1].text).length;
    assert.equal(pairs.windows, textTokens, 'context 2: one window per token');
    assert.equal(pairs.tokens, textTokens);
  });
});
