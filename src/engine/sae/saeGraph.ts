import { GraphBuilder, int, type GraphDefinition } from '../graph/graphDefinition';
import type { LoadedSae, SaeConfig } from './sae';

/**
 * The SAE as two ONNX graphs over the shared weight inputs (see sae.ts for the math):
 *  - encode: x [n, dIn] → features [n, dSae], reconstruction [n, dOut], and the sparse top-k
 *    (values, indices) of the features for k given at run time;
 *  - decode: features [n, dSae] with the input x (for the normalisation's statistics and the skip
 *    connection) → reconstruction [n, dOut].
 */

export const SAE_INPUTS = { x: 'x', features: 'features', k: 'k' } as const;
export const SAE_OUTPUTS = {
  features: 'sae_features',
  reconstruction: 'sae_reconstruction',
  topValues: 'sae_top_values',
  topIndices: 'sae_top_indices',
} as const;

/** Weight inputs of the SAE graphs; derived ones are computed once at load (see saeWeightTensors). */
export const SAE_WEIGHTS = {
  W_enc: 'sae.W_enc',
  b_enc: 'sae.b_enc',
  W_dec: 'sae.W_dec',
  b_dec: 'sae.b_dec',
  threshold: 'sae.threshold',
  /** W_enc ⊙ exp(r_mag), gated only */
  W_mag: 'sae.W_mag',
  b_mag: 'sae.b_mag',
  /** ‖W_dec row‖, topk with rescale only */
  decoderNorms: 'sae.decoder_norms',
  W_skip: 'sae.W_skip',
} as const;

interface Normalisation {
  /** The input as the encoder sees it (after centring, normalising and b_dec). */
  encoderInput: string;
  /** Maps a reconstruction back to the activation's scale. */
  undo: (reconstruction: string) => string;
}

function normaliseInput(g: GraphBuilder, x: string, config: SaeConfig): Normalisation {
  const lastAxis = g.constant('int64', [1], [-1]);
  const mean = (t: string) => g.op('ReduceMean', [t, lastAxis], { keepdims: int(1) });
  let input = x;
  if (config.centerInput) input = g.op('Sub', [input, mean(input)]);
  let undo = (r: string) => r;
  switch (config.normalizeActivations) {
    case 'none':
      break;
    case 'expected_average_only_in':
      if (config.scalingFactor !== 1) {
        // The SAE works on x·s; its output is divided by s (the fold W_enc·s, W_dec/s, b_dec/s).
        const s = g.constant('float', [], [config.scalingFactor]);
        input = g.op('Mul', [input, s]);
        undo = (r) => g.op('Div', [r, s]);
      }
      break;
    case 'constant_norm_rescale': {
      // coefficient = √dIn / ‖x‖; the output is divided by it
      const norm = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [input, input]), lastAxis], { keepdims: int(1) })]);
      const coefficient = g.op('Div', [g.constant('float', [], [Math.sqrt(config.dIn)]), norm]);
      input = g.op('Mul', [input, coefficient]);
      undo = (r) => g.op('Div', [r, coefficient]);
      break;
    }
    case 'layer_norm': {
      // SAELens: σ is torch's unbiased x.std(); in: (x − μ)/(σ + 1e-5); out: x̂·σ + μ
      const mu = mean(input);
      const centred = g.op('Sub', [input, mu]);
      const sumSquares = g.op('ReduceSum', [g.op('Mul', [centred, centred]), lastAxis], { keepdims: int(1) });
      const sigma = g.op('Sqrt', [g.op('Div', [sumSquares, g.constant('float', [], [config.dIn - 1])])]);
      input = g.op('Div', [centred, g.op('Add', [sigma, g.constant('float', [], [1e-5])])]);
      undo = (r) => g.op('Add', [g.op('Mul', [r, sigma]), mu]);
      break;
    }
  }
  if (config.applyBDecToInput) input = g.op('Sub', [input, g.weight(SAE_WEIGHTS.b_dec)]);
  return { encoderInput: input, undo };
}

function encoder(g: GraphBuilder, input: string, sae: LoadedSae): string {
  const { config } = sae;
  const pre = g.op('Gemm', [input, g.weight(SAE_WEIGHTS.W_enc), g.weight(SAE_WEIGHTS.b_enc)]);
  const zero = g.constant('float', [], [0]);
  switch (config.architecture) {
    case 'standard':
      return g.op('Relu', [pre]);
    case 'jumprelu':
      return g.op('Where', [g.op('Greater', [pre, g.weight(SAE_WEIGHTS.threshold)], {}, 'bool'), pre, zero]);
    case 'gated': {
      const magnitude = g.op('Relu', [g.op('Gemm', [input, g.weight(SAE_WEIGHTS.W_mag), g.weight(SAE_WEIGHTS.b_mag)])]);
      return g.op('Where', [g.op('Greater', [pre, zero], {}, 'bool'), magnitude, zero]);
    }
    case 'topk': {
      const ranked = config.rescaleActsByDecoderNorm ? g.op('Mul', [pre, g.weight(SAE_WEIGHTS.decoderNorms)]) : pre;
      const k = g.constant('int64', [1], [config.k!]);
      const [values, indices] = g.opMulti('TopK', [ranked, k], 2, { axis: int(-1), largest: int(1), sorted: int(0) }, ['float', 'int64']);
      const zeros = g.op('ConstantOfShape', [g.op('Shape', [ranked], {}, 'int64')]);
      return g.op('ScatterElements', [zeros, indices, g.op('Relu', [values])], { axis: int(1) });
    }
  }
}

function decoder(g: GraphBuilder, features: string, rawInput: string, sae: LoadedSae, normalisation: Normalisation): string {
  // SAELens's TopK SAE with rescale_acts_by_decoder_norm decodes f / ‖W_dec row‖.
  const { config } = sae;
  const scaled = config.architecture === 'topk' && config.rescaleActsByDecoderNorm ? g.op('Div', [features, g.weight(SAE_WEIGHTS.decoderNorms)]) : features;
  let reconstruction = g.op('Gemm', [scaled, g.weight(SAE_WEIGHTS.W_dec), g.weight(SAE_WEIGHTS.b_dec)]);
  if (sae.weights.W_skip) reconstruction = g.op('Add', [reconstruction, g.op('Gemm', [rawInput, g.weight(SAE_WEIGHTS.W_skip)], { transB: int(1) })]);
  return normalisation.undo(reconstruction);
}

export function buildSaeEncodeGraph(sae: LoadedSae): GraphDefinition {
  const g = new GraphBuilder();
  const x = g.runtimeInput(SAE_INPUTS.x, 'float');
  const k = g.runtimeInput(SAE_INPUTS.k, 'int64');
  const normalisation = normaliseInput(g, x, sae.config);
  const features = encoder(g, normalisation.encoderInput, sae);
  const [topValues, topIndices] = g.opMulti('TopK', [features, k], 2, { axis: int(-1), largest: int(1), sorted: int(1) }, ['float', 'int64']);
  const reconstruction = decoder(g, features, x, sae, normalisation);
  return g.finishWithOutputs({
    [SAE_OUTPUTS.features]: features,
    [SAE_OUTPUTS.reconstruction]: reconstruction,
    [SAE_OUTPUTS.topValues]: topValues,
    [SAE_OUTPUTS.topIndices]: topIndices,
  });
}

export function buildSaeDecodeGraph(sae: LoadedSae): GraphDefinition {
  const g = new GraphBuilder();
  const x = g.runtimeInput(SAE_INPUTS.x, 'float');
  const features = g.runtimeInput(SAE_INPUTS.features, 'float');
  const normalisation = normaliseInput(g, x, sae.config);
  return g.finishWithOutputs({ [SAE_OUTPUTS.reconstruction]: decoder(g, features, x, sae, normalisation) });
}
