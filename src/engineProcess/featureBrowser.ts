import { resolve } from 'node:path';
import type { FeatureLabel, FeatureList, FeaturePage, IndexStatus, LabelImportSummary, TextSearchResult } from '../protocol/featureIndex';
import { MechLensError } from '../engine/errors';
import { FeatureIndex } from '../engine/featureIndex/featureIndex';
import { featurePage, featureRows, type DirectionFacts } from '../engine/featureIndex/featurePage';
import { DEFAULT_SETTINGS } from '../engine/featureIndex/indexSettings';
import type { HookedModel } from '../engine/hookedModel';
import { DecoderNeighbours } from '../engine/labels/decoderNeighbours';
import { FeatureLabels } from '../engine/labels/featureLabels';
import { importLabelFiles } from '../engine/labels/importLabels';
import { importIntoLabelStore, labelSourceOf, saeLabelKey, setLabel } from '../engine/labels/labelStore';
import { decoderOf, LogitEffectRunner, unembeddingOf } from '../engine/labels/logitEffects';
import { provisionalLabel, provisionalLabeler } from '../engine/labels/provisionalLabels';
import type { LoadedSae } from '../engine/sae/sae';
import { saeInput } from '../engine/sae/saeOnModel';
import type { SaeRunner } from '../engine/sae/saeRunner';

/** An SAE as the engine service holds it. */
export interface BrowsedSae {
  sae: LoadedSae;
  runner: SaeRunner;
  labels: FeatureLabels;
}

const LOGIT_EFFECT_TOKENS = 10;
const NEIGHBOURS = 10;
const TEXT_SEARCH_FEATURES = 50;

/**
 * A feature's logit effects (as token texts) and its nearest features by decoder cosine. The
 * feature's and its neighbours' logit effects come from one onnxruntime product, which also gives
 * `labels` their provisional labels (computing those one by one in JS takes ~65 ms each on GPT-2 small).
 */
export async function directionFacts(model: HookedModel, sae: LoadedSae, index: number, logits: LogitEffectRunner, neighbours: DecoderNeighbours, labels?: FeatureLabels): Promise<DirectionFacts> {
  const near = neighbours.nearest(index, NEIGHBOURS);
  const features = [index, ...near.map((n) => n.index)];
  const effects = await logits.effectsOf(decoderOf(sae), features, { k: LOGIT_EFFECT_TOKENS });
  const decode = (id: number) => model.tokenizer.decode([id]);
  if (labels) effects.forEach((e) => labels.learnProvisional(e.feature, provisionalLabel(e, decode).text));
  const text = (list: { token: number; effect: number }[]) => list.map((t) => ({ text: decode(t.token), effect: t.effect }));
  return { logitEffects: { promoted: text(effects[0].promoted), suppressed: text(effects[0].suppressed) }, neighbours: near };
}

/** Labels of an SAE: the workspace file's, its folder's, provisional ones from its decoder. */
export function saeLabels(model: HookedModel, sae: LoadedSae, workspaceFile: string | undefined): FeatureLabels {
  const unembedding = unembeddingOf(model);
  const decode = (id: number) => model.tokenizer.decode([id]);
  return new FeatureLabels({ saePath: sae.config.path, saeKey: saeLabelKey(sae), workspaceFile, provisional: provisionalLabeler(decoderOf(sae), unembedding, decode) });
}

/**
 * The feature browser's requests: the index over the user's files (opened on the first plan, for
 * the model and SAEs loaded then), feature lists and pages, text search, and labels.
 */
export class FeatureBrowser {
  private index: FeatureIndex | undefined;
  private indexKey = '';
  private readonly neighbours = new Map<string, DecoderNeighbours>();
  private logitRunner: LogitEffectRunner | undefined;
  private abort: AbortController | undefined;
  labelsFile: string | undefined;

  constructor(
    private readonly model: () => HookedModel,
    private readonly saes: () => Map<string, BrowsedSae>,
  ) {}

  async plan(storageDir: string, files: string[], rebuild: boolean): Promise<IndexStatus> {
    if (typeof storageDir !== 'string' || storageDir.length === 0) throw new MechLensError('storageDir must be a folder path');
    if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw new MechLensError('files must be a list of paths');
    const attached = [...this.saes().entries()];
    const key = JSON.stringify([resolve(storageDir), attached.map(([id]) => id)]);
    if (!this.index || key !== this.indexKey) {
      await this.close();
      this.index = FeatureIndex.open(resolve(storageDir), this.model(), attached.map(([, s]) => s.runner));
      this.indexKey = key;
    }
    return this.index.plan(files, { rebuild });
  }

  async step(budgetMs: number): Promise<IndexStatus> {
    const index = this.requireIndex();
    this.abort = new AbortController();
    try {
      return await index.step(Number.isFinite(budgetMs) && budgetMs > 0 ? budgetMs : 300, this.abort.signal);
    } finally {
      this.abort = undefined;
    }
  }

  status(): IndexStatus {
    return this.index ? this.index.status() : { state: 'empty', filesTotal: 0, filesDone: 0, failures: [], tokens: 0, documents: 0, partialFeatures: 0, storagePath: '' };
  }

  list(saeId: string): FeatureList {
    const { sae, labels } = this.requireSae(saeId);
    const { aggregate, tokens } = this.aggregateOf(saeId);
    const all = labels.all(sae.config.dSae);
    const rows = aggregate ? featureRows(aggregate, tokens, (i) => all[i]) : Array.from({ length: sae.config.dSae }, (_, index) => ({ index, count: 0, density: 0, maxActivation: 0, label: all[index] }));
    return { saeId, hookName: sae.config.hookName, dSae: sae.config.dSae, tokens, rows };
  }

  async page(saeId: string, index: number): Promise<FeaturePage> {
    const { sae, labels } = this.requireSae(saeId);
    if (!Number.isInteger(index) || index < 0 || index >= sae.config.dSae) throw new MechLensError(`feature ${index} is not one of the SAE's ${sae.config.dSae} features (0–${sae.config.dSae - 1})`);
    const model = this.model();
    const { aggregate, tokens } = this.aggregateOf(saeId);
    this.logitRunner ??= new LogitEffectRunner(unembeddingOf(model));
    const direction = await directionFacts(model, sae, index, this.logitRunner, this.neighboursOf(saeId, sae), labels);
    const sources = { document: (id: number) => this.index?.document(id), tokenText: (id: number) => model.tokenizer.decode([id]), label: (i: number) => labels.get(i) };
    return featurePage(saeId, sae.config.hookName, aggregate, index, tokens, this.index?.settings ?? DEFAULT_SETTINGS, sources, direction);
  }

  async searchText(saeId: string, text: string): Promise<TextSearchResult> {
    if (typeof text !== 'string' || text.trim().length === 0) throw new MechLensError('type some text to search features by');
    const { sae, runner, labels } = this.requireSae(saeId);
    const model = this.model();
    const { cache, input } = await model.hookValues(text, [sae.config.hookName]);
    const dense = (await runner.encode(saeInput(sae.config, cache.get(sae.config.hookName)!), { features: true })).features!;
    const tokens = input.tokens[0];
    const d = sae.config.dSae;
    const best = new Map<number, { maxActivation: number; token: number }>();
    // Row 0 is BOS, left out as everywhere else.
    for (let t = 1; t < tokens.length; t++) {
      for (let f = 0; f < d; f++) {
        const a = dense[t * d + f];
        if (a > 0 && a > (best.get(f)?.maxActivation ?? 0)) best.set(f, { maxActivation: a, token: t - 1 });
      }
    }
    const features = [...best.entries()]
      .sort((a, b) => b[1].maxActivation - a[1].maxActivation || a[0] - b[0])
      .slice(0, TEXT_SEARCH_FEATURES)
      .map(([index, hit]) => ({ index, ...hit, label: labels.get(index) }));
    return { saeId, text, tokens: tokens.slice(1).map((t) => t.text), features };
  }

  setLabel(saeId: string, index: number, text: string): { label?: FeatureLabel } {
    const { sae, labels } = this.requireSae(saeId);
    if (!Number.isInteger(index) || index < 0 || index >= sae.config.dSae) throw new MechLensError(`feature ${index} is not one of the SAE's ${sae.config.dSae} features`);
    if (typeof text !== 'string') throw new MechLensError('text must be a string');
    setLabel(this.requireLabelsFile(), saeLabelKey(sae), index, text);
    labels.reload();
    return { label: labels.get(index) };
  }

  importLabels(saeId: string, files: string[]): LabelImportSummary {
    const { sae, labels } = this.requireSae(saeId);
    if (!Array.isArray(files) || files.length === 0 || files.some((f) => typeof f !== 'string')) throw new MechLensError('files must be a non-empty list of paths');
    const file = this.requireLabelsFile();
    const imported = importLabelFiles(files, { dSae: sae.config.dSae });
    const counts = importIntoLabelStore(file, saeLabelKey(sae), imported, labelSourceOf(imported.format));
    labels.reload();
    const where = (r: { line?: number; entry?: number }) => (r.line !== undefined ? `line ${r.line}: ` : r.entry !== undefined ? `entry ${r.entry}: ` : '');
    return { imported: counts.added + counts.replaced + counts.unchanged, skipped: imported.skipped, reasons: imported.reasons.slice(0, 5).map((r) => `${where(r)}${r.reason}`), file };
  }

  setLabelsFile(path: string): void {
    if (typeof path !== 'string' || path.length === 0) throw new MechLensError('path must be a file path');
    this.labelsFile = resolve(path);
    for (const { labels } of this.saes().values()) labels.setWorkspaceFile(this.labelsFile);
  }

  /** Stops a step in progress at its next file (the host's cancel). */
  cancel(): IndexStatus {
    this.abort?.abort();
    return this.index ? this.index.cancel() : this.status();
  }

  async close(): Promise<void> {
    await this.index?.close();
    this.index = undefined;
    this.indexKey = '';
    this.neighbours.clear();
    await this.logitRunner?.dispose();
    this.logitRunner = undefined;
  }

  private aggregateOf(saeId: string): { aggregate: FeatureIndex['aggregates'][number] | undefined; tokens: number } {
    if (!this.index) return { aggregate: undefined, tokens: 0 };
    const slot = [...this.saes().keys()].indexOf(saeId);
    const aggregate = slot >= 0 && this.index.saes[slot] === this.saes().get(saeId)?.runner ? this.index.aggregates[slot] : undefined;
    return { aggregate, tokens: aggregate ? this.index.tokens : 0 };
  }

  private neighboursOf(saeId: string, sae: LoadedSae): DecoderNeighbours {
    let neighbours = this.neighbours.get(saeId);
    if (!neighbours) this.neighbours.set(saeId, (neighbours = new DecoderNeighbours(decoderOf(sae))));
    return neighbours;
  }

  private requireIndex(): FeatureIndex {
    if (!this.index) throw new MechLensError('no feature index is open (plan a scan with index/plan first)');
    return this.index;
  }

  private requireSae(id: string): BrowsedSae {
    const sae = this.saes().get(id);
    if (!sae) throw new MechLensError(`no SAE ${JSON.stringify(id)} is loaded (load it with sae/load first)`);
    return sae;
  }

  private requireLabelsFile(): string {
    if (!this.labelsFile) throw new MechLensError('no workspace labels file is set (open a folder: labels are saved in .mechlens/labels.json)');
    return this.labelsFile;
  }
}
