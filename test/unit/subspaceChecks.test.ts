import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fullComponentCheck, heldOutCheck, meanDifferenceCheck, overallBadge, randomBaselineCheck, rowNullCheck, runChecks, type CheckInputs } from '../../src/engine/subspace/checks';

describe('subspace check verdicts', () => {
  test('full-component comparison', () => {
    assert.equal(fullComponentCheck(0.05, 0).verdict, 'pass');
    assert.equal(fullComponentCheck(0.6, 0.02).verdict, 'fail');
    assert.equal(fullComponentCheck(1.39, 1.22).verdict, 'pass'); // the paper's residual-stream success case
    assert.equal(fullComponentCheck(0.8, 0.55).verdict, 'warn');
    assert.equal(fullComponentCheck(0.5, -0.5).verdict, 'warn');
  });

  test('rowspace / nullspace split', () => {
    const base = { rowShare: 0.9, nullspaceDimension: 700, rowspaceDimension: 300, downstream: 'W_out' };
    assert.equal(rowNullCheck({ ...base, effect: 0.46, row: 0.13, null: 0 }).verdict, 'fail'); // the paper's MLP8 numbers
    assert.equal(rowNullCheck({ ...base, effect: 1.39, row: 1.26, null: 0.14 }).verdict, 'pass');
    assert.equal(rowNullCheck({ ...base, rowShare: 0.3, effect: 1, row: 0.9, null: 0 }).verdict, 'warn');
    const full = rowNullCheck({ ...base, nullspaceDimension: 1, rowspaceDimension: 255, effect: 0.5, row: 0.5, null: 0 });
    assert.equal(full.verdict, 'warn');
    assert.match(full.sentence, /all but 1 of the site's 256 dimensions/);
  });

  test('random baseline, held-out, and the badge', () => {
    assert.equal(randomBaselineCheck(0.5, [0.01, -0.02, 0.03]).verdict, 'pass');
    assert.equal(randomBaselineCheck(0.5, [0.6, 0.7, 0.1]).verdict, 'warn');
    assert.equal(heldOutCheck(0.8, 0.6, 2, 2).verdict, 'pass');
    assert.equal(heldOutCheck(0.8, 0.1, 2, 2).verdict, 'warn');
    const badge = overallBadge([fullComponentCheck(0.6, 0.02), randomBaselineCheck(0.5, [0.6])]);
    assert.deepEqual(badge, { label: 'possible illusion', drivers: ['full-component'], sentence: badge.sentence });
    assert.equal(overallBadge([randomBaselineCheck(0.5, [0.6])]).label, 'consistent');
  });

  test('mean-difference alignment: ‖P d‖ / ‖d‖ against hand-computed values, a verdict at each level', () => {
    // Width 64; clean − corrupted differ on average along d = (3, 4, 0, …) (‖d‖ = 5), plus per-pair noise on unit 5 that cancels in the mean.
    const width = 64;
    const vector = (entries: Record<number, number>) => Float64Array.from({ length: width }, (_, j) => entries[j] ?? 0);
    const corrupted = [0, 1, 2, 3].map((p) => Float64Array.from({ length: width }, (_, j) => Math.sin(p * 7 + j)));
    const clean = corrupted.map((h, p) => h.map((x, j) => x + (j === 0 ? 3 : j === 1 ? 4 : 0) + (j === 5 ? (p % 2 ? 1 : -1) : 0)));
    const check = (basis: Float64Array[], effect = 0.8) => meanDifferenceCheck({ effect, basis, clean, corrupted });

    const along = check([vector({ 0: 1 }), vector({ 1: 1 })]);
    assert.equal(along.verdict, 'pass');
    assert.ok(Math.abs(along.values.alignment! - 1) < 1e-12);
    assert.ok(Math.abs(along.values.meanDifferenceNorm! - 5) < 1e-12);
    assert.ok(Math.abs(along.values.chance! - Math.sqrt(2 / 64)) < 1e-12);
    assert.match(along.sentence, /holds 100% of the difference of means/);

    const mostly = check([vector({ 0: 1 })]); // cos = 3/5
    assert.ok(Math.abs(mostly.values.alignment! - 0.6) < 1e-12);
    assert.equal(mostly.verdict, 'pass');
    const part = check([vector({ 1: 0.6, 3: 0.8 })]); // cos = 0.6 · 4/5 = 0.48: above 3 × √(1/64) = 0.375, below 0.5
    assert.ok(Math.abs(part.values.alignment! - 0.48) < 1e-12);
    assert.equal(part.verdict, 'warn');
    assert.match(part.sentence, /agrees only in part/);
    const tilted = check([vector({ 0: 0.3, 2: Math.sqrt(0.91) })]); // cos = 0.3 · 3/5 = 0.18
    assert.ok(Math.abs(tilted.values.alignment! - 0.18) < 1e-12);
    assert.equal(tilted.verdict, 'warn');
    assert.match(tilted.sentence, /nearly across/);
    const across = check([vector({ 5: 1 })]); // the per-pair direction: no mean difference there
    assert.ok(across.values.alignment! < 1e-12);
    assert.equal(across.verdict, 'warn');
    assert.equal(check([vector({ 5: 1 })], 0.05).verdict, 'pass', 'a patch that does nothing has nothing to corroborate');

    const same = meanDifferenceCheck({ effect: 0.8, basis: [vector({ 0: 1 })], clean: corrupted, corrupted });
    assert.deepEqual([same.verdict, same.values.alignment], ['warn', null]);
    assert.match(same.sentence, /do not differ on average/);
  });

  test('runChecks skips the mean-difference check for sources fitted on that difference, and it never sets the badge', () => {
    const e0 = Float64Array.from([1, 0, 0, 0]);
    const e3 = Float64Array.from([0, 0, 0, 1]);
    // Each pair differs along e3 too, but in opposite signs: the mean difference is 2·e0, and a patch along e3 is not dormant.
    const clean = [Float64Array.from([2, 0, 0, 1]), Float64Array.from([2, 1, 0, -1])];
    const corrupted = [Float64Array.from([0, 0, 0, 0]), Float64Array.from([0, 1, 0, 0])];
    const input: CheckInputs = {
      effect: 0.9, full: 0.9, row: 0.9, null: 0, rowShare: 1, nullspaceDimension: 2, downstream: 'W', basis: [e3], rowBasis: [e3], nullBasis: [], rowspace: [e3, Float64Array.from([0, 0, 1, 0])],
      cleanActs: clean, corruptedActs: corrupted, patched: [], random: [], sourceKind: 'vectors', tokenExamples: [],
    };
    const given = runChecks(input);
    const check = given.checks.find((c) => c.name === 'mean-difference')!;
    assert.equal(check.verdict, 'warn', check.sentence);
    assert.deepEqual(given.checks.filter((c) => c.verdict === 'fail'), [], 'only the mean-difference check complains here');
    assert.equal(given.badge.label, 'consistent', 'a warning of this check never sets the badge');
    for (const sourceKind of ['diff-means', 'pca']) {
      const fitted = runChecks({ ...input, basis: [e0], sourceKind });
      assert.equal(fitted.checks.find((c) => c.name === 'mean-difference'), undefined, sourceKind);
      assert.match(fitted.skipped.find((s) => s.name === 'mean-difference')!.reason, new RegExp(`the ${sourceKind} source is fitted on the clean − corrupted differences`));
    }
  });
});
