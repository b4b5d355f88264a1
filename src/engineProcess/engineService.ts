import { row, topK } from '../engine/analysis/topK';
import { analysePrompt } from '../engine/analysis/promptAnalysis';
import { MechLensError } from '../engine/errors';
import { HookedModel } from '../engine/hookedModel';
import { loadSae, saeMatchesModel } from '../engine/sae/loadSae';
import { topFeaturesPerToken } from '../engine/sae/saeOnModel';
import { SaeRunner } from '../engine/sae/saeRunner';
import type { EngineMethod, EngineRequests, ErrorPayload } from '../protocol/engineProtocol';
import { inspectParamsProblem } from '../protocol/inspectResult';
import { patchingParamsProblem } from '../protocol/patchingRun';
import { subspaceParamsProblem } from '../protocol/subspaceRun';
import { labelLine } from '../engine/labels/featureLabels';
import { FeatureBrowser, saeLabels, type BrowsedSae } from './featureBrowser';
import { inspectFeature, inspectText } from './inspectText';
import { runPatching } from './patchingRun';
import { runSubspaceRequest } from './subspaceRun';

/** What a request may use beyond its parameters: a signal that cancels it, and a way to report progress. */
export interface RequestContext {
  signal?: AbortSignal;
  progress?: (done: number, total: number, file?: string) => void;
}

type Handlers = { [M in EngineMethod]: (params: EngineRequests[M]['params'], context: RequestContext) => Promise<EngineRequests[M]['result']> };

type AttachedSae = BrowsedSae;

/**
 * The engine behind the protocol: one loaded model and the SAEs attached to it. Requests are
 * handled one at a time (the caller awaits each), so no two runs share onnxruntime at once.
 */
export class EngineService {
  private model: HookedModel | undefined;
  private readonly saes = new Map<string, AttachedSae>();
  private readonly browser = new FeatureBrowser(
    () => this.requireModel(),
    () => this.saes,
  );

  readonly handlers: Handlers = {
    'engine/ping': async () => ({ pid: process.pid }),

    'model/load': async ({ dir, threads, executionProvider }) => {
      requireString(dir, 'dir');
      await this.unload();
      this.model = await HookedModel.load(dir, { threads, executionProvider });
      const { modelType, nLayers, dModel, nHeads, dVocab, nCtx } = this.model.config;
      return { dir, modelType, nLayers, dModel, nHeads, dVocab, nCtx, hookNames: [...this.model.hookNames] };
    },

    'model/predict': async ({ prompt, topK: k }) => {
      requireString(prompt, 'prompt');
      requirePositiveInt(k, 'topK');
      const model = this.requireModel();
      const result = await model.runWithHooks(prompt, []);
      const tokens = result.input.tokens[0];
      return {
        tokens: tokens.map(({ id, text, span }) => ({ id, text, span })),
        predictions: tokens.map((_, position) => topK(row(result.logits.data, model.config.dVocab, position), k).map((p) => ({ ...p, text: model.tokenizer.decode([p.id]) }))),
      };
    },

    'sae/load': async ({ path, hookName, centerInput }) => {
      requireString(path, 'path');
      const model = this.requireModel();
      const sae = loadSae(path, { hookName, centerInput });
      saeMatchesModel(sae, model);
      const id = `${sae.config.hookName}@${path}`;
      await this.saes.get(id)?.runner.dispose();
      this.saes.set(id, { sae, runner: SaeRunner.create(sae, { threads: 1, executionProvider: model.executionProvider }), labels: saeLabels(model, sae, this.browser.labelsFile) });
      const { hookName: hook, architecture, dIn, dSae } = sae.config;
      return { id, path, hookName: hook, architecture, dIn, dSae };
    },

    'prompt/analyse': async ({ prompt, topKPredictions, topKFeatures }) => {
      requireString(prompt, 'prompt');
      requirePositiveInt(topKPredictions, 'topKPredictions');
      requirePositiveInt(topKFeatures, 'topKFeatures');
      const model = this.requireModel();
      const attached = [...this.saes.entries()];
      const analysis = await analysePrompt(model, attached.map(([, sae]) => sae.runner), prompt, { predictions: topKPredictions, features: topKFeatures });
      const tokens = analysis.tokens.map(({ id, text, span }) => ({ id, text, span }));
      return {
        tokens,
        predictions: analysis.predictions.map((row) => row.map((p) => ({ ...p, text: model.tokenizer.decode([p.id]) }))),
        features: attached.map(([saeId, sae], i) => ({
          saeId,
          tokens: tokens.map((token, t) => ({ token, features: analysis.features[i][t].map((f) => ({ ...f, label: labelLine(sae.labels.stored(f.index)) })) })),
        })),
      };
    },

    'sae/topFeatures': async ({ saeId, prompt, topK: k }) => {
      requireString(prompt, 'prompt');
      requirePositiveInt(k, 'topK');
      const sae = this.requireSae(saeId);
      const rows = await topFeaturesPerToken(this.requireModel(), sae.runner, prompt, k);
      return rows.map(({ token, features }) => ({
        token: { id: token.id, text: token.text, span: token.span },
        features: features.map((f) => ({ ...f, label: labelLine(sae.labels.stored(f.index)) })),
      }));
    },

    'sae/inspect': async (params) => {
      const problem = inspectParamsProblem(params);
      if (problem) throw new MechLensError(problem);
      const model = this.requireModel();
      const ids = params.saeIds ?? [...this.saes.keys()];
      const saes = ids.map((id) => ({ id, ...this.requireSae(id) }));
      return inspectText(model, saes, params.text, params);
    },

    'sae/inspectFeature': async ({ saeId, text, feature }) => {
      requireString(text, 'text');
      const model = this.requireModel();
      return { activations: await inspectFeature(model, { id: saeId, ...this.requireSae(saeId) }, text, feature) };
    },

    'patching/run': async (params, context) => {
      const problem = patchingParamsProblem(params);
      if (problem) throw new MechLensError(problem);
      return runPatching(this.requireModel(), params, context);
    },

    'subspace/run': async (params, context) => {
      const problem = subspaceParamsProblem(params);
      if (problem) throw new MechLensError(problem);
      return runSubspaceRequest(this.requireModel(), params, context, (id) => this.requireSae(id).sae);
    },

    'index/plan': async ({ storageDir, files, rebuild }) => this.browser.plan(storageDir, files, rebuild === true),
    'index/step': async ({ budgetMs }) => this.browser.step(budgetMs),
    'index/status': async () => this.browser.status(),
    'index/list': async ({ saeId }) => this.browser.list(saeId),
    'index/feature': async ({ saeId, index }) => this.browser.page(saeId, index),
    'index/searchText': async ({ saeId, text }) => this.browser.searchText(saeId, text),
    'labels/setFile': async ({ path }) => {
      this.browser.setLabelsFile(path);
      return {};
    },
    'labels/set': async ({ saeId, index, text }) => this.browser.setLabel(saeId, index, text),
    'labels/import': async ({ saeId, files }) => this.browser.importLabels(saeId, files),
  };

  async handle<M extends EngineMethod>(method: M, params: EngineRequests[M]['params'], context: RequestContext = {}): Promise<EngineRequests[M]['result']> {
    return (this.handlers[method] as (p: typeof params, c: RequestContext) => Promise<EngineRequests[M]['result']>)(params, context);
  }

  async unload(): Promise<void> {
    await this.browser.close();
    for (const sae of this.saes.values()) await sae.runner.dispose();
    this.saes.clear();
    await this.model?.dispose();
    this.model = undefined;
  }

  private requireSae(id: string): AttachedSae {
    const sae = this.saes.get(id);
    if (!sae) throw new MechLensError(`no SAE ${JSON.stringify(id)} is loaded (load it with sae/load first)`);
    return sae;
  }

  private requireModel(): HookedModel {
    if (!this.model) throw new MechLensError('no model is loaded (load one with model/load first)');
    return this.model;
  }
}

/** What the caller is told of a failure: the message of a user error as is, else an internal error. */
export function errorPayload(error: unknown): ErrorPayload {
  if (error instanceof MechLensError) return { message: error.message, userError: true };
  return { message: `internal error in the engine: ${(error as Error)?.stack ?? String(error)}`, userError: false };
}

function requireString(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new MechLensError(`${field} must be a non-empty string`);
}

function requirePositiveInt(value: unknown, field: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) throw new MechLensError(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
}
