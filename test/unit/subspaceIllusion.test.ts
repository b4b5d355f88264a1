import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HookedModel } from '../../src/engine/hookedModel';
import { runSubspace, type SubspaceReport } from '../../src/engine/subspace/experiment';
import { D_MLP, DISCONNECTED_UNIT, DORMANT_UNIT, hiddenDirection, ILLUSION_PAIRS, ILLUSION_SITE, writeIllusionModel } from '../fixtures/illusionModels';
import { tempDir } from '../fixtures/tempCheckpoint';
import { suiteModel } from '../fixtures/suiteModel';

const verdicts = (report: SubspaceReport) => Object.fromEntries(report.checks.map((c) => [c.name, c.verdict]));
const variant = (report: SubspaceReport, name: string) => report.variants.find((v) => v.name === name);

describe('the distilled illusion: a disconnected direction plus a dormant one', () => {
  let model: HookedModel;
  let cleanup: () => void;
  let report: SubspaceReport;
  before(async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    writeIllusionModel(temp.dir, 'illusion');
    model = await HookedModel.load(temp.dir, { threads: 1 });
    const v = hiddenDirection([
      [DISCONNECTED_UNIT, 1],
      [DORMANT_UNIT, 1],
    ]);
    report = await runSubspace(model, { pairs: ILLUSION_PAIRS, site: { hook: ILLUSION_SITE }, source: { kind: 'vectors', vectors: [v], label: 'u_dis + u_dor' }, randomSubspaces: 10 });
  });
  after(async () => {
    await model.dispose();
    cleanup();
  });

  test('the model answers by the name, and the MLP does nothing in normal runs', () => {
    for (const pair of report.pairs) {
      assert.ok(pair.cleanLogitDiff > 4, `clean ${pair.cleanLogitDiff}`);
      assert.ok(pair.corruptedLogitDiff < -4, `corrupted ${pair.corruptedLogitDiff}`);
    }
  });

  test('patching the sum changes the output; neither part alone, nor the whole MLP, does', () => {
    assert.ok(report.effect.effect > 0.5, `subspace effect ${report.effect.effect}`);
    assert.ok(Math.abs(variant(report, 'full')!.effect) < 1e-3, `full ${variant(report, 'full')!.effect}`);
    assert.ok(Math.abs(variant(report, 'rowspace')!.effect) < 1e-3, `rowspace ${variant(report, 'rowspace')!.effect}`);
    assert.ok(Math.abs(variant(report, 'nullspace')!.effect) < 1e-3, `nullspace ${variant(report, 'nullspace')!.effect}`);
    // W_out's rowspace is the dormant unit alone; the direction is half in it.
    const rowNull = report.checks.find((c) => c.name === 'rowspace-nullspace')!;
    assert.ok(Math.abs(rowNull.values.rowspaceNorm! - Math.SQRT1_2) < 1e-6);
    assert.equal(rowNull.values.nullspaceDimension, D_MLP - 1);
  });

  test('the checks flag a possible illusion, driven by the faithfulness checks', () => {
    const v = verdicts(report);
    assert.equal(v['full-component'], 'fail');
    assert.equal(v['rowspace-nullspace'], 'fail');
    assert.equal(v.dormancy, 'fail');
    assert.equal(v['downstream-range'], 'fail');
    assert.equal(report.badge.label, 'possible illusion');
    assert.deepEqual([...report.badge.drivers].sort(), ['dormancy', 'downstream-range', 'full-component', 'rowspace-nullspace']);
    const dormancy = report.checks.find((c) => c.name === 'dormancy')!;
    assert.ok(dormancy.values.rowspaceGap! < 1e-6 && dormancy.values.subspaceGap! > 10, JSON.stringify(dormancy.values));
    assert.ok(dormancy.histograms?.subspace && dormancy.histograms.rowspace);
    assert.match(report.skipped.map((s) => s.reason).join(' '), /not fitted/);
  });

  test('the mean-difference direction does not expose it: the illusory direction is half along the unit that separates the prompts', () => {
    const check = report.checks.find((c) => c.name === 'mean-difference')!;
    assert.equal(check.verdict, 'pass');
    assert.ok(Math.abs(check.values.alignment! - Math.SQRT1_2) < 1e-9, `alignment ${check.values.alignment}`);
    assert.match(check.sentence, /does not rule out an illusion/);
    assert.ok(!report.badge.drivers.includes('mean-difference'));
  });
});

describe('the faithful twin: patching the truly used direction', () => {
  const suite = suiteModel((dir) => writeIllusionModel(dir, 'faithful'));

  test('the used direction, given: every faithfulness check passes ("consistent")', async () => {
    const report = await runSubspace(suite.model, { pairs: ILLUSION_PAIRS, site: { hook: ILLUSION_SITE }, source: { kind: 'vectors', vectors: [hiddenDirection([[DISCONNECTED_UNIT, 1]])] }, randomSubspaces: 10 });
    // The MLP carries part of the answer (the name's embedding carries the rest): the direction does all the MLP does.
    assert.ok(report.effect.effect > 0.5, `effect ${report.effect.effect}`);
    assert.ok(Math.abs(variant(report, 'full')!.effect - report.effect.effect) < 1e-4);
    const v = verdicts(report);
    for (const name of ['full-component', 'rowspace-nullspace', 'dormancy', 'downstream-range', 'mean-difference', 'random-baseline'] as const) assert.equal(v[name], 'pass', `${name}: ${report.checks.find((c) => c.name === name)!.sentence}`);
    assert.equal(report.badge.label, 'consistent');
    assert.equal(variant(report, 'nullspace'), undefined, 'no nullspace part to patch');
    // Projection ablation in the corrupted run changes nothing (the unit is ≈0 there).
    assert.ok(Math.abs(variant(report, 'ablate')!.effect) < 1e-3);
  });

  test('fitted sources find it and generalise to held-out pairs', async () => {
    for (const source of [{ kind: 'diff-means' }, { kind: 'pca', k: 1 }, { kind: 'fit', method: 'ridge' }, { kind: 'fit', method: 'probe' }] as const) {
      const report = await runSubspace(suite.model, { pairs: ILLUSION_PAIRS, site: { hook: ILLUSION_SITE }, source, randomSubspaces: 5 });
      assert.ok(Math.abs(Math.abs(report.basis[0][DISCONNECTED_UNIT]) - 1) < 1e-3, `${source.kind}: ${report.basis[0].slice(0, 4)}`);
      assert.ok(Math.abs(report.effect.effect - variant(report, 'full')!.effect) < 1e-3, `${source.kind}: ${report.effect.effect}`);
      assert.equal(verdicts(report)['held-out'], 'pass', source.kind);
      if (source.kind === 'fit') assert.equal(verdicts(report)['mean-difference'], 'pass', `${source.method}: fitted by another criterion, it agrees with the mean difference`);
      else assert.ok(report.skipped.some((s) => s.name === 'mean-difference'), `${source.kind}: skipped, it is the mean difference by construction`);
      assert.equal(report.badge.label, 'consistent', `${source.kind}: ${report.badge.sentence}`);
    }
  });

  test('setting the coordinate to the clean value restores the clean logit difference', async () => {
    const report = await runSubspace(suite.model, { pairs: ILLUSION_PAIRS.slice(0, 1), site: { hook: ILLUSION_SITE }, source: { kind: 'vectors', vectors: [hiddenDirection([[DISCONNECTED_UNIT, 1]])] }, setValues: [0], randomSubspaces: 0 });
    // Setting unit 0 to 0 in the corrupted run (where it already is ≈0) changes nothing.
    assert.ok(Math.abs(variant(report, 'set')!.effect) < 1e-3);
    assert.deepEqual(report.skipped.map((s) => s.name).sort(), ['held-out', 'random-baseline', 'specificity']);
    assert.match(report.skipped.find((s) => s.name === 'specificity')!.reason, /two different tokens/, 'every clean prompt ends in " Mary": no token to tell apart');
  });
});
