import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { subspaceCsv, subspaceExportText } from '../../src/extension/subspace/subspaceView';
import { isSubspaceFromWebview, isSubspaceToWebview, isSubspaceRunView } from '../../src/protocol/subspaceMessages';
import { ATTACK } from '../fixtures/patchingFixtures';
import { parseCsv } from '../fixtures/csvReader';
import { sampleSubspaceView } from '../fixtures/subspaceFixtures';

describe('subspace report exports', () => {
  test('CSV: one row per number (badge, variants, check values, skipped checks, pairs), read back field for field', () => {
    const view = sampleSubspaceView();
    view.report!.pairs[0].name = `ioi, "store" ${ATTACK}\nnext`;
    const rows = parseCsv(subspaceCsv(view));
    assert.deepEqual(rows[0], ['section', 'name', 'verdict', 'quantity', 'value']);
    assert.ok(rows.every((r) => r.length === 5), 'every row has the five fields');
    assert.deepEqual(rows[1], ['badge', 'possible illusion', '', 'drivers', 'full-component rowspace-nullspace']);
    const report = view.report!;
    const variants = rows.filter((r) => r[0] === 'variant');
    assert.equal(variants.length, 3 * report.variants.length);
    assert.deepEqual(variants.slice(0, 3), [
      ['variant', 'subspace', '', 'dimension', '1'],
      ['variant', 'subspace', '', 'effect', '0.9'],
      ['variant', 'subspace', '', 'mean_change', '1.8'],
    ]);
    const checks = rows.filter((r) => r[0] === 'check');
    const valueCount = report.checks.reduce((n, c) => n + Math.max(1, Object.keys(c.values).length), 0);
    assert.equal(checks.length, valueCount + report.skipped.length);
    assert.deepEqual(checks.filter((r) => r[1] === 'full-component'), [
      ['check', 'full-component', 'fail', 'effect', '0.9'],
      ['check', 'full-component', 'fail', 'full', '0.3'],
      ['check', 'full-component', 'fail', 'ratio', '3'],
    ]);
    assert.deepEqual(checks.find((r) => r[1] === 'dormancy'), ['check', 'dormancy', 'warn', 'separation', ''], 'null is an empty field');
    assert.deepEqual(checks.at(-1), ['check', 'held-out', 'skipped', '', '']);
    assert.deepEqual(rows.filter((r) => r[0] === 'pair'), [
      ['pair', report.pairs[0].name!, '', 'clean_logit_diff', '2'],
      ['pair', report.pairs[0].name!, '', 'corrupted_logit_diff', '-1'],
    ]);
    assert.equal(rows.length, 1 + 1 + variants.length + checks.length + 2);
  });

  test('a run without a report exports the CSV header alone; JSON is the view itself', () => {
    const cancelled = { ...sampleSubspaceView(), status: 'cancelled' as const, report: undefined };
    assert.equal(subspaceCsv(cancelled), 'section,name,verdict,quantity,value\r\n');
    const view = sampleSubspaceView();
    const json = subspaceExportText(view, 'json');
    assert.ok(json.endsWith('\n'));
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(view)));
    assert.ok(isSubspaceRunView(JSON.parse(json)), 'an exported JSON reads back as a run view');
    assert.equal(subspaceExportText(view, 'csv'), subspaceCsv(view));
  });

  test('export messages between the panel and the extension are validated', () => {
    assert.ok(isSubspaceFromWebview({ type: 'ready' }));
    assert.ok(isSubspaceFromWebview({ type: 'export', format: 'csv' }));
    assert.ok(isSubspaceFromWebview({ type: 'export', format: 'json' }));
    assert.ok(isSubspaceFromWebview({ type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' }));
    for (const bad of [{ type: 'export', format: 'xml' }, { type: 'export' }, { type: 'exportPng', dataUrl: 'https://x/y.png' }, { type: 'exportPng' }, { type: 'selectCell', cell: 1 }, { type: 'nope' }, null, 'export']) {
      assert.ok(!isSubspaceFromWebview(bad), JSON.stringify(bad));
    }
    assert.ok(isSubspaceToWebview({ type: 'exported', message: 'Saved /tmp/x.csv' }));
    assert.ok(!isSubspaceToWebview({ type: 'exported' }));
  });
});
