import { readFileSync, statSync } from 'node:fs';
import { MechLensError } from '../engine/errors';
import { HookedModel } from '../engine/hookedModel';
import { loadSae, saeMatchesModel } from '../engine/sae/loadSae';
import { readLabels } from '../engine/sae/labels';
import type { LoadedSae } from '../engine/sae/sae';
import { evaluateSae, type SaeReport } from '../engine/sae/saeMetrics';
import { topFeaturesPerToken } from '../engine/sae/saeOnModel';
import { SaeRunner } from '../engine/sae/saeRunner';
import { formatToken, table } from './format';

interface ModelAndSae {
  model: HookedModel;
  sae: LoadedSae;
  runner: SaeRunner;
}

interface SaeSource {
  model: string;
  sae: string;
  hook?: string;
  centerInput?: boolean;
  threads?: number;
}

async function openModelAndSae(source: SaeSource): Promise<ModelAndSae> {
  const { threads } = source;
  const model = await HookedModel.load(source.model, { threads });
  try {
    const sae = loadSae(source.sae, { hookName: source.hook, centerInput: source.centerInput });
    saeMatchesModel(sae, model);
    return { model, sae, runner: SaeRunner.create(sae, { threads: threads ?? 1 }) };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

async function close({ model, runner }: ModelAndSae): Promise<void> {
  await Promise.all([model.dispose(), runner.dispose()]);
}

export interface FeaturesOptions extends SaeSource {
  prompt: string;
  topK: number;
  json: boolean;
  prependBos: boolean;
}

/** `mechlens features`: each token's top SAE features, with labels when the SAE folder has them. */
export async function featuresCommand(options: FeaturesOptions, print: (line: string) => void): Promise<void> {
  const opened = await openModelAndSae(options);
  try {
    const labels = readLabels(options.sae);
    const rows = await topFeaturesPerToken(opened.model, opened.runner, options.prompt, options.topK, { prependBos: options.prependBos });
    const withLabels = rows.map((r) => ({ ...r, features: r.features.map((f) => ({ ...f, label: labels.get(f.index) })) }));
    if (options.json) {
      print(JSON.stringify({ sae: { path: opened.sae.config.path, hookName: opened.sae.config.hookName, dSae: opened.sae.config.dSae }, tokens: withLabels }, null, 2));
      return;
    }
    print(`${opened.sae.config.hookName}: ${opened.sae.config.dSae} features (${opened.sae.config.architecture}${opened.sae.config.transcoder ? ' transcoder' : ''})`);
    const lines = withLabels.map((r, i) => [
      String(i),
      formatToken(r.token.text),
      r.features.map((f) => `${f.index}:${f.activation.toFixed(2)}${f.label ? ` ${JSON.stringify(f.label)}` : ''}`).join('  ') || '(none)',
    ]);
    print(table(['pos', 'token', `top ${options.topK} features (index:activation label)`], lines));
  } finally {
    await close(opened);
  }
}

export interface SaeEvalOptions extends SaeSource {
  files: string[];
  contextSize?: number;
  maxWindows?: number;
  json: boolean;
}

/** `mechlens sae-eval`: the quality report of an SAE over text files. */
export async function saeEvalCommand(options: SaeEvalOptions, print: (line: string) => void): Promise<void> {
  if (options.files.length === 0) throw new MechLensError('sae-eval needs at least one text file');
  const texts = options.files.map((file) => ({ source: file, text: readText(file) }));
  const opened = await openModelAndSae(options);
  try {
    const report = await evaluateSae(opened.model, opened.sae, opened.runner, texts, { contextSize: options.contextSize, maxWindows: options.maxWindows });
    print(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
  } finally {
    await close(opened);
  }
}

function readText(file: string): string {
  try {
    if (!statSync(file).isFile()) throw new MechLensError(`${file}: not a file`, file);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof MechLensError) throw e;
    throw new MechLensError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
}

export function formatReport(r: SaeReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows: [string, string][] = [
    ['SAE', `${r.sae.path} (${r.sae.architecture}, ${r.sae.dIn} → ${r.sae.dSae})`],
    ['hook', r.sae.hookName === r.sae.hookNameOut ? r.sae.hookName : `${r.sae.hookName} → ${r.sae.hookNameOut}`],
    ['text', `${r.texts} files, ${r.windows} windows of ≤ ${r.contextSize} tokens, ${r.tokens} tokens measured (BOS excluded)`],
    ['L0 (features active per token)', r.l0.toFixed(2)],
    ['L1', r.l1.toFixed(3)],
    ['FVE (textbook: 1 − Σ‖x−x̂‖²/Σ‖x−x̄‖²)', r.fractionOfVarianceExplained.toFixed(4)],
    ['MSE (per element)', r.mse.toExponential(3)],
    ['cosine(x, x̂)', r.cosineSimilarity.toFixed(4)],
    ['‖x̂‖/‖x‖', r.relativeNorm.toFixed(4)],
    ['shrinkage γ', r.shrinkage.toFixed(4)],
    ['CE clean / with SAE / zero-ablated', `${r.crossEntropy.clean.toFixed(4)} / ${r.crossEntropy.withSae.toFixed(4)} / ${r.crossEntropy.zeroAblation.toFixed(4)}`],
    ['CE loss recovered', pct(r.crossEntropy.lossRecovered)],
    ['Δ loss', r.crossEntropy.deltaLoss.toFixed(4)],
    ['KL with SAE / zero-ablated', `${r.kl.withSae.toFixed(4)} / ${r.kl.zeroAblation.toFixed(4)}`],
    ['KL score', pct(r.kl.score)],
    ['dead features', pct(r.density.deadFraction)],
    ['dense features (> 1% / > 10% of tokens)', `${pct(r.density.denseOver1Percent)} / ${pct(r.density.denseOver10Percent)}`],
    ['effective features F (ψ = F / d_in)', `${r.effectiveFeatures.count.toFixed(1)} (ψ ${r.effectiveFeatures.perNeuron.toFixed(2)}), ${r.effectiveFeatures.aliveFeatures} alive`],
  ];
  const histogram = r.density.histogram.counts
    .map((count, i) => (count ? `  [${r.density.histogram.edges[i].toFixed(1)}, ${r.density.histogram.edges[i + 1].toFixed(1)})  ${'#'.repeat(Math.ceil((40 * count) / r.sae.dSae))} ${count}` : ''))
    .filter(Boolean);
  return [table(['measure', 'value'], rows), 'feature density histogram (log10 of firing frequency):', ...histogram].join('\n');
}
