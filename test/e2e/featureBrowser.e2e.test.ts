import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FeatureIndex } from '../../src/engine/featureIndex/featureIndex';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadSae } from '../../src/engine/sae/loadSae';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { DEFAULT_MODEL, defaultSae, heldOutLines } from '../fixtures/featureIndexFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';
import { frameWith, prepare, startCodeServer, type RunningCodeServer } from './codeServer';

/**
 * The feature browser in a real VS Code on the embedded default: open the MechLens side bar,
 * scan the workspace, search a label, open the feature page, see contexts and the histogram,
 * click a context and land in its file at the token.
 */
describe('the feature browser in VS Code', { timeout: 15 * 60_000 }, () => {
  const temp = tempDir('mechlens-e2e-features-');
  const workspace = join(temp.dir, 'workspace');
  let vscode: RunningCodeServer;
  /** The feature the test looks for: the most active one of the first SAE on this workspace whose provisional label is unique. */
  let target: { index: number; label: string; count: number };

  before(async () => {
    const installed = prepare();
    mkdirSync(workspace);
    const lines = heldOutLines();
    writeFileSync(join(workspace, 'notes.txt'), lines.slice(0, 30).join('\n'));
    writeFileSync(join(workspace, 'more.md'), lines.slice(30, 50).join('\n\n'));

    // The expected answer, computed here with the engine: which feature is busiest, and its label.
    const model = await HookedModel.load(DEFAULT_MODEL, { threads: 1 });
    const runner = SaeRunner.create(loadSae(defaultSae(0)), { threads: 1 });
    const index = FeatureIndex.open(join(temp.dir, 'expected-index'), model, [runner]);
    await index.plan([join(workspace, 'notes.txt'), join(workspace, 'more.md')]);
    while (index.status().state === 'scanning') await index.step(1000);
    const labels = JSON.parse(readFileSync(join(defaultSae(0), 'provisional_labels.json'), 'utf8')) as Record<string, string>;
    const uses = new Map<string, number>();
    for (const text of Object.values(labels)) uses.set(text, (uses.get(text) ?? 0) + 1);
    const aggregate = index.aggregates[0];
    const candidates = Array.from({ length: aggregate.dSae }, (_, f) => ({ index: f, label: labels[String(f)], count: aggregate.count(f) }))
      .filter((c) => c.label && uses.get(c.label) === 1 && !c.label.includes('\\'))
      .sort((a, b) => b.count - a.count);
    target = candidates[0];
    assert.ok(target && target.count > 5, 'a busy feature with a unique label');
    await index.close();
    await runner.dispose();
    await model.dispose();

    vscode = await startCodeServer({ ...installed, profile: join(temp.dir, 'profile'), workspace, settings: {} });
  });

  after(async () => {
    await vscode?.close();
    temp.cleanup();
  });

  test('open the browser, scan, search a label, open its page with contexts and a histogram, click a context and land in the file', async () => {
    const { page } = vscode;
    await page.locator('.activitybar .action-item a[aria-label^="MechLens"]').first().click({ timeout: 60_000 });
    const view = await frameWith(page, '#feature-list', 180_000);
    await view.waitForSelector('#feature-list [data-feature]', { timeout: 180_000 });
    await vscode.screenshot('features-view');

    const scan = await view.$('#scan');
    if (scan && (await scan.isVisible())) await scan.click();
    let status = '';
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; await page.waitForTimeout(500)) {
      status = (await view.textContent('#index-status').catch(() => '')) ?? '';
      if (/^Index ready: 2 of 2 files/.test(status)) break;
    }
    assert.match(status, /^Index ready: 2 of 2 files/, `the scan finished: ${status}`);

    // Search by the label text (its middle: the tokens without the arrow).
    const query = target.label.slice(2, 14);
    await view.fill('#search', query);
    const row = await view.waitForSelector(`#feature-list [data-feature="${target.index}"]`, { timeout: 30_000 });
    assert.ok(((await row.textContent()) ?? '').includes(target.label), 'the row shows its label as text');
    await vscode.screenshot('features-search');
    await row.click();

    const featurePage = await frameWith(page, '#top .context', 120_000);
    await featurePage.waitForSelector('#histogram .main-svg', { timeout: 60_000 });
    assert.match((await featurePage.textContent('#title')) ?? '', new RegExp(`Feature #${target.index}\\b`));
    const contexts = await featurePage.$$('#top .context');
    assert.ok(contexts.length > 0, 'top contexts are shown');
    assert.ok((await featurePage.$$('#histogram .main-svg .point, #histogram .main-svg path')).length > 0, 'the histogram is drawn');
    assert.ok(((await featurePage.textContent('#label')) ?? '').includes(target.label.slice(2, 14)), 'the label is shown');
    await vscode.screenshot('feature-page');

    await contexts[0].click();
    await page.waitForSelector('.tab.active[aria-label*="notes.txt"], .tab.active[aria-label*="more.md"]', { timeout: 30_000 });
    const selected = await page.$$('.editor-instance .selected-text, .monaco-editor .selected-text');
    assert.ok(selected.length > 0, 'the token of the context is selected in the file');
    await vscode.screenshot('feature-context-opened');
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });
});
