/**
 * Messages between the activation-patching results panel and the extension host (postMessage),
 * and the run as the panel sees it: plain JSON, NaN (never run) as null. Both sides check what
 * they receive with these validators. Imports only src/protocol.
 */
import { isExportRequest, type ExportRequest } from './exportMessages';

export interface PatchingAxisView {
  /** layer, position, head, component, dest_position or src_position. */
  name: string;
  /** The layer, position, head or component index of each entry. */
  indices: number[];
  /** Token strings for positions, names for components, the index otherwise. */
  labels: string[];
}

export interface PatchingRunView {
  id: string;
  /** The run file's name (no folders). */
  file: string;
  createdAt: string;
  status: 'complete' | 'cancelled' | 'incomplete';
  cellsDone: number;
  model: string;
  sweep: string;
  /** The chosen metric: what the heatmap shows first. */
  metric: string;
  direction: string;
  tokens: { clean: string[]; corrupted: string[] };
  answer: string;
  wrong?: string;
  metricPosition: number;
  axes: PatchingAxisView[];
  shape: number[];
  /** The hook each part patches, with {layer} for the layer: one per component (or a single one). */
  hooks: string[];
  /** Every metric per cell, row-major over shape; null where the cell was not run. */
  metrics: Record<string, (number | null)[]>;
  reference: { clean: Record<string, number>; corrupted: Record<string, number> };
  warnings: string[];
}

export type PatchingToWebview = { type: 'show'; run: PatchingRunView } | { type: 'error'; message: string } | { type: 'exported'; message: string };

export type { ExportFormat } from './exportMessages';

export type PatchingFromWebview = { type: 'ready' } | { type: 'selectCell'; cell: number } | ExportRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
const isIntArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => Number.isInteger(v));
const isNumberMap = (value: unknown) => isRecord(value) && Object.values(value).every((v) => typeof v === 'number');

function isAxis(value: unknown): value is PatchingAxisView {
  return isRecord(value) && typeof value.name === 'string' && isIntArray(value.indices) && isStringArray(value.labels) && value.labels.length === value.indices.length;
}

export function isPatchingRunView(value: unknown): value is PatchingRunView {
  if (!isRecord(value)) return false;
  for (const field of ['id', 'file', 'createdAt', 'model', 'sweep', 'metric', 'direction', 'answer']) if (typeof value[field] !== 'string') return false;
  if (!['complete', 'cancelled', 'incomplete'].includes(value.status as string) || !Number.isInteger(value.cellsDone)) return false;
  if (value.wrong !== undefined && typeof value.wrong !== 'string') return false;
  if (!isRecord(value.tokens) || !isStringArray(value.tokens.clean) || !isStringArray(value.tokens.corrupted) || !Number.isInteger(value.metricPosition)) return false;
  if (!isStringArray(value.hooks) || value.hooks.length === 0) return false;
  if (!Array.isArray(value.axes) || !value.axes.every(isAxis) || !isIntArray(value.shape) || value.shape.length !== value.axes.length || value.shape.length < 2) return false;
  if (!value.shape.every((n, i) => n === (value.axes as PatchingAxisView[])[i].indices.length)) return false;
  const cells = value.shape.reduce((a, b) => a * b, 1);
  if (!isRecord(value.metrics) || !((value.metric as string) in value.metrics)) return false;
  if (!Object.values(value.metrics).every((v) => Array.isArray(v) && v.length === cells && v.every((x) => x === null || typeof x === 'number'))) return false;
  return isRecord(value.reference) && isNumberMap(value.reference.clean) && isNumberMap(value.reference.corrupted) && isStringArray(value.warnings);
}

export function isPatchingToWebview(value: unknown): value is PatchingToWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'show':
      return isPatchingRunView(value.run);
    case 'error':
    case 'exported':
      return typeof value.message === 'string';
    default:
      return false;
  }
}

export function isPatchingFromWebview(value: unknown): value is PatchingFromWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return true;
    case 'selectCell':
      return Number.isInteger(value.cell) && (value.cell as number) >= 0;
    default:
      return isExportRequest(value);
  }
}

/** The entry along each axis of a row-major cell index. */
export function cellCoordinates(shape: readonly number[], cell: number): number[] {
  const ks = new Array<number>(shape.length);
  let rest = cell;
  for (let a = shape.length - 1; a >= 0; a--) {
    ks[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  return ks;
}

/** The row-major cell index of one entry per axis. */
export function cellIndex(shape: readonly number[], ks: readonly number[]): number {
  return ks.reduce((cell, k, a) => cell * shape[a] + k, 0);
}
