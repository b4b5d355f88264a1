/**
 * Messages between the extension host and the engine process (over Node's IPC channel with
 * advanced serialisation, so typed arrays cross as bytes). Requests are `noun/verb`; every
 * request gets exactly one response with its id; a long request may also send progress messages
 * with its id first, and the host may send a cancel message for it. This file imports nothing
 * outside src/protocol.
 */
import type { InspectFeatureParams, InspectParams, InspectResult } from './inspectResult';
import type { PatchingRunParams, PatchingRunResult } from './patchingRun';
import type { SubspaceRunParams, SubspaceRunResult } from './subspaceRun';
import type { FeatureLabel, FeatureList, FeaturePage, FeatureRef, IndexStatus, LabelImportSummary, TextSearchResult } from './featureIndex';

export interface ModelSummary {
  dir: string;
  modelType: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  dVocab: number;
  nCtx: number;
  hookNames: string[];
}

export interface TokenSummary {
  id: number;
  text: string;
  span: [number, number];
}

export interface PredictionSummary {
  id: number;
  text: string;
  logit: number;
  logProb: number;
}

export interface PromptPredictions {
  tokens: TokenSummary[];
  /** For each position, the top-k next-token predictions. */
  predictions: PredictionSummary[][];
}

export interface SaeSummary {
  id: string;
  path: string;
  hookName: string;
  architecture: string;
  dIn: number;
  dSae: number;
}

export interface TokenFeatureSummary {
  token: TokenSummary;
  features: { index: number; activation: number; label?: string }[];
}

/** What a hover shows of a prompt, from one forward pass: predictions at every position, and each loaded SAE's top features per token. */
export interface PromptAnalysisSummary extends PromptPredictions {
  features: { saeId: string; tokens: TokenFeatureSummary[] }[];
}

/** Every request the engine answers: its parameters and its result. */
export interface EngineRequests {
  'engine/ping': { params: Record<string, never>; result: { pid: number } };
  'model/load': { params: { dir: string; threads?: number; executionProvider?: 'cpu' | 'cuda' }; result: ModelSummary };
  'model/predict': { params: { prompt: string; topK: number }; result: PromptPredictions };
  'sae/load': { params: { path: string; hookName?: string; centerInput?: boolean }; result: SaeSummary };
  'sae/topFeatures': { params: { saeId: string; prompt: string; topK: number }; result: TokenFeatureSummary[] };
  'prompt/analyse': { params: { prompt: string; topKPredictions: number; topKFeatures: number }; result: PromptAnalysisSummary };
  /** Inspect Features: tokens, predictions after the last token, and per SAE the top features and their activations. */
  'sae/inspect': { params: InspectParams; result: InspectResult };
  /** One feature's activation at each token of a text (BOS left out, as sae/inspect). */
  'sae/inspectFeature': { params: InspectFeatureParams; result: { activations: number[] } };
  /** One activation-patching sweep, saved as it goes in `<workspace>/.mechlens/runs/`; sends progress, can be cancelled. */
  'patching/run': { params: PatchingRunParams; result: PatchingRunResult };
  /** A subspace intervention with its illusion checks, saved in `<workspace>/.mechlens/runs/`; sends progress, can be cancelled. */
  'subspace/run': { params: SubspaceRunParams; result: SubspaceRunResult };
  /**
   * Opens (or creates) the feature index in `storageDir` for the loaded model and SAEs and plans a
   * scan of `files` (absolute paths): new and changed files are queued, deleted ones removed.
   * `rebuild` drops what is stored first.
   */
  'index/plan': { params: { storageDir: string; files: string[]; rebuild?: boolean }; result: IndexStatus };
  /** Scans queued files for about `budgetMs` and commits; call again while the state is 'scanning'. */
  'index/step': { params: { budgetMs: number }; result: IndexStatus };
  'index/status': { params: Record<string, never>; result: IndexStatus };
  /** Every feature of an SAE with its density, largest activation and label. */
  'index/list': { params: { saeId: string }; result: FeatureList };
  /** One feature's page: contexts, quantile groups, histogram, logit effects, neighbours, label. */
  'index/feature': { params: FeatureRef; result: FeaturePage };
  /** Which features fire on a typed text (needs no index). */
  'index/searchText': { params: { saeId: string; text: string }; result: TextSearchResult };
  /** Where labels written in MechLens are saved (a workspace file, e.g. .mechlens/labels.json). */
  'labels/setFile': { params: { path: string }; result: Record<string, never> };
  /** Sets (or, with empty text, removes) a user label; returns the label now in effect. */
  'labels/set': { params: FeatureRef & { text: string }; result: { label?: FeatureLabel } };
  /** Imports Neuronpedia or SAEDashboard label exports for an SAE into the workspace labels file. */
  'labels/import': { params: { saeId: string; files: string[] }; result: LabelImportSummary };
}

export type EngineMethod = keyof EngineRequests;

export interface RequestMessage<M extends EngineMethod = EngineMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: EngineRequests[M]['params'];
}

export interface ErrorPayload {
  message: string;
  /** True for bad input (a missing file, a wrong field), shown to the user as is; false for a bug. */
  userError: boolean;
}

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: ErrorPayload };

/** Engine → host, before a request's response: how far it got (cells of a sweep, say). */
export interface ProgressMessage {
  kind: 'progress';
  id: number;
  done: number;
  total: number;
  /** The file the request writes to, once it exists. */
  file?: string;
}

/** Host → engine: stop the request with this id as soon as it can (it still answers). */
export interface CancelMessage {
  kind: 'cancel';
  id: number;
}

const METHODS: readonly EngineMethod[] = ['engine/ping', 'model/load', 'model/predict', 'sae/load', 'sae/topFeatures', 'prompt/analyse', 'sae/inspect', 'sae/inspectFeature', 'patching/run', 'subspace/run', 'index/plan', 'index/step', 'index/status', 'index/list', 'index/feature', 'index/searchText', 'labels/setFile', 'labels/set', 'labels/import'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks an incoming message's envelope before anything acts on it. */
export function isRequestMessage(value: unknown): value is RequestMessage {
  return isRecord(value) && value.kind === 'request' && Number.isSafeInteger(value.id) && METHODS.includes(value.method as EngineMethod) && isRecord(value.params);
}

export function isResponseMessage(value: unknown): value is ResponseMessage {
  if (!isRecord(value) || value.kind !== 'response' || !Number.isSafeInteger(value.id)) return false;
  if (value.ok === true) return 'result' in value;
  return value.ok === false && isRecord(value.error) && typeof value.error.message === 'string' && typeof value.error.userError === 'boolean';
}

export function isProgressMessage(value: unknown): value is ProgressMessage {
  if (!isRecord(value) || value.kind !== 'progress' || !Number.isSafeInteger(value.id)) return false;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return count(value.done) && count(value.total) && (value.file === undefined || typeof value.file === 'string');
}

export function isCancelMessage(value: unknown): value is CancelMessage {
  return isRecord(value) && value.kind === 'cancel' && Number.isSafeInteger(value.id);
}
