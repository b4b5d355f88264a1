/** What each faithfulness check of a subspace patch reports (checks.ts, specificity.ts). */

export type Verdict = 'pass' | 'warn' | 'fail';

export type CheckName = 'full-component' | 'rowspace-nullspace' | 'dormancy' | 'downstream-range' | 'mean-difference' | 'specificity' | 'random-baseline' | 'held-out';

export interface Histogram {
  edges: number[];
  /** Counts per bin, per series (e.g. clean / corrupted, or normal / patched). */
  series: Record<string, number[]>;
}

export interface CheckResult {
  name: CheckName;
  title: string;
  verdict: Verdict;
  values: Record<string, number | null>;
  sentence: string;
  histograms?: Record<string, Histogram>;
}

export interface OverallBadge {
  label: 'consistent' | 'possible illusion';
  /** The checks that set the label (failures), or the ones that warned. */
  drivers: CheckName[];
  sentence: string;
}

/** Below this normalised effect a patch is taken to do nothing worth attributing. */
export const MIN_EFFECT = 0.1;
