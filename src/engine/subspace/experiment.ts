import { MechLensError } from '../errors';
import type { HookedModel } from '../hookedModel';
import { prepareInputs, type PatchingPrompts, type PreparedInputs } from '../patching/inputs';
import type { Direction } from '../patching/patchRunner';
import type { ResumableRun } from '../resumableRun';
import type { LoadedSae } from '../sae/sae';
import { seededNormal } from '../synthetic/randomGpt2';
import type { Tensor } from '../tensor';
import { runChecks, type CheckResult, type OverallBadge } from './checks';
import { orthonormalBasis, orthonormalise, project, randomBasis, vectorNorm, type Vec } from './orthonormal';
import { applyOp, applyOpToTensor, type SubspaceOp } from './patch';
import { downstreamWeights, logitDiffReadout, resolvePositions, siteLabel, siteLayout, type ReaderWeights, type SiteLayout, type SubspaceSite } from './site';
import { differenceOfMeans, ldaDirection, principalDirections, readVectorFile, ridgeDirection, saeFeatureDirections } from './sources';

/**
 * A subspace intervention over a set of clean/corrupted prompt pairs, with its faithfulness checks
 * (algorithms.md §1.6). Every pair's base run (corrupted when denoising) is computed once and resumed at
 * the site; all variants of a pair (the subspace, the whole component, the rowspace and nullspace parts,
 * random subspaces) run as one batch from there.
 *
 * Effects are normalised like a fraction recovered: Σ_pairs (LD_patched − LD_base) / Σ_pairs (LD_source − LD_base),
 * with LD the logit difference answer − wrong at the metric position: 0 = unchanged, 1 = the source run's
 * logit difference; above 1 overshoots it.
 */

export interface SubspacePair extends PatchingPrompts {
  wrong: string;
}

export type SubspaceSource =
  | { kind: 'vectors'; vectors: readonly ArrayLike<number>[]; label?: string }
  | { kind: 'file'; path: string }
  | { kind: 'sae-features'; sae: LoadedSae; features: number[] }
  | { kind: 'diff-means' }
  | { kind: 'pca'; k: number; center?: boolean }
  | { kind: 'fit'; method: 'ridge' | 'probe'; lambda?: number };

export const SOURCE_KINDS = ['diff-means', 'pca', 'sae-features', 'file', 'fit'] as const;

export interface SubspaceRequest {
  pairs: SubspacePair[];
  site: SubspaceSite;
  source: SubspaceSource;
  /** denoising (default): patch clean activations into the corrupted run; noising: the reverse. */
  direction?: Direction;
  /** Residual-stream sites: the heads whose weights count as the readers (default: every later head). */
  readers?: { layer: number; head: number }[];
  /** Which of the readers' weights (default q). */
  readerWeights?: ReaderWeights;
  /** Random subspaces of the same dimension for the baseline (default 20; 0 skips the check). */
  randomSubspaces?: number;
  seed?: number;
  /** Also run projection ablation, and setting the subspace coordinates to these values. */
  setValues?: number[];
}

export interface PairReference {
  clean: string;
  corrupted: string;
  answer: string;
  wrong: string;
  positions: number[];
  /** The clean prompt's tokens at those positions. */
  positionTokens: string[];
  metricPosition: number;
  /** Logit differences of the unpatched runs. */
  cleanLogitDiff: number;
  corruptedLogitDiff: number;
}

export interface VariantEffect {
  name: string;
  description: string;
  /** Dimension of the patched subspace (the site's width for the whole component). */
  dimension: number;
  /** Normalised effect (see above). */
  effect: number;
  /** Mean over pairs of LD_patched − LD_base. */
  meanChange: number;
  /** Per pair: the patched logit difference. */
  logitDiffs: number[];
}

export interface SubspaceReport {
  site: { hook: string; head?: number; label: string; width: number };
  direction: Direction;
  source: { kind: string; label: string; vectors: number; dimension: number; explained?: number[] };
  pairs: PairReference[];
  /** The orthonormal basis used (k vectors of the site's width). */
  basis: number[][];
  /** The patch of the subspace itself. */
  effect: VariantEffect;
  variants: VariantEffect[];
  checks: CheckResult[];
  skipped: { name: string; reason: string }[];
  badge: OverallBadge;
  downstream: string;
  warnings: string[];
  elapsedMs: number;
}

/** Progress and cancellation: steps are pair runs (collecting, then evaluating, then the held-out split). */
export interface SubspaceRunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Thrown between pair runs once the signal is aborted: a subspace experiment has no partial result. */
export class SubspaceCancelled extends Error {
  override readonly name = 'SubspaceCancelled';
  constructor() {
    super('the subspace intervention was cancelled');
  }
}

/** Counts finished pair runs against the expected total, and stops when cancelled. */
export class Steps {
  private done = 0;
  constructor(
    private readonly options: SubspaceRunOptions,
    private total: number,
  ) {}
  check(): void {
    if (this.options.signal?.aborted) throw new SubspaceCancelled();
  }
  step(count = 1): void {
    this.done += count;
    this.options.onProgress?.(this.done, this.total);
    this.check();
  }
  /** Drops steps that will not run (a skipped held-out split). */
  shrink(count: number): void {
    this.total -= count;
    this.options.onProgress?.(this.done, this.total);
  }
}

/** One pair's runs and its site vectors. */
interface PairData {
  inputs: PreparedInputs;
  positions: number[];
  base: ResumableRun;
  baseValue: Tensor;
  sourceValue: Tensor;
  baseLd: number;
  sourceLd: number;
  cleanLd: number;
  corruptedLd: number;
  /** Per position: the site vectors. */
  clean: Vec[];
  corrupted: Vec[];
  hBase: Vec[];
  hSource: Vec[];
}

export interface SubspaceData {
  layout: SiteLayout;
  direction: Direction;
  pairs: PairData[];
}

function logitDiff(logits: Float32Array, row: number, vocab: number, answer: number, wrong: number): number {
  return logits[row * vocab + answer] - logits[row * vocab + wrong];
}

/** Runs every pair's clean and corrupted prompts once and reads the site's vectors. */
export async function collectSubspaceData(model: HookedModel, pairs: readonly SubspacePair[], site: SubspaceSite, direction: Direction = 'denoising', steps?: Steps): Promise<SubspaceData> {
  if (pairs.length === 0) throw new MechLensError('give at least one clean/corrupted prompt pair');
  if (direction !== 'denoising' && direction !== 'noising') throw new MechLensError(`unknown direction ${JSON.stringify(direction)} (denoising or noising)`);
  const layout = siteLayout(model.config, site);
  const vocab = model.config.dVocab;
  const data: PairData[] = [];
  for (const [i, pair] of pairs.entries()) {
    if (pair.wrong === undefined) throw new MechLensError(`pair ${i}: a subspace intervention needs a wrong answer (its metric is the logit difference)`);
    const inputs = prepareInputs(model, pair);
    const length = inputs.clean.tokens.length;
    const positions = resolvePositions(site.positions ?? [inputs.metricPosition], length);
    const ids = (prompt: PreparedInputs['clean']) => ({ ids: [prompt.tokens.map((t) => t.id)] });
    const [baseInput, sourceInput] = direction === 'denoising' ? [inputs.corrupted, inputs.clean] : [inputs.clean, inputs.corrupted];
    const base = await model.runResumable(ids(baseInput), [layout.hook]);
    const source = await model.runWithCache(ids(sourceInput), [layout.hook]);
    const baseValue = base.cache.get(layout.hook)!;
    const sourceValue = source.cache.get(layout.hook)!;
    const ld = (logits: Tensor) => logitDiff(logits.data, inputs.metricPosition, vocab, inputs.answer.id, inputs.wrong!.id);
    const baseLd = ld(base.logits);
    const sourceLd = ld(source.logits);
    const read = (value: Tensor) => positions.map((p) => Float64Array.from(value.data.subarray(p * layout.inner + layout.offset, p * layout.inner + layout.offset + layout.width)));
    const hBase = read(baseValue);
    const hSource = read(sourceValue);
    const [clean, corrupted] = direction === 'denoising' ? [hSource, hBase] : [hBase, hSource];
    const [cleanLd, corruptedLd] = direction === 'denoising' ? [sourceLd, baseLd] : [baseLd, sourceLd];
    data.push({ inputs, positions, base, baseValue, sourceValue, baseLd, sourceLd, cleanLd, corruptedLd, clean, corrupted, hBase, hSource });
    steps?.step();
  }
  return { layout, direction, pairs: data };
}

/** The raw vectors of a source, fitted on the pairs `on` (all by default). */
export function sourceVectors(source: SubspaceSource, data: SubspaceData, on?: readonly number[]): { vectors: Vec[]; label: string; explained?: number[] } {
  const pairs = (on ?? data.pairs.map((_, i) => i)).map((i) => data.pairs[i]);
  const clean = pairs.flatMap((p) => p.clean);
  const corrupted = pairs.flatMap((p) => p.corrupted);
  switch (source.kind) {
    case 'vectors':
      return { vectors: source.vectors.map((v) => Float64Array.from(v)), label: source.label ?? 'given vectors' };
    case 'file':
      return { vectors: readVectorFile(source.path), label: `vectors from ${source.path}` };
    case 'sae-features':
      return { vectors: saeFeatureDirections(source.sae, source.features, data.layout), label: `decoder directions of SAE feature${source.features.length > 1 ? 's' : ''} ${source.features.join(', ')}` };
    case 'diff-means':
      return { vectors: [differenceOfMeans(clean, corrupted)], label: 'difference of means (clean − corrupted)' };
    case 'pca': {
      const diffs = pairs.flatMap((p) => p.clean.map((c, j) => c.map((x, d) => x - p.corrupted[j][d])));
      const { directions, explained } = principalDirections(diffs, source.k, { center: source.center });
      return { vectors: directions, label: `top ${source.k} principal component${source.k > 1 ? 's' : ''} of clean − corrupted`, explained };
    }
    case 'fit': {
      if (source.method === 'probe') return { vectors: [ldaDirection(clean, corrupted, source.lambda)], label: 'linear probe (regularised LDA) of clean vs corrupted' };
      const rows = [...clean, ...corrupted];
      const targets = [...pairs.flatMap((p) => p.clean.map(() => p.cleanLd)), ...pairs.flatMap((p) => p.corrupted.map(() => p.corruptedLd))];
      return { vectors: [ridgeDirection(rows, targets, source.lambda)], label: 'ridge fit of the logit difference' };
    }
    default:
      throw new MechLensError(`unknown subspace source ${JSON.stringify((source as { kind: string }).kind)} (sources: ${SOURCE_KINDS.join(', ')})`);
  }
}

export interface NamedOp {
  name: string;
  description: string;
  op: SubspaceOp;
}

/** Runs each operator on each chosen pair (one batched run per pair); returns the effect per operator. */
export async function evaluateOps(model: HookedModel, data: SubspaceData, ops: readonly NamedOp[], on?: readonly number[], steps?: Steps): Promise<VariantEffect[]> {
  const indices = on ?? data.pairs.map((_, i) => i);
  const lds = ops.map(() => [] as number[]);
  const vocab = model.config.dVocab;
  for (const i of indices) {
    const pair = data.pairs[i];
    const one = pair.baseValue.data.length;
    const batch: Tensor = { dims: [ops.length, ...pair.baseValue.dims.slice(1)], data: new Float32Array(one * ops.length) };
    ops.forEach(({ op }, j) => {
      const copy: Tensor = { dims: pair.baseValue.dims, data: batch.data.subarray(j * one, (j + 1) * one) };
      copy.data.set(pair.baseValue.data);
      applyOpToTensor(copy, data.layout, op, pair.positions, pair.sourceValue);
    });
    const logits = await model.runFrom(pair.base, data.layout.hook, batch, { logitPositions: [pair.inputs.metricPosition] });
    ops.forEach((_, j) => lds[j].push(logitDiff(logits.data, j, vocab, pair.inputs.answer.id, pair.inputs.wrong!.id)));
    steps?.step();
  }
  const totalGap = indices.reduce((s, i) => s + data.pairs[i].sourceLd - data.pairs[i].baseLd, 0);
  return ops.map(({ name, description, op }, j) => {
    const change = indices.reduce((s, i, n) => s + lds[j][n] - data.pairs[i].baseLd, 0);
    return { name, description, dimension: op.kind === 'full' ? data.layout.width : op.basis.length, effect: change / totalGap, meanChange: change / indices.length, logitDiffs: lds[j] };
  });
}

const ROWSPACE_TOLERANCE = 1e-4;
const PART_TOLERANCE = 1e-6;

/** Runs a subspace intervention with every check. */
export async function runSubspace(model: HookedModel, request: SubspaceRequest, options: SubspaceRunOptions = {}): Promise<SubspaceReport> {
  const started = performance.now();
  const direction = request.direction ?? 'denoising';
  const steps = new Steps(options, 3 * request.pairs.length);
  steps.check();
  const data = await collectSubspaceData(model, request.pairs, request.site, direction, steps);
  const { layout } = data;
  const warnings: string[] = [];
  const source = sourceVectors(request.source, data);
  const basis = orthonormalise(source.vectors, { what: source.label, dim: layout.width });
  const k = basis.length;

  // The readers' rowspace, and the subspace's parts in it and in its complement (algorithms.md §1.2).
  const { weights } = model;
  const first = data.pairs[0].inputs;
  const readout = logitDiffReadout(model.config, weights, first.answer.id, first.wrong!.id);
  const downstream = downstreamWeights(model.config, weights, layout, { readers: request.readers, readerWeights: request.readerWeights, readout });
  const rowspace = orthonormalBasis(downstream.columns, ROWSPACE_TOLERANCE);
  const rowVectors = basis.map((u) => project(rowspace, u));
  const nullVectors = basis.map((u, j) => u.map((x, i) => x - rowVectors[j][i]));
  const rowShare = rowVectors.reduce((s, v) => s + vectorNorm(v) ** 2, 0) / k;
  const rowBasis = orthonormalBasis(rowVectors, PART_TOLERANCE);
  const nullBasis = orthonormalBasis(nullVectors, PART_TOLERANCE);

  const ops: NamedOp[] = [
    { name: 'subspace', description: `patch of the ${k}-d subspace (${source.label})`, op: { kind: 'patch', basis } },
    { name: 'full', description: `patch of the whole ${siteLabel(layout)}`, op: { kind: 'full' } },
  ];
  if (rowBasis.length > 0 && rowShare > PART_TOLERANCE) ops.push({ name: 'rowspace', description: `the subspace's part in the rowspace of ${downstream.description}, patched alone`, op: { kind: 'patch', basis: rowBasis } });
  if (nullBasis.length > 0 && 1 - rowShare > PART_TOLERANCE) ops.push({ name: 'nullspace', description: `the subspace's part in the nullspace of ${downstream.description}, patched alone`, op: { kind: 'patch', basis: nullBasis } });
  ops.push({ name: 'ablate', description: 'projection ablation of the subspace in the base run', op: { kind: 'ablate', basis } });
  if (request.setValues) ops.push({ name: 'set', description: `the subspace coordinates set to ${request.setValues.join(', ')}`, op: { kind: 'set', basis, values: request.setValues } });
  const randomCount = request.randomSubspaces ?? 20;
  if (!Number.isInteger(randomCount) || randomCount < 0) throw new MechLensError(`the number of random subspaces must be a non-negative integer, got ${randomCount}`);
  const normal = seededNormal(request.seed ?? 1);
  for (let r = 0; r < randomCount; r++) ops.push({ name: `random ${r}`, description: `a random ${k}-d subspace`, op: { kind: 'patch', basis: randomBasis(layout.width, k, normal) } });

  const effects = await evaluateOps(model, data, ops, undefined, steps);
  const byName = new Map(effects.map((e) => [e.name, e]));

  // Held-out generalisation: refit on a training split (even-numbered pairs), evaluate on the rest.
  let heldOut: { train: number; test: number; trainPairs: number[]; testPairs: number[] } | undefined;
  let heldOutSkip: string | undefined;
  const fitted = request.source.kind === 'diff-means' || request.source.kind === 'pca' || request.source.kind === 'fit';
  if (!fitted) heldOutSkip = `the ${request.source.kind} source is not fitted on the prompts, so there is nothing to hold out`;
  else if (data.pairs.length < 2) heldOutSkip = 'held-out generalisation needs at least 2 prompt pairs';
  else {
    const trainPairs = data.pairs.map((_, i) => i).filter((i) => i % 2 === 0);
    const testPairs = data.pairs.map((_, i) => i).filter((i) => i % 2 === 1);
    try {
      const trainBasis = orthonormalise(sourceVectors(request.source, data, trainPairs).vectors, { what: 'the subspace fitted on the training split', dim: layout.width });
      const op: NamedOp[] = [{ name: 'trained', description: 'fitted on the training split', op: { kind: 'patch', basis: trainBasis } }];
      const [train] = await evaluateOps(model, data, op, trainPairs, steps);
      const [test] = await evaluateOps(model, data, op, testPairs, steps);
      heldOut = { train: train.effect, test: test.effect, trainPairs, testPairs };
    } catch (e) {
      if (!(e instanceof MechLensError)) throw e;
      heldOutSkip = `fitting on the training split failed: ${e.message}`;
    }
  }
  if (!heldOut) steps.shrink(data.pairs.length);

  // Projections of the unpatched activations, and the readers' view of the patched ones.
  const cleanActs = data.pairs.flatMap((p) => p.clean);
  const corruptedActs = data.pairs.flatMap((p) => p.corrupted);
  const patched = data.pairs.flatMap((p) => p.hBase.map((h, j) => ({ base: h, patched: applyOp({ kind: 'patch', basis }, h, p.hSource[j]) })));
  const { checks, skipped, badge } = runChecks({
    effect: byName.get('subspace')!.effect,
    full: byName.get('full')!.effect,
    row: byName.get('rowspace')?.effect,
    null: byName.get('nullspace')?.effect,
    rowShare,
    nullspaceDimension: layout.width - rowspace.length,
    downstream: downstream.description,
    basis,
    rowBasis,
    nullBasis,
    rowspace,
    cleanActs,
    corruptedActs,
    patched,
    random: effects.filter((e) => e.name.startsWith('random ')).map((e) => e.effect),
    sourceKind: request.source.kind,
    tokenExamples: data.pairs.flatMap((p) =>
      p.positions.flatMap((position, j) => [
        { h: p.clean[j], token: p.inputs.clean.tokens[position].text, set: 'clean' as const },
        { h: p.corrupted[j], token: p.inputs.corrupted.tokens[position].text, set: 'corrupted' as const },
      ]),
    ),
    heldOut,
    heldOutSkip,
  });

  const gaps = data.pairs.map((p) => p.sourceLd - p.baseLd);
  const totalGap = gaps.reduce((s, g) => s + g, 0);
  if (Math.abs(totalGap) < 0.1 * data.pairs.length) {
    warnings.push(`the clean and corrupted logit differences are close (mean gap ${(totalGap / data.pairs.length).toFixed(4)}): normalised effects divide by this gap and mean little`);
  }
  data.pairs.forEach((p, i) => {
    if (p.cleanLd <= 0) warnings.push(`pair ${i}: on the clean prompt the model does not prefer the answer over the wrong answer (logit difference ${p.cleanLd.toFixed(4)})`);
  });

  return {
    site: { hook: layout.hook, head: layout.head, label: siteLabel(layout), width: layout.width },
    direction,
    source: { kind: request.source.kind, label: source.label, vectors: source.vectors.length, dimension: k, explained: source.explained },
    pairs: data.pairs.map((p) => ({
      clean: p.inputs.clean.text,
      corrupted: p.inputs.corrupted.text,
      answer: p.inputs.answer.text,
      wrong: p.inputs.wrong!.text,
      positions: p.positions,
      positionTokens: p.positions.map((i) => p.inputs.clean.tokens[i].text),
      metricPosition: p.inputs.metricPosition,
      cleanLogitDiff: p.cleanLd,
      corruptedLogitDiff: p.corruptedLd,
    })),
    basis: basis.map((u) => Array.from(u)),
    effect: byName.get('subspace')!,
    variants: effects,
    checks,
    skipped,
    badge,
    downstream: downstream.description,
    warnings,
    elapsedMs: performance.now() - started,
  };
}
