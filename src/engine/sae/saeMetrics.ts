import { logSumExp, row } from '../analysis/topK';
import { equalLengthBatches, textWindows } from '../analysis/textWindows';
import { MechLensError } from '../errors';
import type { HookedModel } from '../hookedModel';
import type { LoadedSae } from './sae';
import { outputLayout, saeInput, writeSaeOutput, zeroAblation } from './saeOnModel';
import type { SaeRunner } from './saeRunner';

/**
 * An SAE's quality over a text set (algorithms.md §4–5). Reconstruction statistics exclude the
 * BOS position (its norm is an outlier, as SAEBench excludes special tokens); the cross-entropy
 * figures use every next-token prediction of every window.
 */
export interface SaeReport {
  sae: { path: string; hookName: string; hookNameOut: string; architecture: string; dIn: number; dSae: number };
  texts: number;
  windows: number;
  contextSize: number;
  /** Token positions whose reconstruction was measured (BOS excluded). */
  tokens: number;
  l0: number;
  l1: number;
  /** Mean squared error per element, as SAELens's MSE. */
  mse: number;
  /** Textbook fraction of variance explained: 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean over the evaluated tokens. */
  fractionOfVarianceExplained: number;
  cosineSimilarity: number;
  /** Mean of ‖x̂‖ / ‖x‖. */
  relativeNorm: number;
  /** γ = E‖x̂‖² / E[x·x̂] (Gated SAE paper, eq. 10); 1 means no shrinkage. */
  shrinkage: number;
  crossEntropy: { clean: number; withSae: number; zeroAblation: number; lossRecovered: number; deltaLoss: number };
  kl: { withSae: number; zeroAblation: number; score: number };
  density: {
    deadFraction: number;
    /** Fraction of features firing on more than 1% / 10% of tokens. */
    denseOver1Percent: number;
    denseOver10Percent: number;
    /** Histogram of log10(density + 1e-10): bins [edges[i], edges[i+1]). */
    histogram: { edges: number[]; counts: number[] };
  };
  /** Bereska et al.: F = exp(H) of the features' share of total activation mass; ψ = F / d_in. */
  effectiveFeatures: { count: number; perNeuron: number; entropy: number; aliveFeatures: number };
}

export interface EvaluateOptions {
  contextSize?: number;
  batchSize?: number;
  /** Stop after this many windows (the first ones). */
  maxWindows?: number;
}

export async function evaluateSae(model: HookedModel, sae: LoadedSae, runner: SaeRunner, texts: { source: string; text: string }[], options: EvaluateOptions = {}): Promise<SaeReport> {
  const { config } = sae;
  const contextSize = options.contextSize ?? Math.min(128, model.config.nCtx);
  if (options.maxWindows !== undefined && (!Number.isInteger(options.maxWindows) || options.maxWindows < 1)) {
    throw new MechLensError(`the window limit must be a positive integer, got ${options.maxWindows}`);
  }
  const windows = textWindows(model, texts, contextSize).slice(0, options.maxWindows);
  if (windows.length === 0) throw new MechLensError('the text set is empty: give files with text in them');
  const vocab = model.config.dVocab;
  const acc = new Accumulator(config.dSae, config.dOut);

  for (const batch of equalLengthBatches(windows, options.batchSize ?? 8)) {
    const ids = batch.map((w) => w.ids);
    const p = ids[0].length;
    const hooks = [...new Set([config.hookName, config.hookNameOut])];
    const clean = await model.runWithCache({ ids }, hooks);
    const x = saeInput(config, clean.cache.get(config.hookName)!);
    const y = config.transcoder ? saeInput(outputLayout(config), clean.cache.get(config.hookNameOut)!) : x;
    const { features, reconstruction } = await runner.encode(x, { features: true, reconstruction: true });
    acc.addReconstruction(y, reconstruction!, features!, (t) => t % p !== 0);

    const spliced = await model.runWithHooks({ ids }, [{ hook: config.hookNameOut, op: 'edit', fn: (value) => void writeSaeOutput(config, value, reconstruction!) }]);
    const ablated = await model.runWithHooks({ ids }, [zeroAblation(config)]);
    for (let s = 0; s < ids.length; s++) {
      for (let t = 0; t + 1 < p; t++) {
        const at = s * p + t;
        const next = ids[s][t + 1];
        acc.addPrediction(row(clean.logits.data, vocab, at), row(spliced.logits.data, vocab, at), row(ablated.logits.data, vocab, at), next);
      }
    }
  }
  return acc.report(sae, { texts: texts.length, windows: windows.length, contextSize });
}

/** Running sums in float64 over tokens and predictions. */
class Accumulator {
  private tokens = 0;
  private active = 0;
  private l1 = 0;
  private squaredError = 0;
  private squaredNorm = 0;
  private readonly sum: Float64Array;
  private cosine = 0;
  private relativeNorm = 0;
  private reconstructionSquared = 0;
  private dot = 0;
  private readonly firing: Float64Array;
  private readonly mass: Float64Array;
  private predictions = 0;
  private ce = { clean: 0, sae: 0, zero: 0 };
  private kl = { sae: 0, zero: 0 };

  constructor(
    private readonly dSae: number,
    private readonly dOut: number,
  ) {
    this.sum = new Float64Array(dOut);
    this.firing = new Float64Array(dSae);
    this.mass = new Float64Array(dSae);
  }

  addReconstruction(target: Float32Array, reconstruction: Float32Array, features: Float32Array, include: (token: number) => boolean): void {
    const n = target.length / this.dOut;
    for (let t = 0; t < n; t++) {
      if (!include(t)) continue;
      this.tokens++;
      let error = 0, xx = 0, rr = 0, xr = 0;
      for (let i = 0; i < this.dOut; i++) {
        const x = target[t * this.dOut + i];
        const r = reconstruction[t * this.dOut + i];
        error += (x - r) ** 2;
        xx += x * x;
        rr += r * r;
        xr += x * r;
        this.sum[i] += x;
      }
      this.squaredError += error;
      this.squaredNorm += xx;
      this.reconstructionSquared += rr;
      this.dot += xr;
      this.cosine += xx > 0 && rr > 0 ? xr / Math.sqrt(xx * rr) : 0;
      this.relativeNorm += xx > 0 ? Math.sqrt(rr / xx) : 0;
      for (let j = 0; j < this.dSae; j++) {
        const f = features[t * this.dSae + j];
        if (f !== 0) {
          this.active++;
          this.firing[j]++;
          this.l1 += Math.abs(f);
          this.mass[j] += Math.abs(f);
        }
      }
    }
  }

  addPrediction(clean: Float32Array, sae: Float32Array, zero: Float32Array, next: number): void {
    const lseClean = logSumExp(clean);
    const lseSae = logSumExp(sae);
    const lseZero = logSumExp(zero);
    this.predictions++;
    this.ce.clean += lseClean - clean[next];
    this.ce.sae += lseSae - sae[next];
    this.ce.zero += lseZero - zero[next];
    let klSae = 0, klZero = 0;
    for (let v = 0; v < clean.length; v++) {
      const logP = clean[v] - lseClean;
      const p = Math.exp(logP);
      if (p === 0) continue;
      klSae += p * (logP - (sae[v] - lseSae));
      klZero += p * (logP - (zero[v] - lseZero));
    }
    this.kl.sae += klSae;
    this.kl.zero += klZero;
  }

  report(sae: LoadedSae, counts: { texts: number; windows: number; contextSize: number }): SaeReport {
    const { config, weights } = sae;
    const T = this.tokens;
    if (T === 0) throw new MechLensError('the text set has no tokens after BOS to evaluate');
    let meanSquaredNorm = 0;
    for (let i = 0; i < this.dOut; i++) meanSquaredNorm += (this.sum[i] / T) ** 2;
    const totalVariance = this.squaredNorm - T * meanSquaredNorm;
    const ce = { clean: this.ce.clean / this.predictions, withSae: this.ce.sae / this.predictions, zeroAblation: this.ce.zero / this.predictions };
    const kl = { withSae: this.kl.sae / this.predictions, zeroAblation: this.kl.zero / this.predictions };
    const density = Array.from(this.firing, (count) => count / T);
    return {
      sae: { path: config.path, hookName: config.hookName, hookNameOut: config.hookNameOut, architecture: config.architecture + (config.transcoder ? ' transcoder' : ''), dIn: config.dIn, dSae: config.dSae },
      ...counts,
      tokens: T,
      l0: this.active / T,
      l1: this.l1 / T,
      mse: this.squaredError / (T * this.dOut),
      fractionOfVarianceExplained: 1 - this.squaredError / totalVariance,
      cosineSimilarity: this.cosine / T,
      relativeNorm: this.relativeNorm / T,
      shrinkage: this.reconstructionSquared / this.dot,
      crossEntropy: { ...ce, lossRecovered: (ce.zeroAblation - ce.withSae) / (ce.zeroAblation - ce.clean), deltaLoss: ce.withSae - ce.clean },
      kl: { ...kl, score: (kl.zeroAblation - kl.withSae) / kl.zeroAblation },
      density: {
        deadFraction: density.filter((d) => d === 0).length / this.dSae,
        denseOver1Percent: density.filter((d) => d > 0.01).length / this.dSae,
        denseOver10Percent: density.filter((d) => d > 0.1).length / this.dSae,
        histogram: logDensityHistogram(density),
      },
      effectiveFeatures: effectiveFeatures(this.mass, weights.W_dec, config.dOut, config.dIn, config.architecture === 'topk' && config.rescaleActsByDecoderNorm),
    };
  }
}

function logDensityHistogram(density: number[]): { edges: number[]; counts: number[] } {
  const edges = Array.from({ length: 22 }, (_, i) => -10.5 + i * 0.5);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const d of density) {
    const value = Math.log10(d + 1e-10);
    const bin = Math.min(counts.length - 1, Math.max(0, Math.floor((value - edges[0]) / 0.5)));
    counts[bin]++;
  }
  return { edges, counts };
}

/**
 * Weights |z_i| by ‖W_dec[i]‖, the size of what feature i adds to the reconstruction (algorithms.md §4,
 * ours); a TopK SAE with rescale_acts_by_decoder_norm decodes z_i / ‖W_dec[i]‖, so there it is |z_i|.
 */
function effectiveFeatures(mass: Float64Array, decoder: Float32Array, dOut: number, width: number, decodesByNorm: boolean) {
  const weighted = Array.from(mass, (m, j) => {
    if (decodesByNorm) return m;
    let norm = 0;
    for (let i = 0; i < dOut; i++) norm += decoder[j * dOut + i] ** 2;
    return m * Math.sqrt(norm);
  });
  const total = weighted.reduce((a, b) => a + b, 0);
  if (total === 0) return { count: 0, perNeuron: 0, entropy: 0, aliveFeatures: 0 };
  let entropy = 0;
  for (const w of weighted) if (w > 0) entropy -= (w / total) * Math.log(w / total);
  const count = Math.exp(entropy);
  return { count, perNeuron: count / width, entropy, aliveFeatures: weighted.filter((w) => w > 0).length };
}
