import { seededUniform } from '../synthetic/randomGpt2';
import { MIN_EFFECT, type CheckResult } from './checkResult';
import { coordinates, type Vec } from './orthonormal';

/**
 * Specificity (algorithms.md §1.6, check 8): can the subspace's coordinates tell which token sits at
 * the patched position? Within the clean prompts (and, apart, within the corrupted ones) the token
 * there, such as which name a pair uses, is irrelevant to the contrast a pair makes, so a probe that
 * reads it from the projection should be at chance. Probing inside each prompt set keeps the
 * clean/corrupted difference itself (which the subspace should carry) out of it.
 *
 * The probe: nearest class centroid in the subspace coordinates, leave-one-out, over the tokens that
 * occur at least twice in their prompt set. Chance: the same probe with the tokens shuffled inside
 * each prompt set (seeded permutations); the share of shuffles that do as well is the p-value.
 */

/** Multiply-adds the shuffles may take together by default. */
const MAX_SHUFFLE_WORK = 2e8;

export interface TokenExample {
  /** The activation at a patched position. */
  h: Vec;
  /** The token there. */
  token: string;
  /** Which prompt set it comes from: the probe never mixes them. */
  set: 'clean' | 'corrupted';
}

interface ProbeGroup {
  set: TokenExample['set'];
  coords: Vec[];
  /** Class index of each example. */
  labels: number[];
  classes: number;
}

/** Leave-one-out nearest-centroid accuracy: correct predictions over the groups' examples. */
export function leaveOneOutCorrect(group: Omit<ProbeGroup, 'set'>, labels: readonly number[] = group.labels): number {
  const k = group.coords[0].length;
  const sums = Array.from({ length: group.classes }, () => new Float64Array(k));
  const counts = new Array<number>(group.classes).fill(0);
  group.coords.forEach((x, i) => {
    counts[labels[i]]++;
    for (let d = 0; d < k; d++) sums[labels[i]][d] += x[d];
  });
  let correct = 0;
  group.coords.forEach((x, i) => {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < group.classes; c++) {
      const own = c === labels[i];
      const n = counts[c] - (own ? 1 : 0);
      if (n === 0) continue;
      let distance = 0;
      for (let d = 0; d < k; d++) distance += (x[d] - (sums[c][d] - (own ? x[d] : 0)) / n) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [c, distance];
    }
    if (best === labels[i]) correct++;
  });
  return correct;
}

/** The examples of each prompt set whose token occurs at least twice there, as probe groups (coordinates on the basis). */
export function probeGroups(basis: readonly Vec[], examples: readonly TokenExample[]): ProbeGroup[] {
  const groups: ProbeGroup[] = [];
  for (const set of ['clean', 'corrupted'] as const) {
    const inSet = examples.filter((e) => e.set === set);
    const counts = new Map<string, number>();
    for (const e of inSet) counts.set(e.token, (counts.get(e.token) ?? 0) + 1);
    const tokens = [...counts].filter(([, n]) => n >= 2).map(([token]) => token).sort();
    if (tokens.length < 2) continue;
    const index = new Map(tokens.map((t, i) => [t, i]));
    const kept = inSet.filter((e) => index.has(e.token));
    groups.push({ set, coords: kept.map((e) => coordinates(basis, e.h)), labels: kept.map((e) => index.get(e.token)!), classes: tokens.length });
  }
  return groups;
}

function shuffled(labels: readonly number[], uniform: () => number): number[] {
  const out = [...labels];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function specificityCheck(input: { effect: number; basis: readonly Vec[]; examples: readonly TokenExample[]; permutations?: number; seed?: number }): CheckResult | { skip: string } {
  const groups = probeGroups(input.basis, input.examples);
  if (groups.length === 0) {
    return { skip: 'no prompt set has two different tokens that each occur at least twice at the patched positions (use more pairs that vary the token there, such as the names)' };
  }
  const total = groups.reduce((n, g) => n + g.coords.length, 0);
  const accuracy = groups.reduce((n, g) => n + leaveOneOutCorrect(g), 0) / total;
  // One probe costs examples × tokens × dimensions; large sets get fewer shuffles (at least 20) so the check stays under a second or so.
  const probeCost = groups.reduce((n, g) => n + g.coords.length * g.classes, 0) * input.basis.length;
  const permutations = input.permutations ?? Math.max(20, Math.min(200, Math.floor(MAX_SHUFFLE_WORK / probeCost)));
  const uniform = seededUniform(input.seed ?? 1);
  let atLeast = 0;
  let chanceSum = 0;
  for (let r = 0; r < permutations; r++) {
    const permuted = groups.reduce((n, g) => n + leaveOneOutCorrect(g, shuffled(g.labels, uniform)), 0) / total;
    chanceSum += permuted;
    if (permuted >= accuracy - 1e-12) atLeast++;
  }
  const chance = chanceSum / permutations;
  const pValue = (1 + atLeast) / (1 + permutations);
  const tokens = groups.reduce((n, g) => n + g.classes, 0);
  const where = groups.map((g) => `${g.classes} in the ${g.set} prompts`).join(', ');
  const values = { accuracy, chance, pValue, examples: total, tokens, shuffles: permutations };
  const base = { name: 'specificity' as const, title: 'Specificity: does the subspace also tell which token is there?', values };
  const numbers = `a probe on the subspace coordinates names the token at the patched position in ${(100 * accuracy).toFixed(0)}% of ${total} held-out examples (tokens told apart: ${where}); with the tokens shuffled (${permutations} times) it gets ${(100 * chance).toFixed(0)}% (p = ${pValue.toFixed(3)})`;
  if (Math.abs(input.effect) < MIN_EFFECT) return { ...base, verdict: 'pass', sentence: `The patch has little effect, so specificity does not matter here (${numbers}).` };
  if (pValue < 0.05 && accuracy >= chance + 0.1) {
    return { ...base, verdict: 'warn', sentence: `The subspace also carries which token sits there: ${numbers}. It is not specific to the contrast the pairs make; part of its effect may come from token identity.` };
  }
  return { ...base, verdict: 'pass', sentence: `The token at the patched position cannot be read from the subspace beyond chance: ${numbers}.` };
}
