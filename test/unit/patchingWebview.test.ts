import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { patchingHtml } from '../../src/extension/patching/patchingHtml';
import type { PatchingToWebview } from '../../src/protocol/patchingMessages';
import { ATTACK, sampleRunView } from '../fixtures/patchingFixtures';
import { checkExportButtons, chromiumMissing, openWebviewPage, type WebviewPage } from '../fixtures/webviewPage';

/** The activation-patching results page in headless Chromium under its own Content-Security-Policy (see webviewPage). */
describe('the activation patching page in Chromium', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let web: WebviewPage<PatchingToWebview>;
  before(async () => {
    web = await openWebviewPage({ entry: 'patching', html: patchingHtml, viewport: { width: 1000, height: 1000 } });
  });
  after(() => web?.close());

  test('asks for its run once loaded; an error is shown in full as text', async () => {
    assert.deepEqual((await web.record()).posted[0], { type: 'ready' });
    await web.post({ type: 'error', message: `line one\nline two ${ATTACK}` });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'error');
    assert.equal(await web.page.textContent('#status'), `line one\nline two ${ATTACK}`);
  });

  test('draws the layer × position heatmap with token labels; warnings stand out; model text stays text', async () => {
    await web.post({ type: 'show', run: sampleRunView() });
    await web.page.waitForSelector('#heatmap .main-svg');
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    const columns = await web.page.$$eval('#heatmap .xtick text', (nodes) => nodes.map((n) => n.textContent));
    assert.equal(columns.length, 3);
    assert.equal(columns[0], '0 "Mary"');
    assert.ok(columns[1]!.startsWith('1 "<img src=x'), `the HTML token shown literally: ${columns[1]}`);
    const rows = await web.page.$$eval('#heatmap .ytick text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(rows, ['0', '1']);
    assert.equal(await web.page.isVisible('#warnings'), true);
    assert.equal(await web.page.textContent('#warning-list'), 'the clean and corrupted runs give almost the same <b>logprob</b>');
    assert.match((await web.page.textContent('#summary'))!, /cancelled: 5 of 6 cells were run/);
    assert.equal(await web.page.$$eval('img, b, script:not([src])', (nodes) => nodes.length), 0, 'no element made from text');
    assert.equal(web.dialogs, 0);
    await web.screenshot('dark');
  });

  test('hover shows the value; a click on a cell shows its details and posts the cell', async () => {
    const { x, y, width, height } = (await (await web.page.$('#heatmap .nsewdrag'))!.boundingBox())!;
    const cellX = x + (width * 3) / 6; // column 1 (the HTML token)
    const cellY = y + (height * 3) / 4; // row 1 (layer 1)
    await web.page.mouse.move(cellX, cellY);
    await web.page.waitForSelector('#heatmap .hoverlayer .hovertext');
    assert.equal(await web.page.textContent('#heatmap .hoverlayer .hovertext'), `layer 1 · position 1 ${JSON.stringify(ATTACK)}logit_diff -0.5000`);
    await web.page.mouse.down();
    await web.page.mouse.up();
    await web.until(`window.record.posted.some((m) => m.type === 'selectCell')`);
    assert.deepEqual((await web.record()).posted.at(-1), { type: 'selectCell', cell: 4 });
    assert.equal(await web.page.textContent('#details-title'), `Cell 4: layer 1, position 1 ${JSON.stringify(ATTACK)}`);
    assert.match((await web.page.textContent('#details-patch'))!, /^blocks\.1\.hook_resid_pre: the clean run's activation patched into the corrupted run/);
    const cells = await web.page.$$eval('#details-body td', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(cells, ['logit_diff', '-0.5000', '2.0000', '-1.0000', 'logprob', '-5.0000', '-0.5000', '-3.0000']);
  });

  test('switching metric redraws; export buttons post their messages, PNG as a data URL', async () => {
    await web.page.selectOption('#metric-select', 'logprob');
    await web.until(`document.querySelector('#heatmap .colorbar .cbtitle')?.textContent === 'logprob'`);
    await checkExportButtons(web, `Saved /tmp/${ATTACK}.png`);
  });

  test('ignores malformed messages; nothing broke the policy but plotly\'s optional inline styles', async () => {
    await web.post({ type: 'show', run: { ...sampleRunView(), shape: [9] } } as unknown as PatchingToWebview);
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.deepEqual(web.errors, []);
    const unexpected = await web.unexpectedViolations();
    assert.deepEqual(unexpected, [], 'no script, image, font or remote load was refused');
  });
});
