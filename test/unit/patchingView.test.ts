import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HookedModel } from '../../src/engine/hookedModel';
import { modelIdentity } from '../../src/engine/patching/modelIdentity';
import { runSweep } from '../../src/engine/patching/patching';
import { readRun, RunWriter } from '../../src/engine/patching/runStore';
import { DIRECTION_CHOICES, METRIC_CHOICES, patchableCases, sweepChoices } from '../../src/extension/patching/patchingChoices';
import { csvField } from '../../src/extension/csv';
import { exportText, hookTemplates, runCsv, runView } from '../../src/extension/patching/runView';
import { runDescription } from '../../src/extension/patching/runDescription';
import { parsePromptFile } from '../../src/promptFile/promptFile';
import { cellCoordinates, cellIndex, isPatchingFromWebview, isPatchingRunView, isPatchingToWebview } from '../../src/protocol/patchingMessages';
import { PATCHING_METRICS } from '../../src/protocol/patchingRun';
import { SWEEP_NAMES } from '../../src/engine/patching/sweeps';
import { cellDetails, cellDetailsText } from '../../webview/patching/cellDetails';
import { defaultGrid, heatmapShape } from '../../webview/patching/heatmapShape';
import { ATTACK, sampleRunView } from '../fixtures/patchingFixtures';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';

describe('patching results: pure helpers', () => {
  test('the layer × position heatmap has token tick labels, escaped, and a colour scale centred at 0', () => {
    const run = sampleRunView();
    const grid = defaultGrid(run.axes);
    assert.deepEqual(grid, { row: 0, col: 1 });
    const shape = heatmapShape(run, 'logit_diff', grid, [0, 0]);
    assert.deepEqual(shape.z, [
      [2, -1, 0.5],
      [0.25, -0.5, null],
    ]);
    assert.deepEqual(shape.cells, [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(shape.yTickText, ['0', '1']);
    assert.equal(shape.xTickText[0], '0 "Mary"');
    assert.ok(shape.xTickText[1].startsWith('1 "&lt;img src=x') && !shape.xTickText[1].includes('<'), shape.xTickText[1]);
    assert.equal(shape.xTitle, 'position');
    assert.equal(shape.yTitle, 'layer');
    assert.ok(shape.signed);
    assert.deepEqual([shape.zmin, shape.zmax], [-2, 2]);
    assert.equal(shape.hoverText[0][1], `layer 0 · position 1 "&lt;img src=x onerror=alert(1)&gt;"<br>logit_diff -1.0000`);
    assert.match(shape.hoverText[1][2], /not run$/);
    const logprob = heatmapShape(run, 'logprob', grid, [0, 0]);
    assert.ok(!logprob.signed);
    assert.deepEqual([logprob.zmin, logprob.zmax], [-5, -1]);
  });

  test('grids: layer × head for head sweeps, dest × src for pattern entries, the other axes fixed', () => {
    const axis = (name: string, n: number) => ({ name, indices: [...Array(n).keys()], labels: [...Array(n).keys()].map(String) });
    assert.deepEqual(defaultGrid([axis('layer', 2), axis('head', 4)]), { row: 0, col: 1 });
    assert.deepEqual(defaultGrid([axis('layer', 2), axis('position', 3), axis('head', 4)]), { row: 0, col: 2 });
    assert.deepEqual(defaultGrid([axis('layer', 2), axis('head', 2), axis('dest_position', 3), axis('src_position', 3)]), { row: 2, col: 3 });
    assert.deepEqual(defaultGrid([axis('component', 3), axis('layer', 2), axis('position', 3)]), { row: 1, col: 2 });
    const run = { ...sampleRunView(), axes: [axis('layer', 2), axis('head', 2), axis('dest_position', 2), axis('src_position', 2)], shape: [2, 2, 2, 2], metrics: { logit_diff: [...Array(16).keys()] } };
    const shape = heatmapShape(run, 'logit_diff', { row: 2, col: 3 }, [1, 0, 0, 0]);
    assert.deepEqual(shape.cells, [
      [8, 9],
      [10, 11],
    ]);
    assert.match(shape.hoverText[0][0], /^layer 1 · head 0 · dest position 0 "0" · src position 0 "0"/);
    assert.equal(cellIndex([2, 2, 2, 2], cellCoordinates([2, 2, 2, 2], 13)), 13);
  });

  test('a cell\'s details: site, every metric, clean and corrupted references, as text', () => {
    const details = cellDetails(sampleRunView(), 4);
    assert.equal(
      cellDetailsText(details),
      [
        `Cell 4: layer 1, position 1 ${JSON.stringify(ATTACK)}`,
        "blocks.1.hook_resid_pre: the clean run's activation patched into the corrupted run (denoising)",
        'logit_diff: patched -0.5000 · clean 2.0000 · corrupted -1.0000',
        'logprob: patched -5.0000 · clean -0.5000 · corrupted -3.0000',
      ].join('\n'),
    );
    const noising = cellDetails({ ...sampleRunView(), direction: 'noising' }, 5);
    assert.match(noising.patch, /corrupted run's activation patched into the clean run/);
    assert.equal(noising.metrics[0][1], '—', 'a cell not run');
  });

  test('CSV: one row per cell with axis indices, token labels and every metric; fields quoted as RFC 4180 says', () => {
    const csv = runCsv({ ...sampleRunView(), axes: [sampleRunView().axes[0], { ...sampleRunView().axes[1], labels: ['Mary', 'a,"b"', '\n'] }] });
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'layer,position,position_label,logit_diff,logprob');
    assert.equal(lines[1], '0,0,Mary,2,-1');
    assert.equal(lines[2], '0,1,"a,""b""",-1,-2');
    assert.equal(lines[3], '0,2,"\n",0.5,-3');
    assert.equal(lines[6], '1,2,"\n",,');
    assert.equal(lines.length, 8);
    assert.equal(csvField(null), '');
    assert.equal(JSON.parse(exportText(sampleRunView(), 'json')).metrics.logit_diff[5], null);
  });

  test('messages between the panel and the extension are validated', () => {
    assert.ok(isPatchingRunView(sampleRunView()));
    assert.ok(isPatchingToWebview({ type: 'show', run: sampleRunView() }));
    assert.ok(!isPatchingToWebview({ type: 'show', run: { ...sampleRunView(), shape: [2, 2] } }));
    assert.ok(!isPatchingToWebview({ type: 'show', run: { ...sampleRunView(), metrics: { logit_diff: [1] } } }));
    assert.ok(!isPatchingToWebview({ type: 'show', run: { ...sampleRunView(), metric: 'kl' } }));
    assert.ok(isPatchingFromWebview({ type: 'selectCell', cell: 3 }));
    assert.ok(isPatchingFromWebview({ type: 'export', format: 'csv' }));
    assert.ok(isPatchingFromWebview({ type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' }));
    for (const bad of [{ type: 'selectCell', cell: -1 }, { type: 'export', format: 'xml' }, { type: 'exportPng', dataUrl: 'https://x/y.png' }, { type: 'nope' }, null]) assert.ok(!isPatchingFromWebview(bad), JSON.stringify(bad));
  });

  test('the quick picks offer every sweep, metric and direction, and only complete cases', () => {
    assert.deepEqual(sweepChoices().map((c) => c.value), SWEEP_NAMES);
    assert.ok(sweepChoices().every((c) => c.description.length > 0 && c.detail!.startsWith('TransformerLens')));
    assert.deepEqual(METRIC_CHOICES.map((c) => c.value), [...PATCHING_METRICS]);
    assert.deepEqual(DIRECTION_CHOICES.map((c) => c.value), ['denoising', 'noising']);
    const parsed = parsePromptFile('[a]\nclean: x\ncorrupted: y\nanswer: " M"\nwrong: " J"\n\n[b]\nprompt: z\n\n[c]\nclean: x\ncorrupted: y\nanswer: " M"\n');
    assert.deepEqual(patchableCases(parsed.cases).map((c) => c.name), ['a']);
    assert.deepEqual(hookTemplates('block_every'), ['blocks.{layer}.hook_resid_pre', 'blocks.{layer}.hook_attn_out', 'blocks.{layer}.hook_mlp_out']);
    assert.deepEqual(hookTemplates('attn_head_out_all_pos'), ['blocks.{layer}.attn.hook_z']);
  });
});

describe('a saved run as the panel sees it', () => {
  let model: HookedModel;
  let checkpoint: { dir: string; cleanup: () => void };
  const temp = tempDir('mechlens-runview-');
  before(async () => {
    checkpoint = tempCheckpoint({ seed: 11 });
    model = await HookedModel.load(checkpoint.dir, { threads: 1 });
  });
  after(async () => {
    await model.dispose();
    checkpoint.cleanup();
    temp.cleanup();
  });

  test('runView keeps the tokens, axes, every metric and the references; it validates', async () => {
    let writer: RunWriter | undefined;
    const result = await runSweep(
      model,
      { clean: 'Mary and John went, John gave to', corrupted: 'Mary and John went, Mary gave to', answer: ' Mary', wrong: ' John', sweep: 'attn_head_out_all_pos' },
      { onStart: (setup) => void (writer = RunWriter.create(temp.dir, { model: modelIdentity(checkpoint.dir) }, setup)), onBatch: (batch) => writer!.append(batch) },
    );
    writer!.finish(result);
    const saved = readRun(writer!.path);
    const view = runView(saved);
    assert.ok(isPatchingRunView(view));
    assert.equal(view.status, 'complete');
    assert.deepEqual(view.axes.map((a) => a.name), ['layer', 'head']);
    assert.deepEqual(view.metrics.logit_diff, Array.from(result.metrics.logit_diff!));
    assert.deepEqual(Object.keys(view.metrics).sort(), ['kl', 'logit_diff', 'logprob', 'normalized_logit_diff', 'prob']);
    assert.equal(view.tokens.clean.length, result.inputs.clean.tokens.length);
    assert.equal(view.reference.clean.logit_diff, result.reference.clean.logit_diff);
    assert.match(cellDetails(view, 1).patch, /^blocks\.0\.attn\.hook_z:/);
    assert.match(runDescription(saved), /^attn_head_out_all_pos · logit_diff · denoising · \d{4}-\d\d-\d\d \d\d:\d\d · complete$/);
  });
});
