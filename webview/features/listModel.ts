/**
 * The Features view's list logic: what the search box means, and which rows show in which order
 * under the sort and the filters. Pure: it works on the `list` message's rows.
 */
import type { FeatureListRow } from '../../src/protocol/featureIndex';

export type SortKey = 'index' | 'density' | 'max' | 'label';

/** Features firing on more than this fraction of tokens are "dense". */
export const DENSE_THRESHOLD = 0.01;

export interface ListOptions {
  sort: SortKey;
  hideDead: boolean;
  hideDense: boolean;
  /** Lower-cased label filter ('' for none). */
  labelFilter: string;
}

/** What the search box asks for: a feature by number (`123` or `#123`), a label filter, or nothing. */
export type Query = { kind: 'none' } | { kind: 'index'; index: number } | { kind: 'label'; text: string };

export function parseQuery(input: string): Query {
  const text = input.trim();
  if (text === '') return { kind: 'none' };
  const number = /^#?\s*(\d+)$/.exec(text);
  if (number) return { kind: 'index', index: Number(number[1]) };
  return { kind: 'label', text: text.toLowerCase() };
}

export function isDead(row: FeatureListRow): boolean {
  return row.count === 0;
}

export function isDense(row: FeatureListRow): boolean {
  return row.density > DENSE_THRESHOLD;
}

function compareLabels(a: FeatureListRow, b: FeatureListRow): number {
  if (!a.label && !b.label) return a.index - b.index;
  if (!a.label) return 1;
  if (!b.label) return -1;
  return a.label.text.localeCompare(b.label.text, undefined, { numeric: true, sensitivity: 'base' }) || a.index - b.index;
}

const COMPARE: Record<SortKey, (a: FeatureListRow, b: FeatureListRow) => number> = {
  index: (a, b) => a.index - b.index,
  density: (a, b) => b.density - a.density || a.index - b.index,
  max: (a, b) => b.maxActivation - a.maxActivation || a.index - b.index,
  label: compareLabels,
};

/** The rows that show, in order. */
export function visibleRows(rows: readonly FeatureListRow[], options: ListOptions): FeatureListRow[] {
  const shown = rows.filter(
    (row) => !(options.hideDead && isDead(row)) && !(options.hideDense && isDense(row)) && (options.labelFilter === '' || (row.label?.text.toLowerCase().includes(options.labelFilter) ?? false)),
  );
  return shown.sort(COMPARE[options.sort]);
}

/** Why a feature is not in the shown rows, or undefined when it is there. */
export function whyHidden(rows: readonly FeatureListRow[], index: number, options: ListOptions): string | undefined {
  const row = rows[index]?.index === index ? rows[index] : rows.find((r) => r.index === index);
  if (!row) return `There is no feature #${index}: this SAE has ${rows.length} features (#0 to #${rows.length - 1}).`;
  if (options.hideDead && isDead(row)) return `Feature #${index} is dead (it never fired) and "Hide dead" is on.`;
  if (options.hideDense && isDense(row)) return `Feature #${index} is dense and "Hide dense" is on.`;
  return undefined;
}
