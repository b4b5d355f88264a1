import { resolve } from 'node:path';
import { MechLensError } from '../engine/errors';
import { CORPUS_EXTENSIONS, expandCorpusPaths } from '../engine/featureIndex/corpusFiles';
import { FeatureIndex } from '../engine/featureIndex/featureIndex';
import { featurePage } from '../engine/featureIndex/featurePage';
import { HookedModel } from '../engine/hookedModel';
import { DecoderNeighbours } from '../engine/labels/decoderNeighbours';
import { decoderOf, LogitEffectRunner, unembeddingOf } from '../engine/labels/logitEffects';
import { loadSae, saeMatchesModel } from '../engine/sae/loadSae';
import type { LoadedSae } from '../engine/sae/sae';
import { SaeRunner } from '../engine/sae/saeRunner';
import { directionFacts, saeLabels } from '../engineProcess/featureBrowser';
import type { FeatureContext, FeaturePage } from '../protocol/featureIndex';
import { embeddedModelDir, saeDirsBeside } from './demoCommand';

export interface IndexSource {
  /** The model folder; the embedded default when absent. */
  model?: string;
  /** SAE paths; the embedded default's SAEs when absent with the default model. */
  saes: string[];
  storage: string;
  threads?: number;
}

interface Opened {
  model: HookedModel;
  saes: LoadedSae[];
  runners: SaeRunner[];
  index: FeatureIndex;
}

async function openIndex(source: IndexSource): Promise<Opened> {
  const modelDir = source.model ?? embeddedModelDir();
  let paths = source.saes;
  if (paths.length === 0) {
    if (source.model) throw new MechLensError('give at least one --sae PATH (only the embedded default brings its own SAEs)');
    paths = saeDirsBeside(modelDir);
  }
  const model = await HookedModel.load(modelDir, { threads: source.threads });
  try {
    const saes = paths.map((path) => loadSae(path));
    for (const sae of saes) saeMatchesModel(sae, model);
    const runners = saes.map((sae) => SaeRunner.create(sae, { threads: source.threads ?? 1 }));
    return { model, saes, runners, index: FeatureIndex.open(resolve(source.storage), model, runners) };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

async function close({ model, runners, index }: Opened): Promise<void> {
  await index.close();
  for (const runner of runners) await runner.dispose();
  await model.dispose();
}

/** Files and folders given on the command line → corpus files; a path that does not exist is an error. */
export function corpusFiles(paths: string[]): string[] {
  const { files, missing } = expandCorpusPaths(paths);
  if (missing.length > 0) throw new MechLensError(`${missing[0]}: no such file or folder`);
  return files;
}

/** `mechlens index`: scans files into a feature index (incremental, resumable), printing progress. */
export async function indexCommand(options: IndexSource & { paths: string[]; rebuild: boolean; json: boolean }, print: (line: string) => void, progress: (line: string) => void): Promise<void> {
  const files = corpusFiles(options.paths);
  if (files.length === 0) throw new MechLensError(`no ${CORPUS_EXTENSIONS.join(' / ')} files in ${options.paths.join(', ')}`);
  const opened = await openIndex(options);
  try {
    const { index } = opened;
    let status = await index.plan(files, { rebuild: options.rebuild });
    const start = performance.now();
    while (status.state === 'scanning') {
      status = await index.step(2000);
      progress(`${status.filesDone}/${status.filesTotal} files, ${status.tokens} tokens`);
    }
    const seconds = (performance.now() - start) / 1000;
    if (options.json) {
      print(JSON.stringify({ ...status, seconds }));
      return;
    }
    print(`${status.filesDone} of ${status.filesTotal} files indexed: ${status.documents} documents, ${status.tokens} tokens (${seconds.toFixed(1)} s)`);
    print(`stored in ${status.storagePath}`);
    for (const failure of status.failures) print(`skipped ${failure.message}`);
    if (status.partialFeatures > 0) print(`${status.partialFeatures} features lost top examples to edited files: run again with --rebuild to restore them`);
  } finally {
    await close(opened);
  }
}

/** `mechlens feature`: one feature's page from the index, as text or JSON. */
export async function featureCommand(options: IndexSource & { feature: number; hook?: string; json: boolean }, print: (line: string) => void): Promise<void> {
  const opened = await openIndex(options);
  try {
    const { model, saes, index } = opened;
    const slot = options.hook === undefined ? 0 : saes.findIndex((s) => s.config.hookName === options.hook);
    if (slot < 0) throw new MechLensError(`no SAE at ${options.hook} (loaded: ${saes.map((s) => s.config.hookName).join(', ')})`);
    const sae = saes[slot];
    if (!Number.isInteger(options.feature) || options.feature < 0 || options.feature >= sae.config.dSae) throw new MechLensError(`feature ${options.feature} is not one of the SAE's ${sae.config.dSae} features`);
    const labels = saeLabels(model, sae, undefined);
    const logits = new LogitEffectRunner(unembeddingOf(model));
    const direction = await directionFacts(model, sae, options.feature, logits, new DecoderNeighbours(decoderOf(sae)), labels).finally(() => logits.dispose());
    const sources = { document: (id: number) => index.document(id), tokenText: (id: number) => model.tokenizer.decode([id]), label: (i: number) => labels.get(i) };
    const page = featurePage(sae.config.hookName, sae.config.hookName, index.aggregates[slot], options.feature, index.tokens, index.settings, sources, direction);
    if (options.json) print(JSON.stringify(page));
    else printPage(page, print);
  } finally {
    await close(opened);
  }
}

function contextLine(context: FeatureContext): string {
  const text = context.tokens.map((t, i) => (i === context.focus ? `[[${t.text}]]` : t.text)).join('');
  const where = context.source.line !== undefined ? `${context.source.file}:${context.source.line + 1}` : `${context.source.file}@${context.source.offset}`;
  return `  ${context.activation.toFixed(2).padStart(7)}  ${JSON.stringify(text)}  ${where}`;
}

function printPage(page: FeaturePage, print: (line: string) => void): void {
  print(`feature ${page.feature.index} at ${page.hookName}${page.label ? ` — ${page.label.text} (${page.label.kind})` : ''}`);
  print(`active on ${page.count} of ${page.tokens} tokens (${(100 * page.density).toFixed(3)}%), max ${page.maxActivation.toFixed(3)}, mean ${page.meanActivation.toFixed(3)}`);
  if (page.partial) print('(some top examples were in edited files: rebuild the index)');
  print('top activations:');
  for (const context of page.top) print(contextLine(context));
  for (const group of page.groups) {
    print(`${group.title}, ${(100 * group.share).toFixed(1)}% of activations:`);
    for (const context of group.contexts) print(contextLine(context));
  }
  print(`promotes: ${page.logitEffects.promoted.map((t) => `${JSON.stringify(t.text)} ${t.effect.toFixed(2)}`).join(', ')}`);
  print(`suppresses: ${page.logitEffects.suppressed.map((t) => `${JSON.stringify(t.text)} ${t.effect.toFixed(2)}`).join(', ')}`);
  print(`nearest by decoder cosine: ${page.neighbours.map((n) => `${n.index} (${n.cosine.toFixed(3)})`).join(', ')}`);
}
