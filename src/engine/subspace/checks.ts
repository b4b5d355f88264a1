import { coordinates, dot, project, vectorNorm, type Vec } from './orthonormal';
import { MIN_EFFECT, type CheckName, type CheckResult, type Histogram, type OverallBadge } from './checkResult';
import { differenceOfMeans } from './sources';
import { specificityCheck, type TokenExample } from './specificity';

/**
 * The faithfulness checks of a subspace patch (algorithms.md §1.6; Makelov, Lange & Nanda, ICLR 2024).
 * Each gives a verdict and a sentence a researcher can act on. Effects are normalised (see experiment.ts):
 * 0 = no change, 1 = the source run's logit difference.
 *
 * The badge is "possible illusion" when any of the four checks that test whether the effect goes through
 * the pathway the subspace uses in normal runs fails: the full-component comparison, the rowspace/nullspace
 * split, dormancy, and the downstream range. The mean-difference direction (an independent derivation),
 * specificity, the random baseline and held-out generalisation speak to agreement, specificity,
 * significance and generalisation; they warn but do not set the badge.
 */

export { MIN_EFFECT, type CheckName, type CheckResult, type Histogram, type OverallBadge, type Verdict } from './checkResult';

const ILLUSION_CHECKS: readonly CheckName[] = ['full-component', 'rowspace-nullspace', 'dormancy', 'downstream-range'];

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
/** "2.50×", or "over 1000×" where normal runs barely vary along the direction. */
const times = (x: number) => (x > 1000 ? 'over 1000×' : `${x.toFixed(2)}×`);

export function fullComponentCheck(effect: number, full: number): CheckResult {
  const values = { effect, full, ratio: Math.abs(full) > 1e-12 ? effect / full : null };
  const base = { name: 'full-component' as const, title: 'Comparison with patching the whole component', values };
  if (Math.abs(effect) < MIN_EFFECT) {
    return { ...base, verdict: 'pass', sentence: `The subspace patch moves the logit difference little (${pct(effect)} of the clean–corrupted gap; the whole component: ${pct(full)}), so there is nothing here to over-attribute.` };
  }
  if (Math.abs(effect) > 2 * Math.abs(full) + 0.05) {
    return {
      ...base,
      verdict: 'fail',
      sentence: `Patching the subspace does far more (${pct(effect)}) than patching the whole component it lives in (${pct(full)}): the subspace patch creates an activation the component never produces for either prompt, the signature of an interpretability illusion.`,
    };
  }
  if (Math.abs(effect) > 1.25 * Math.abs(full) + 0.05 || Math.sign(effect) !== Math.sign(full)) {
    return { ...base, verdict: 'warn', sentence: `The subspace patch (${pct(effect)}) exceeds or opposes the whole-component patch (${pct(full)}); part of its effect may come from an off-distribution combination.` };
  }
  return { ...base, verdict: 'pass', sentence: `The subspace patch (${pct(effect)}) is within what patching the whole component does (${pct(full)}).` };
}

/** A nullspace smaller than this share of the site makes the rowspace/nullspace split uninformative. */
const NEAR_FULL_RANK = 0.05;

export function rowNullCheck(input: { effect: number; row?: number; null?: number; rowShare: number; nullspaceDimension: number; rowspaceDimension: number; downstream: string }): CheckResult {
  const { effect, rowShare, nullspaceDimension, downstream } = input;
  const row = input.row ?? 0;
  const nul = input.null ?? 0;
  const values = { effect, rowspaceEffect: input.row ?? null, nullspaceEffect: input.null ?? null, rowspaceNorm: Math.sqrt(rowShare), nullspaceNorm: Math.sqrt(Math.max(0, 1 - rowShare)), nullspaceDimension };
  const base = { name: 'rowspace-nullspace' as const, title: `Rowspace / nullspace of ${downstream}`, values };
  const parts = `rowspace part alone ${pct(row)}, nullspace part alone ${pct(nul)}, both ${pct(effect)}; norms ${values.rowspaceNorm.toFixed(2)} and ${values.nullspaceNorm.toFixed(2)}`;
  if (Math.abs(effect) < MIN_EFFECT) return { ...base, verdict: 'pass', sentence: `The patch has little effect (${pct(effect)}), so there is little to attribute to either part (${parts}).` };
  if (nullspaceDimension < Math.max(1, NEAR_FULL_RANK * (nullspaceDimension + input.rowspaceDimension))) {
    return {
      ...base,
      verdict: 'warn',
      sentence: `${downstream} span ${nullspaceDimension === 0 ? 'the whole site' : `all but ${nullspaceDimension} of the site's ${nullspaceDimension + input.rowspaceDimension} dimensions`}, so almost every direction is in their rowspace and the split says little (${parts}); name the heads believed to read the feature (readers) for an informative split.`,
    };
  }
  const r = row / effect;
  if (r < 0.5) {
    const sentence =
      Math.abs(nul / effect) < 0.5
        ? `Neither part works alone (${parts}): the effect needs the nullspace part, which the downstream weights cannot read, to move activations along the rowspace part. This is the illusion's signature: a dormant pathway is switched on.`
        : `The effect survives mostly without the rowspace part (${parts}), although the downstream weights cannot read the nullspace part directly; it acts through a nonlinearity, not the weights named here.`;
    return { ...base, verdict: 'fail', sentence };
  }
  if (1 - rowShare > 0.5 || Math.abs(nul / effect) > 0.25) {
    const why = 1 - rowShare > 0.5 ? `more than half of the subspace lies in the nullspace of ${downstream}, which cannot read it` : `the nullspace part alone moves the output (through a nonlinearity, since ${downstream} cannot read it)`;
    return { ...base, verdict: 'warn', sentence: `The rowspace part keeps the effect, but ${why} (${parts}); describe the feature by its rowspace part.` };
  }
  return { ...base, verdict: 'pass', sentence: `The rowspace part alone keeps the effect and the nullspace part does ~nothing (${parts}): the subspace acts through the weights that read it.` };
}

interface PartStats {
  /** RMS over pairs and positions of ‖Bᵀ(h_clean − h_corrupted)‖. */
  pairedGap: number;
  /** Spread: √(mean ‖Bᵀ(h − mean)‖²) over all activations. */
  spread: number;
  /** (mean_clean − mean_corrupted) / pooled std along the first basis vector. */
  separation: number | null;
  histogram: Histogram | null;
}

function partStats(basis: readonly Vec[], clean: readonly Vec[], corrupted: readonly Vec[]): PartStats {
  if (basis.length === 0) return { pairedGap: 0, spread: 0, separation: null, histogram: null };
  let gap = 0;
  for (let i = 0; i < clean.length; i++) gap += vectorNorm(coordinates(basis, clean[i].map((x, j) => x - corrupted[i][j]))) ** 2;
  const all = [...clean, ...corrupted];
  const coords = all.map((h) => coordinates(basis, h));
  const mean = coords[0].map((_, j) => coords.reduce((s, c) => s + c[j], 0) / coords.length);
  const spread = Math.sqrt(coords.reduce((s, c) => s + c.reduce((t, x, j) => t + (x - mean[j]) ** 2, 0), 0) / coords.length);
  const a = clean.map((h) => dot(basis[0], h));
  const b = corrupted.map((h) => dot(basis[0], h));
  const m = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = (xs: number[]) => xs.reduce((s, x) => s + (x - m(xs)) ** 2, 0) / xs.length;
  const pooled = Math.sqrt((v(a) + v(b)) / 2);
  const diff = m(a) - m(b);
  return { pairedGap: Math.sqrt(gap / clean.length), spread, separation: pooled > 1e-12 ? diff / pooled : diff === 0 ? 0 : null, histogram: histogram({ clean: a, corrupted: b }) };
}

export function dormancyCheck(input: { effect: number; basis: readonly Vec[]; rowBasis: readonly Vec[]; nullBasis: readonly Vec[]; clean: readonly Vec[]; corrupted: readonly Vec[] }): CheckResult {
  const sub = partStats(input.basis, input.clean, input.corrupted);
  const row = partStats(input.rowBasis, input.clean, input.corrupted);
  const nul = partStats(input.nullBasis, input.clean, input.corrupted);
  const ratio = sub.pairedGap > 1e-12 ? row.pairedGap / sub.pairedGap : null;
  const values = {
    subspaceGap: sub.pairedGap,
    rowspaceGap: row.pairedGap,
    nullspaceGap: nul.pairedGap,
    rowToSubspaceGap: ratio,
    subspaceSpread: sub.spread,
    rowspaceSpread: row.spread,
    nullspaceSpread: nul.spread,
    subspaceSeparation: sub.separation,
    rowspaceSeparation: row.separation,
    nullspaceSeparation: nul.separation,
  };
  const histograms: Record<string, Histogram> = {};
  for (const [name, stats] of [['subspace', sub], ['rowspace', row], ['nullspace', nul]] as const) if (stats.histogram) histograms[name] = stats.histogram;
  const base = { name: 'dormancy' as const, title: 'Dormancy: do the activations move along the part that is read?', values, histograms };
  const gaps = `clean − corrupted RMS gap: subspace ${sub.pairedGap.toPrecision(3)}, rowspace part ${row.pairedGap.toPrecision(3)}, nullspace part ${nul.pairedGap.toPrecision(3)}; spread over the prompts ${sub.spread.toPrecision(3)}, ${row.spread.toPrecision(3)}, ${nul.spread.toPrecision(3)}`;
  if (Math.abs(input.effect) < MIN_EFFECT) return { ...base, verdict: 'pass', sentence: `The patch has little effect, so dormancy does not matter here (${gaps}).` };
  if (input.rowBasis.length === 0) return { ...base, verdict: 'fail', sentence: `The subspace has no part that the downstream weights read, yet the patch moves the output (${gaps}).` };
  if (ratio === null || ratio < 0.25) {
    return {
      ...base,
      verdict: 'fail',
      sentence: `Along the part the downstream weights read, the activations hardly differ between clean and corrupted prompts (${gaps}): that part is dormant, and the patch moves activations along it only because the subspace mixes it with a part that varies.`,
    };
  }
  if (ratio < 0.5) return { ...base, verdict: 'warn', sentence: `The part the downstream weights read varies much less between the prompts than the subspace as a whole (${gaps}).` };
  return { ...base, verdict: 'pass', sentence: `The part the downstream weights read differs between clean and corrupted prompts as much as the subspace does (${gaps}): it is used in normal runs.` };
}

/**
 * Whether the readers' view of the patched activations stays in the range of normal runs: for each patched
 * vector h', the direction w of the change the readers see (Q Qᵀ (h' − h_base), normalised) and w·h' against
 * w·h over every unpatched activation (clean and corrupted).
 */
export function downstreamRangeCheck(input: { effect: number; rowspace: readonly Vec[]; normal: readonly Vec[]; patched: readonly { base: Vec; patched: Vec }[] }): CheckResult {
  const excesses: number[] = [];
  let hist: Histogram | undefined;
  for (const { base, patched } of input.patched) {
    const change = project(input.rowspace, patched.map((x, i) => x - base[i]));
    const size = vectorNorm(change);
    if (size <= 1e-9 * (vectorNorm(base) + 1)) continue;
    const w = change.map((x) => x / size);
    const normal = input.normal.map((h) => dot(w, h));
    const value = dot(w, patched);
    const lo = Math.min(...normal);
    const hi = Math.max(...normal);
    const width = Math.max(hi - lo, 1e-6 * (1 + Math.max(Math.abs(lo), Math.abs(hi))));
    excesses.push(Math.max(lo - value, value - hi, 0) / width);
    if (!hist) hist = histogram({ normal, patched: input.patched.map((p) => dot(w, p.patched)) });
  }
  const sorted = [...excesses].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  const max = sorted.length ? sorted[sorted.length - 1] : 0;
  const outside = excesses.filter((e) => e > 0.1).length;
  const values = { patchedSeen: excesses.length, outside, medianExcess: median, maxExcess: max };
  const base = { name: 'downstream-range' as const, title: 'Patched values the readers see, against normal runs', values, histograms: hist ? { readerView: hist } : undefined };
  if (excesses.length === 0) return { ...base, verdict: Math.abs(input.effect) < MIN_EFFECT ? 'pass' : 'warn', sentence: 'The patch changes nothing the downstream weights read.' };
  const summary = `${outside} of ${excesses.length} patched activations lie outside the normal range along the direction the readers see the change in (typical excess ${times(median)} the normal range's width, largest ${times(max)})`;
  if (median > 1) return { ...base, verdict: 'fail', sentence: `${summary}: the patch drives the readers with values normal runs never produce, so the effect is off-distribution.` };
  if (max > 0.25) return { ...base, verdict: 'warn', sentence: `${summary}: some patched values are off-distribution (with few prompts the normal range is narrow; add prompts to be sure).` };
  return { ...base, verdict: 'pass', sentence: `${summary}: the readers see values within the range of normal runs.` };
}

/** At least this share of the mean difference inside the subspace counts as lying along it. */
const ALIGNED = 0.5;

/**
 * Independent derivation (algorithms.md §1.6, check 5, with the class-mean direction; onnxruntime has no
 * gradients for the reader-score direction): how much of the clean − corrupted difference of means, a
 * direction found without any patching, lies in the subspace: alignment = ‖P d‖ / ‖d‖, the cosine of the
 * angle between d and the subspace, against √(k / width), the typical alignment of a random k-d subspace.
 * Agreement corroborates the subspace but does not clear it: an illusory direction can be half along a
 * direction that separates the prompts (the distilled illusion is), so this check never sets the badge.
 */
export function meanDifferenceCheck(input: { effect: number; basis: readonly Vec[]; clean: readonly Vec[]; corrupted: readonly Vec[] }): CheckResult {
  const d = differenceOfMeans(input.clean, input.corrupted);
  const size = vectorNorm(d);
  const width = d.length;
  const chance = Math.sqrt(Math.min(1, input.basis.length / width));
  const rms = Math.sqrt([...input.clean, ...input.corrupted].reduce((s, h) => s + dot(h, h), 0) / (input.clean.length + input.corrupted.length));
  const base = { name: 'mean-difference' as const, title: 'Independent direction: the clean − corrupted difference of means' };
  if (!(size > 1e-9 * rms)) {
    const verdict = Math.abs(input.effect) < MIN_EFFECT ? 'pass' : 'warn';
    return { ...base, values: { alignment: null, chance, meanDifferenceNorm: size }, verdict, sentence: 'Clean and corrupted activations do not differ on average at this site, so there is no mean difference to compare the subspace with.' };
  }
  const alignment = Math.min(1, vectorNorm(project(input.basis, d)) / size);
  const values = { alignment, chance, meanDifferenceNorm: size };
  const numbers = `the subspace holds ${pct(alignment)} of the difference of means (cosine ${alignment.toFixed(2)}; a random ${input.basis.length}-d subspace of the ${width} dimensions holds about ${pct(chance)})`;
  if (Math.abs(input.effect) < MIN_EFFECT) return { ...base, values, verdict: 'pass', sentence: `The patch has little effect, so there is nothing to corroborate (${numbers}).` };
  if (alignment >= ALIGNED) return { ...base, values, verdict: 'pass', sentence: `A direction found without patching agrees: ${numbers}. (Agreement corroborates; it does not rule out an illusion.)` };
  const outside = `most of the average difference between the prompts lies outside the subspace, so its effect comes from differences specific to each pair (such as which names they hold) or from directions the prompts barely differ along; read it with the dormancy check`;
  if (alignment > 3 * chance) return { ...base, values, verdict: 'warn', sentence: `A direction found without patching agrees only in part: ${numbers}; ${outside}.` };
  return { ...base, values, verdict: 'warn', sentence: `The subspace lies nearly across the direction found without patching: ${numbers}; ${outside}.` };
}

export function randomBaselineCheck(effect: number, random: readonly number[]): CheckResult {
  const sorted = [...random].map(Math.abs).sort((a, b) => a - b);
  const below = sorted.filter((r) => r < Math.abs(effect)).length;
  const percentile = below / sorted.length;
  const mean = random.reduce((s, r) => s + r, 0) / random.length;
  const values = { percentile, randomMean: mean, randomMaxAbs: sorted[sorted.length - 1], randomMedianAbs: sorted[Math.floor(sorted.length / 2)], count: random.length };
  const base = { name: 'random-baseline' as const, title: `Random subspaces of the same dimension (${random.length})`, values };
  const where = `|effect| ${Math.abs(effect).toFixed(3)} is above ${pct(percentile)} of ${random.length} random subspaces (their median |effect| ${values.randomMedianAbs.toFixed(3)}, largest ${values.randomMaxAbs.toFixed(3)})`;
  if (Math.abs(effect) < MIN_EFFECT) return { ...base, verdict: 'warn', sentence: `The subspace patch barely moves the logit difference; ${where}.` };
  if (percentile >= 0.95) return { ...base, verdict: 'pass', sentence: `The effect is specific to this subspace: ${where}.` };
  return { ...base, verdict: 'warn', sentence: `Random subspaces of the same dimension do about as much: ${where}.` };
}

export function heldOutCheck(train: number, test: number, trainPairs: number, testPairs: number): CheckResult {
  const values = { trainEffect: train, heldOutEffect: test, trainPairs, heldOutPairs: testPairs };
  const base = { name: 'held-out' as const, title: 'Held-out generalisation', values };
  const text = `fitted on ${trainPairs} pair${trainPairs === 1 ? '' : 's'} (even-numbered), the subspace's effect is ${pct(train)} there and ${pct(test)} on ${testPairs} held-out pair${testPairs === 1 ? '' : 's'}`;
  if (Math.abs(train) < MIN_EFFECT) return { ...base, verdict: 'warn', sentence: `Even on its training pairs the fitted subspace does little: ${text}.` };
  if (Math.sign(test) === Math.sign(train) && Math.abs(test) >= 0.5 * Math.abs(train)) return { ...base, verdict: 'pass', sentence: `It generalises: ${text}. (Held-out pairs share templates with the training pairs unless the prompt set separates them.)` };
  return { ...base, verdict: 'warn', sentence: `It does not generalise well: ${text}; the fit may have found prompt-specific structure.` };
}

export interface CheckInputs {
  effect: number;
  full: number;
  row?: number;
  null?: number;
  rowShare: number;
  nullspaceDimension: number;
  downstream: string;
  basis: readonly Vec[];
  rowBasis: readonly Vec[];
  nullBasis: readonly Vec[];
  rowspace: readonly Vec[];
  cleanActs: readonly Vec[];
  corruptedActs: readonly Vec[];
  patched: readonly { base: Vec; patched: Vec }[];
  random: readonly number[];
  /** The source's kind: the mean-difference check is skipped for sources fitted on that same difference. */
  sourceKind: string;
  /** The unpatched activations at the patched positions with their tokens, for the specificity probe. */
  tokenExamples: readonly TokenExample[];
  heldOut?: { train: number; test: number; trainPairs: number[]; testPairs: number[] };
  heldOutSkip?: string;
}

export function runChecks(input: CheckInputs): { checks: CheckResult[]; skipped: { name: CheckName; reason: string }[]; badge: OverallBadge } {
  const checks: CheckResult[] = [
    fullComponentCheck(input.effect, input.full),
    rowNullCheck({ effect: input.effect, row: input.row, null: input.null, rowShare: input.rowShare, nullspaceDimension: input.nullspaceDimension, rowspaceDimension: input.rowspace.length, downstream: input.downstream }),
    dormancyCheck({ effect: input.effect, basis: input.basis, rowBasis: input.rowBasis, nullBasis: input.nullBasis, clean: input.cleanActs, corrupted: input.corruptedActs }),
    downstreamRangeCheck({ effect: input.effect, rowspace: input.rowspace, normal: [...input.cleanActs, ...input.corruptedActs], patched: input.patched }),
  ];
  const skipped: { name: CheckName; reason: string }[] = [];
  if (input.sourceKind === 'diff-means' || input.sourceKind === 'pca') skipped.push({ name: 'mean-difference', reason: `the ${input.sourceKind} source is fitted on the clean − corrupted differences, so it agrees with their mean by construction` });
  else checks.push(meanDifferenceCheck({ effect: input.effect, basis: input.basis, clean: input.cleanActs, corrupted: input.corruptedActs }));
  const specificity = specificityCheck({ effect: input.effect, basis: input.basis, examples: input.tokenExamples });
  if ('skip' in specificity) skipped.push({ name: 'specificity', reason: specificity.skip });
  else checks.push(specificity);
  if (input.random.length > 0) checks.push(randomBaselineCheck(input.effect, input.random));
  else skipped.push({ name: 'random-baseline', reason: 'no random subspaces were asked for' });
  if (input.heldOut) checks.push(heldOutCheck(input.heldOut.train, input.heldOut.test, input.heldOut.trainPairs.length, input.heldOut.testPairs.length));
  else skipped.push({ name: 'held-out', reason: input.heldOutSkip ?? 'not run' });
  return { checks, skipped, badge: overallBadge(checks) };
}

export function overallBadge(checks: readonly CheckResult[]): OverallBadge {
  const failed = checks.filter((c) => ILLUSION_CHECKS.includes(c.name) && c.verdict === 'fail').map((c) => c.name);
  if (failed.length > 0) {
    return { label: 'possible illusion', drivers: failed, sentence: `Possible illusion: ${failed.join(', ')} failed. The effect is real, but it may not go through the pathway this subspace uses in normal runs.` };
  }
  const warned = checks.filter((c) => c.verdict === 'warn').map((c) => c.name);
  return {
    label: 'consistent',
    drivers: warned,
    sentence: warned.length ? `Consistent with a faithful subspace, with caveats from ${warned.join(', ')}.` : 'Consistent with a faithful subspace: every check passed.',
  };
}

/** Histograms with shared bins over every series. */
export function histogram(series: Record<string, readonly number[]>, bins = 12): Histogram {
  const all = Object.values(series).flat();
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const count = (values: readonly number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
    return counts;
  };
  return { edges, series: Object.fromEntries(Object.entries(series).map(([name, values]) => [name, count(values)])) };
}
