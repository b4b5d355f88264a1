import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { subspaceHtml } from '../../src/extension/subspace/subspaceHtml';
import type { SubspaceToWebview } from '../../src/protocol/subspaceMessages';
import { ATTACK } from '../fixtures/patchingFixtures';
import { sampleSubspaceView } from '../fixtures/subspaceFixtures';
import { checkExportButtons, chromiumMissing, openWebviewPage, type WebviewPage } from '../fixtures/webviewPage';

/** The subspace report page in headless Chromium under its own Content-Security-Policy (see webviewPage). */
describe('the subspace report page in Chromium', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let web: WebviewPage<SubspaceToWebview>;
  before(async () => {
    web = await openWebviewPage({
      entry: 'subspace',
      html: subspaceHtml,
      viewport: { width: 1000, height: 1000 },
      theme: { '--vscode-errorForeground': '#f48771', '--vscode-testing-iconPassed': '#73c991', '--vscode-editorWarning-foreground': '#cca700' },
    });
  });
  after(() => web?.close());

  test('asks for its run; a run without a report says why, as text', async () => {
    assert.deepEqual((await web.record()).posted[0], { type: 'ready' });
    await web.post({ type: 'show', run: { ...sampleSubspaceView(), status: 'cancelled', report: undefined } });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'error');
    assert.match((await web.page.textContent('#status'))!, /cancelled and has no report/);
  });

  test('the badge and its drivers at the top, bars and histograms drawn, verdicts as coloured text labels, HTML shown literally', async () => {
    await web.post({ type: 'show', run: sampleSubspaceView() });
    await web.page.waitForSelector('#effects .main-svg');
    await web.page.waitForSelector('#histograms .histogram:nth-child(4) .main-svg');
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.equal(await web.page.textContent('#badge-label'), 'POSSIBLE ILLUSION');
    assert.match((await web.page.textContent('#badge-sentence'))!, /driven by: full-component, rowspace-nullspace/);
    assert.equal(await web.page.getAttribute('#badge', 'class'), 'badge illusion');
    const bars = await web.page.$$eval('#effects .xtick text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(bars, ['subspace', 'full component', 'rowspace part', 'nullspace part', 'projection ablation', 'random ×4']);
    assert.equal(await web.page.$$eval('#effects .bars .point', (nodes) => nodes.length), 5, 'one bar per variant');
    assert.equal(await web.page.$$eval('#histograms .main-svg', (nodes) => nodes.length >= 4), true, 'subspace, rowspace, nullspace and the readers’ view');
    const verdicts = await web.page.$$eval('#checks .verdict', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(verdicts, ['FAIL', 'FAIL', 'WARN', 'PASS', 'PASS', 'SKIPPED']);
    const colours = await web.page.$$eval('#checks .verdict', (nodes) => nodes.map((n) => n.ownerDocument.defaultView!.getComputedStyle(n).color));
    assert.equal(colours[0], 'rgb(244, 135, 113)', 'fail in the theme’s error colour');
    assert.equal(colours[2], 'rgb(204, 167, 0)', 'warn in the theme’s warning colour');
    assert.equal(colours[3], 'rgb(115, 201, 145)', 'pass in the theme’s passed colour');
    assert.ok((await web.page.textContent('#checks'))!.includes(`far more <b>${ATTACK}</b>`), 'the sentence as text');
    const pairRow = await web.page.$$eval('#pairs-body td', (nodes) => nodes.map((n) => n.textContent));
    assert.equal(pairRow[1], JSON.stringify(`When Mary and ${ATTACK} went`));
    assert.equal(pairRow[2], `3 ${JSON.stringify(ATTACK)}`);
    assert.equal(await web.page.textContent('#warning-list'), 'pair 0: the model does not prefer <i>the answer</i>');
    assert.equal(await web.page.$$eval('img, b, i, script:not([src])', (nodes) => nodes.length), 0, 'no element made from text');
    assert.equal(web.dialogs, 0);
    await web.screenshot('dark');
  });

  test('export buttons post their messages, the PNG as a data URL of the effects plot; the saved path is shown', async () => {
    await checkExportButtons(web, `Saved /tmp/${ATTACK}.png`);
  });

  test('a consistent run shows its badge; malformed messages are ignored; nothing broke the policy but plotly’s inline styles', async () => {
    const view = sampleSubspaceView();
    view.report!.badge = { label: 'consistent', drivers: [], sentence: 'Consistent with a faithful subspace: every check passed.' };
    await web.post({ type: 'show', run: view });
    assert.equal(await web.page.textContent('#badge-label'), 'CONSISTENT');
    assert.equal(await web.page.getAttribute('#badge', 'class'), 'badge consistent');
    await web.post({ type: 'show', run: { ...view, report: { ...view.report!, checks: [{ verdict: 'maybe' }] } } } as unknown as SubspaceToWebview);
    assert.equal(await web.page.textContent('#badge-label'), 'CONSISTENT');
    assert.deepEqual(web.errors, []);
    const unexpected = await web.unexpectedViolations();
    assert.deepEqual(unexpected, []);
  });
});
