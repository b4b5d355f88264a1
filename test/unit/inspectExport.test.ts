import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectCsv, inspectExportName, inspectExportText } from '../../src/extension/inspect/inspectExport';
import { isExtensionToWebview, isWebviewToExtension } from '../../src/protocol/inspectMessages';
import { isInspectResult } from '../../src/protocol/inspectResult';
import { ATTACK, sampleInspectResult } from '../fixtures/inspectFixtures';
import { parseCsv } from '../fixtures/csvReader';

describe('Inspect Features exports', () => {
  test('CSV: every heatmap cell, then the top-list features that are not columns, with token spans, ranks and labels', () => {
    const result = sampleInspectResult();
    const rows = parseCsv(inspectCsv(result));
    assert.deepEqual(rows[0], ['sae_hook', 'token_index', 'token', 'char_start', 'char_end', 'feature', 'activation', 'rank', 'label']);
    assert.ok(rows.every((r) => r.length === 9));
    const first = rows.filter((r) => r[0] === 'blocks.1.hook_resid_pre');
    // 3 tokens × 2 columns, plus feature 30 (in token 1's top list, not a column).
    assert.deepEqual(first, [
      ['blocks.1.hook_resid_pre', '0', 'Mary', '0', '4', '12', '0', '', ATTACK],
      ['blocks.1.hook_resid_pre', '0', 'Mary', '0', '4', '7', '1.5', '1', '<b>names</b>'],
      ['blocks.1.hook_resid_pre', '1', ATTACK, '4', String(4 + ATTACK.length), '12', '2.5', '1', ATTACK],
      ['blocks.1.hook_resid_pre', '1', ATTACK, '4', String(4 + ATTACK.length), '7', '0', '', '<b>names</b>'],
      ['blocks.1.hook_resid_pre', '1', ATTACK, '4', String(4 + ATTACK.length), '30', '0.25', '2', ''],
      ['blocks.1.hook_resid_pre', '2', ' went', String(4 + ATTACK.length), String(9 + ATTACK.length), '12', '0.5', '', ATTACK],
      ['blocks.1.hook_resid_pre', '2', ' went', String(4 + ATTACK.length), String(9 + ATTACK.length), '7', '0.25', '', '<b>names</b>'],
    ]);
    assert.deepEqual(rows.filter((r) => r[0] === 'blocks.0.hook_resid_post').map((r) => [r[1], r[5], r[6], r[7]]), [
      ['0', '1', '0.5', '1'],
      ['1', '1', '0', ''],
      ['2', '1', '0', ''],
    ]);
    assert.equal(rows.length, 1 + 7 + 3);
  });

  test('JSON: the source, the text and the whole result, which reads back as a valid result', () => {
    const inspection = { source: { name: 'a.prompts', line: 3, title: 'ioi · clean' }, text: `Mary${ATTACK} went`, result: sampleInspectResult() };
    const json = JSON.parse(inspectExportText(inspection, 'json'));
    assert.deepEqual(json.source, inspection.source);
    assert.equal(json.text, inspection.text);
    assert.ok(isInspectResult(json.result));
    assert.equal(inspectExportText(inspection, 'csv'), inspectCsv(inspection.result));
  });

  test('the offered file name is safe: no folders, no spaces or markup', () => {
    assert.equal(inspectExportName({ name: 'ioi.prompts', line: 12, title: 'ioi-store · clean' }), 'inspect-ioi.prompts-line12-ioi-store_clean');
    assert.equal(inspectExportName({ name: 'a/../b <x>.txt', line: 1 }), 'inspect-a_.._b_x_.txt-line1');
    assert.ok(!inspectExportName({ name: '../../etc/passwd', line: 1 }).includes('/'));
  });

  test('export messages between the panel and the extension are validated', () => {
    assert.ok(isWebviewToExtension({ type: 'export', format: 'csv' }));
    assert.ok(isWebviewToExtension({ type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' }));
    for (const bad of [{ type: 'export', format: 'pdf' }, { type: 'exportPng', dataUrl: 'file:///x.png' }]) assert.ok(!isWebviewToExtension(bad), JSON.stringify(bad));
    assert.ok(isExtensionToWebview({ type: 'exported', message: 'Saved x' }));
    assert.ok(!isExtensionToWebview({ type: 'exported', message: 3 }));
  });
});
