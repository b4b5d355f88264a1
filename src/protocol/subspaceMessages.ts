/**
 * The subspace report as its panel sees it (a saved run: plain JSON, NaN as null), and the messages
 * between the panel and the extension host. Both sides check what they receive with these
 * validators. Imports only src/protocol.
 */
import { isExportRequest, type ExportRequest } from './exportMessages';

export type VerdictView = 'pass' | 'warn' | 'fail';

export interface HistogramView {
  edges: number[];
  /** Counts per bin, per series (clean / corrupted, or normal / patched). */
  series: Record<string, number[]>;
}

export interface SubspaceCheckView {
  name: string;
  title: string;
  verdict: VerdictView;
  sentence: string;
  values: Record<string, number | null>;
  histograms?: Record<string, HistogramView>;
}

export interface SubspaceVariantView {
  name: string;
  description: string;
  dimension: number;
  /** Normalised: 0 = unpatched, 1 = the source run's logit difference; null when it could not be computed. */
  effect: number | null;
  meanChange: number | null;
}

export interface SubspacePairView {
  name?: string;
  clean: string;
  corrupted: string;
  answer: string;
  wrong: string;
  positions: number[];
  /** The clean prompt's tokens at those positions. */
  positionTokens?: string[];
  cleanLogitDiff: number | null;
  corruptedLogitDiff: number | null;
}

export interface SubspaceReportData {
  site: { hook: string; head?: number; label: string; width: number };
  direction: string;
  source: { kind: string; label: string; vectors: number; dimension: number; explained?: number[] };
  pairs: SubspacePairView[];
  variants: SubspaceVariantView[];
  checks: SubspaceCheckView[];
  skipped: { name: string; reason: string }[];
  badge: { label: 'consistent' | 'possible illusion'; drivers: string[]; sentence: string };
  downstream: string;
  warnings: string[];
  elapsedMs: number | null;
}

export interface SubspaceRunView {
  id: string;
  /** The run file's name (no folders). */
  file: string;
  createdAt: string;
  status: 'complete' | 'cancelled' | 'incomplete';
  model: string;
  /** The intervention chosen besides the patch (patch, ablate or set). */
  intervention: string;
  /** Absent when the run was cancelled or crashed before its result. */
  report?: SubspaceReportData;
}

export type SubspaceToWebview = { type: 'show'; run: SubspaceRunView } | { type: 'error'; message: string } | { type: 'exported'; message: string };
export type SubspaceFromWebview = { type: 'ready' } | ExportRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNullableNumber = (value: unknown) => value === null || typeof value === 'number';
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isNumberArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => typeof v === 'number');

function isHistogram(value: unknown): value is HistogramView {
  if (!isRecord(value) || !isNumberArray(value.edges) || value.edges.length < 2 || !isRecord(value.series)) return false;
  return Object.values(value.series).every((counts) => isNumberArray(counts) && counts.length === (value.edges as number[]).length - 1);
}

function isCheck(value: unknown): value is SubspaceCheckView {
  if (!isRecord(value) || !isString(value.name) || !isString(value.title) || !isString(value.sentence)) return false;
  if (!['pass', 'warn', 'fail'].includes(value.verdict as string)) return false;
  if (!isRecord(value.values) || !Object.values(value.values).every(isNullableNumber)) return false;
  return value.histograms === undefined || (isRecord(value.histograms) && Object.values(value.histograms).every(isHistogram));
}

function isVariant(value: unknown): value is SubspaceVariantView {
  return isRecord(value) && isString(value.name) && isString(value.description) && typeof value.dimension === 'number' && isNullableNumber(value.effect) && isNullableNumber(value.meanChange);
}

function isPair(value: unknown): value is SubspacePairView {
  if (!isRecord(value) || (value.name !== undefined && !isString(value.name))) return false;
  if (!['clean', 'corrupted', 'answer', 'wrong'].every((f) => isString(value[f]))) return false;
  if (!isNumberArray(value.positions) || (value.positionTokens !== undefined && !isStringArray(value.positionTokens))) return false;
  return isNullableNumber(value.cleanLogitDiff) && isNullableNumber(value.corruptedLogitDiff);
}

export function isSubspaceReportData(value: unknown): value is SubspaceReportData {
  if (!isRecord(value)) return false;
  const { site, source, badge } = value;
  if (!isRecord(site) || !isString(site.hook) || !isString(site.label) || typeof site.width !== 'number') return false;
  if (!isRecord(source) || !isString(source.kind) || !isString(source.label) || typeof source.dimension !== 'number') return false;
  if (!isRecord(badge) || !['consistent', 'possible illusion'].includes(badge.label as string) || !isStringArray(badge.drivers) || !isString(badge.sentence)) return false;
  if (!Array.isArray(value.pairs) || !value.pairs.every(isPair) || !Array.isArray(value.variants) || !value.variants.every(isVariant)) return false;
  if (!Array.isArray(value.checks) || !value.checks.every(isCheck)) return false;
  if (!Array.isArray(value.skipped) || !value.skipped.every((s) => isRecord(s) && isString(s.name) && isString(s.reason))) return false;
  return isString(value.direction) && isString(value.downstream) && isStringArray(value.warnings) && isNullableNumber(value.elapsedMs);
}

export function isSubspaceRunView(value: unknown): value is SubspaceRunView {
  if (!isRecord(value)) return false;
  if (!['id', 'file', 'createdAt', 'model', 'intervention'].every((f) => isString(value[f]))) return false;
  if (!['complete', 'cancelled', 'incomplete'].includes(value.status as string)) return false;
  return value.report === undefined || isSubspaceReportData(value.report);
}

export function isSubspaceToWebview(value: unknown): value is SubspaceToWebview {
  if (!isRecord(value)) return false;
  if (value.type === 'show') return isSubspaceRunView(value.run);
  return (value.type === 'error' || value.type === 'exported') && isString(value.message);
}

export function isSubspaceFromWebview(value: unknown): value is SubspaceFromWebview {
  return isRecord(value) && (value.type === 'ready' || isExportRequest(value));
}
