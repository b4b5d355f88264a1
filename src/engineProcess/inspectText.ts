import { row, topK } from '../engine/analysis/topK';
import { MechLensError } from '../engine/errors';
import type { HookedModel } from '../engine/hookedModel';
import { featureActivations, saeInput } from '../engine/sae/saeOnModel';
import type { SaeRunner } from '../engine/sae/saeRunner';
import { labelLine } from '../engine/labels/featureLabels';
import type { FeatureLabel } from '../protocol/featureIndex';
import type { InspectFeature, InspectResult, InspectSae, InspectTopFeature } from '../protocol/inspectResult';

/** An SAE as the engine service holds it: its runner and its labels. */
export interface InspectableSae {
  id: string;
  runner: SaeRunner;
  labels: { stored(index: number): FeatureLabel | undefined };
}

export interface InspectOptions {
  topK: number;
  maxFeatures: number;
  predictions: number;
}

/**
 * Inspect Features for one text: a single run of the model caching every SAE's hook, then each
 * SAE's encoder once (dense features and the per-token top-k together). The BOS token the model
 * reads first is left out of every table. Same numbers as topFeaturesPerToken and
 * featureActivations, in one forward pass instead of two per SAE.
 */
export async function inspectText(model: HookedModel, saes: readonly InspectableSae[], text: string, options: InspectOptions): Promise<InspectResult> {
  if (saes.length === 0) throw new MechLensError('no SAE is loaded: Inspect Features shows SAE features (add SAEs in the mechlens.sae.paths setting, or use the embedded default model, which brings its own)');
  checkLength(model, text);
  const run = await model.runWithCache(text, [...new Set(saes.map((s) => s.runner.config.hookName))]);
  const allTokens = run.input.tokens[0];
  const last = allTokens.length - 1;
  const predictions = topK(row(run.logits.data, model.config.dVocab, last), options.predictions).map((p) => ({ ...p, text: model.tokenizer.decode([p.id]) }));
  const result: InspectResult = {
    tokens: allTokens.slice(1).map(({ id, text: tokenText, span }) => ({ id, text: tokenText, span })),
    nCtx: model.config.nCtx,
    topK: options.topK,
    maxFeatures: options.maxFeatures,
    predictions,
    saes: [],
  };
  for (const sae of saes) {
    const { config } = sae.runner;
    const k = Math.min(options.topK, config.dSae);
    const encoded = await sae.runner.encode(saeInput(config, run.cache.get(config.hookName)!), { features: true, topK: k });
    result.saes.push(saeTables(sae, encoded.features!, encoded.top!, allTokens.length, options.maxFeatures));
  }
  return result;
}

/** One feature's activation at each text token (BOS left out). */
export async function inspectFeature(model: HookedModel, sae: InspectableSae, text: string, feature: number): Promise<number[]> {
  checkLength(model, text);
  const { activations } = await featureActivations(model, sae.runner, text, [feature]);
  return Array.from(activations.subarray(1));
}

/** Refuses a text longer than the model's context (BOS included) before running anything. */
function checkLength(model: HookedModel, text: string): void {
  const count = model.tokenizer.encode(text).length;
  if (count === 0) throw new MechLensError('the text has no tokens');
  if (count + 1 > model.config.nCtx) {
    throw new MechLensError(`the text is ${count} tokens long (${count + 1} with the BOS token), more than the model's context of ${model.config.nCtx} tokens: select a shorter passage`);
  }
}

/** Per-token top lists, the capped union of their features, and that union's activation columns. */
function saeTables(sae: InspectableSae, dense: Float32Array, top: { k: number; values: Float32Array; indices: Int32Array }, tokenCount: number, maxFeatures: number): InspectSae {
  const { dSae, hookName } = sae.runner.config;
  const label = (index: number) => labelLine(sae.labels.stored(index));
  const topFeatures: InspectTopFeature[][] = [];
  const union = new Set<number>();
  for (let t = 1; t < tokenCount; t++) {
    const features: InspectTopFeature[] = [];
    for (let j = 0; j < top.k; j++) {
      const activation = top.values[t * top.k + j];
      if (!(activation > 0)) continue;
      const index = top.indices[t * top.k + j];
      union.add(index);
      features.push(withLabel({ index, activation }, label(index)));
    }
    topFeatures.push(features);
  }
  const ranked: InspectFeature[] = [...union].map((index) => {
    let max = -Infinity;
    for (let t = 1; t < tokenCount; t++) max = Math.max(max, dense[t * dSae + index]);
    return withLabel({ index, maxActivation: max }, label(index));
  });
  ranked.sort((a, b) => b.maxActivation - a.maxActivation || a.index - b.index);
  const features = ranked.slice(0, maxFeatures);
  const activations = Array.from({ length: tokenCount - 1 }, (_, i) => features.map((f) => dense[(i + 1) * dSae + f.index]));
  return { saeId: sae.id, hookName, dSae, topFeatures, features, unionSize: union.size, activations };
}

function withLabel<T extends object>(entry: T, label: string | undefined): T & { label?: string } {
  return label === undefined ? entry : { ...entry, label };
}
