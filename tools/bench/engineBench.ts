import { HookedModel } from '../../src/engine/hookedModel';

/**
 * One benchmark phase in a fresh process, so its peak RSS is the engine's alone.
 * Phase "forward": load, then forward passes (logits). Phase "cacheOnce": load, then one forward
 * pass with the full cache. Phase "cache": load, then forward passes with the full cache, then
 * forward passes cut at one hook. Prints one JSON object.
 */
export interface PhaseResult {
  phase: string;
  hooks: number;
  weightBytes: number;
  loadMs: number;
  timings: Record<string, { firstMs: number; medianMs: number; minMs: number }>;
  rssAfterLoadBytes: number;
  peakRssBytes: number;
}

async function time(repeats: number, run: () => Promise<unknown>) {
  const first = performance.now();
  await run(); // builds and caches the sessions
  const firstMs = performance.now() - first;
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { firstMs, medianMs: samples[Math.floor(samples.length / 2)] ?? firstMs, minMs: samples[0] ?? firstMs };
}

async function main(): Promise<void> {
  const [phase, dir, tokensArg, repeatsArg] = process.argv.slice(2);
  const repeats = Number(repeatsArg);
  const loadStart = performance.now();
  const model = await HookedModel.load(dir);
  const loadMs = performance.now() - loadStart;
  const rssAfterLoadBytes = process.memoryUsage().rss;
  const ids = [Array.from({ length: Number(tokensArg) }, (_, i) => (i * 7919) % model.config.dVocab)];
  const timings: PhaseResult['timings'] = {};
  if (phase === 'forward') {
    timings.forward = await time(repeats, () => model.run({ ids }));
  } else if (phase === 'cacheOnce') {
    timings.forwardWithCache = await time(0, () => model.runWithCache({ ids }, 'all'));
  } else {
    timings.forwardWithCache = await time(repeats, () => model.runWithCache({ ids }, 'all'));
    timings.forwardCutAtOneHook = await time(repeats, () => model.runWithHooks({ ids }, [{ hook: 'blocks.6.hook_resid_pre', op: 'edit', fn: () => undefined }]));
  }
  await model.dispose();
  const result: PhaseResult = { phase, hooks: model.hookNames.length, weightBytes: model.weightBytes, loadMs, timings, rssAfterLoadBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
