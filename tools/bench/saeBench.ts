import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import type { LoadedSae } from '../../src/engine/sae/sae';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { seededNormal } from '../../src/engine/synthetic/randomGpt2';

/**
 * SAE encoding throughput for d_in 768 × d_sae 24576 (GPT-2 small's residual SAEs), against the
 * machine's matrix-multiply peak measured here with onnxruntime on the same shape. Prints one JSON object.
 */
const D_IN = 768;
const D_SAE = 24576;
const TOKENS = 1024;
const REPEATS = 5;

async function best(run: () => Promise<unknown>): Promise<number> {
  await run();
  let fastest = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

/** The fastest of onnxruntime's GEMM routes for [TOKENS, D_IN] × [D_IN, D_SAE]: prepacked constant weights, and weights as an input. */
async function matmulPeak(x: ort.Tensor, weights: Float32Array): Promise<{ gflops: number; route: string }> {
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const valueInfo = (name: string) => ({ name, type: { tensorType: { elemType: F } } });
  const options = { intraOpNumThreads: 0, graphOptimizationLevel: 'all' as const };
  const prepacked = await ort.InferenceSession.create(
    onnx.ModelProto.encode({ irVersion: 10, opsetImport: [{ domain: '', version: 21 }], graph: { name: 'mm', node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }], input: [valueInfo('x')], output: [valueInfo('y')], initializer: [{ name: 'w', dims: [D_IN, D_SAE], dataType: F, rawData: new Uint8Array(weights.buffer) }] } }).finish(),
    options,
  );
  const asInput = await ort.InferenceSession.create(
    onnx.ModelProto.encode({ irVersion: 10, opsetImport: [{ domain: '', version: 21 }], graph: { name: 'mm', node: [{ opType: 'Gemm', input: ['x', 'w'], output: ['y'] }], input: [valueInfo('x'), valueInfo('w')], output: [valueInfo('y')] } }).finish(),
    options,
  );
  const flop = 2 * TOKENS * D_IN * D_SAE;
  const w = new ort.Tensor('float32', weights, [D_IN, D_SAE]);
  const routes = { 'MatMul, prepacked weights': await best(() => prepacked.run({ x })), 'Gemm, weights as input': await best(() => asInput.run({ x, w })) };
  const [route, ms] = Object.entries(routes).sort((a, b) => a[1] - b[1])[0];
  return { gflops: flop / ms / 1e6, route };
}

async function main(): Promise<void> {
  const normal = seededNormal(1);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * normal());
  const sae: LoadedSae = {
    config: { format: 'saelens', path: 'bench', architecture: 'standard', transcoder: false, dIn: D_IN, dSae: D_SAE, dOut: D_IN, hookName: 'blocks.6.hook_resid_pre', hookNameOut: 'blocks.6.hook_resid_pre', reshapeActivations: 'none', applyBDecToInput: true, normalizeActivations: 'none', scalingFactor: 1, centerInput: false, rescaleActsByDecoderNorm: false },
    weights: { W_enc: fill(D_IN * D_SAE, 1 / Math.sqrt(D_IN)), b_enc: fill(D_SAE, 0.1), W_dec: fill(D_SAE * D_IN, 1 / Math.sqrt(D_SAE)), b_dec: fill(D_IN, 0.1) },
  };
  const x = fill(TOKENS * D_IN, 1);
  const runner = SaeRunner.create(sae, { threads: 0 });
  const encodeFlop = 2 * TOKENS * D_IN * D_SAE;
  const topKMs = await best(() => runner.encode(x, { topK: 32 }));
  const denseMs = await best(() => runner.encode(x, { features: true }));
  const peak = await matmulPeak(new ort.Tensor('float32', x, [TOKENS, D_IN]), sae.weights.W_enc);
  const result = {
    shape: { dIn: D_IN, dSae: D_SAE, tokensPerCall: TOKENS },
    encodeTopK32: { ms: topKMs, tokensPerSecond: (TOKENS / topKMs) * 1000, gflops: encodeFlop / topKMs / 1e6 },
    encodeDense: { ms: denseMs, tokensPerSecond: (TOKENS / denseMs) * 1000, gflops: encodeFlop / denseMs / 1e6 },
    matmulPeak: peak,
    fractionOfPeak: { topK32: encodeFlop / topKMs / 1e6 / peak.gflops, dense: encodeFlop / denseMs / 1e6 / peak.gflops },
  };
  await runner.dispose();
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
