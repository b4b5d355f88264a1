/**
 * The feature browser's data: what the engine's feature index answers (engine process → host)
 * and what the host forwards to the Features view and the feature page. Imports nothing.
 */

/** Where a label came from. `provisional` labels are made from a feature's top promoted tokens. */
export type LabelKind = 'user' | 'imported' | 'sae-file' | 'provisional';

export interface FeatureLabel {
  text: string;
  kind: LabelKind;
  /** For imported labels, the tool or file they came from (e.g. "neuronpedia"). */
  source?: string;
}

export interface FeatureRef {
  saeId: string;
  index: number;
}

export type IndexState = 'empty' | 'scanning' | 'ready' | 'cancelled' | 'error';

export interface IndexStatus {
  state: IndexState;
  /** Files in the corpus of the last plan, and how many of them are in the index as they are now. */
  filesTotal: number;
  filesDone: number;
  /** Files that could not be read or tokenized, with why (they are skipped, not retried until they change). */
  failures: { file: string; message: string }[];
  /** Tokens and documents in the index (a JSONL line is a document; a text file is one). */
  tokens: number;
  documents: number;
  /** Features whose top contexts lost entries to edited or deleted files (rebuild to restore them). */
  partialFeatures: number;
  /** The folder the index is stored in. */
  storagePath: string;
  message?: string;
}

export interface FeatureListRow {
  index: number;
  /** Tokens on which the feature is active (> 0), and that count over all indexed tokens. */
  count: number;
  density: number;
  maxActivation: number;
  label?: FeatureLabel;
}

export interface FeatureList {
  saeId: string;
  hookName: string;
  dSae: number;
  tokens: number;
  /** One row per feature, in index order. */
  rows: FeatureListRow[];
}

export interface ContextToken {
  text: string;
  /** The feature's activation at this token (0 where it is not active). */
  activation: number;
}

/** Where a context is: a file and the UTF-16 offset of the focus token (text files) or its 0-based line (JSONL). */
export interface ContextSource {
  file: string;
  offset?: number;
  line?: number;
}

export interface FeatureContext {
  source: ContextSource;
  tokens: ContextToken[];
  /** Index in `tokens` of the token the context is about. */
  focus: number;
  activation: number;
}

/** A band of the feature's activations, as SAEDashboard shows them: its range, its share of all activations, examples from it. */
export interface ActivationGroup {
  title: string;
  from: number;
  to: number;
  /** Fraction of the feature's activations that fall in this band. */
  share: number;
  contexts: FeatureContext[];
}

export interface TokenEffect {
  text: string;
  effect: number;
}

export interface FeaturePage {
  feature: FeatureRef;
  hookName: string;
  label?: FeatureLabel;
  tokens: number;
  count: number;
  density: number;
  maxActivation: number;
  meanActivation: number;
  /** Counts of activations in fixed log-spaced bins: edges has counts.length + 1 entries. */
  histogram: { edges: number[]; counts: number[] };
  top: FeatureContext[];
  /** Quantile groups, highest first. */
  groups: ActivationGroup[];
  /** True when edits removed some of the top contexts and the list may miss some (rebuild the index). */
  partial: boolean;
  logitEffects: { promoted: TokenEffect[]; suppressed: TokenEffect[] };
  /** Nearest features by cosine similarity of decoder directions. */
  neighbours: { index: number; cosine: number; label?: FeatureLabel }[];
}

/** Which features fire on a typed text: each feature's largest activation over the text's tokens. */
export interface TextSearchResult {
  saeId: string;
  text: string;
  tokens: string[];
  features: { index: number; maxActivation: number; token: number; label?: FeatureLabel }[];
}

export interface LabelImportSummary {
  imported: number;
  skipped: number;
  /** The first few skipped lines and why. */
  reasons: string[];
  /** The workspace labels file the labels were saved to. */
  file: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

// ——— Features view (side panel) ↔ host ———

export type FeaturesViewToHost =
  | { type: 'ready' }
  | { type: 'selectSae'; saeId: string }
  | { type: 'openFeature'; index: number }
  | { type: 'scan' }
  | { type: 'cancelScan' }
  | { type: 'searchText'; text: string };

export interface SaeChoice {
  saeId: string;
  hookName: string;
  dSae: number;
}

export type HostToFeaturesView =
  | { type: 'saes'; saes: SaeChoice[]; selected?: string }
  | { type: 'status'; status: IndexStatus }
  | { type: 'list'; list: FeatureList }
  | { type: 'searchTextResult'; result: TextSearchResult }
  | { type: 'error'; message: string };

export function isFeaturesViewToHost(value: unknown): value is FeaturesViewToHost {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
    case 'scan':
    case 'cancelScan':
      return true;
    case 'selectSae':
      return typeof value.saeId === 'string';
    case 'openFeature':
      return isIndex(value.index);
    case 'searchText':
      return typeof value.text === 'string';
    default:
      return false;
  }
}

// ——— Feature page (editor panel) ↔ host ———

export type FeaturePageToHost =
  | { type: 'ready' }
  | { type: 'openContext'; source: ContextSource }
  | { type: 'editLabel'; text: string }
  | { type: 'highlight' }
  | { type: 'useAsSubspace' }
  | { type: 'copyJson' }
  | { type: 'openFeature'; index: number };

export type HostToFeaturePage = { type: 'loading'; feature: FeatureRef } | { type: 'page'; page: FeaturePage } | { type: 'label'; label?: FeatureLabel } | { type: 'error'; message: string };

function isContextSource(value: unknown): value is ContextSource {
  return isRecord(value) && typeof value.file === 'string' && (value.offset === undefined || isIndex(value.offset)) && (value.line === undefined || isIndex(value.line));
}

export function isFeaturePageToHost(value: unknown): value is FeaturePageToHost {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
    case 'highlight':
    case 'useAsSubspace':
    case 'copyJson':
      return true;
    case 'openContext':
      return isContextSource(value.source);
    case 'editLabel':
      return typeof value.text === 'string';
    case 'openFeature':
      return isIndex(value.index);
    default:
      return false;
  }
}
