import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspectHtml } from '../../src/extension/inspect/inspectHtml';
import type { ExtensionToWebview } from '../../src/protocol/inspectMessages';
import { ATTACK, sampleInspectResult } from '../fixtures/inspectFixtures';
import { checkExportButtons, chromiumMissing, openWebviewPage, type WebviewPage } from '../fixtures/webviewPage';

/** The Inspect Features page in headless Chromium under its own Content-Security-Policy (see webviewPage). */
describe('the Inspect Features page in Chromium', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let web: WebviewPage<ExtensionToWebview>;
  before(async () => {
    web = await openWebviewPage({ entry: 'inspect', html: inspectHtml, viewport: { width: 1100, height: 1400 } });
  });
  after(() => web?.close());

  test('asks for its state once loaded, and shows progress and errors as text', async () => {
    assert.deepEqual((await web.record()).posted[0], { type: 'ready' });
    await web.post({ type: 'loading', source: { name: 'a.prompts', line: 3, title: ATTACK } });
    assert.equal(await web.page.textContent('#status'), `Inspecting ${ATTACK} (a.prompts:3)…`);
    await web.post({ type: 'error', message: `the text is 40 tokens long ${ATTACK}` });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'error');
    assert.equal(await web.page.textContent('#status'), `the text is 40 tokens long ${ATTACK}`);
  });

  test('draws the heatmap and the token lists; every model and file string is text', async () => {
    await web.post({ type: 'show', source: { name: 'a.prompts', line: 3 }, result: sampleInspectResult() });
    await web.page.waitForSelector('#heatmap .main-svg');
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    const ticks = await web.page.$$eval('#heatmap .ytick text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(ticks, ['"Mary"', `"${ATTACK.slice(0, 22)}…`, '" went"']);
    const columns = await web.page.$$eval('#heatmap .xtick text', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(columns, ['#7', '#12'], 'grouped by the token where each feature peaks');
    const features = await web.page.$$eval('#token-features .feature-link', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(features, ['#7 <b>names</b> · 1.500', `#12 ${ATTACK} · 2.500`, '#30 · 0.250']);
    const cells = await web.page.$$eval('#token-features vscode-table-cell', (nodes) => nodes.map((n) => n.textContent));
    assert.ok(cells.includes(JSON.stringify(ATTACK)));
    assert.match((await web.page.textContent('#predictions'))!, new RegExp(`"${ATTACK.replace(/[()]/g, '\\$&')}"`));
    assert.match((await web.page.textContent('#cap-note'))!, /the 2 strongest of the 3 features/);
    assert.equal(await web.page.$$eval('img, b, script:not([src])', (nodes) => nodes.length), 0, 'no element made from text');
    const modebar = await web.page.$$eval('#heatmap .modebar-btn', (nodes) => nodes.map((n) => n.getAttribute('data-title') ?? ''));
    assert.ok(modebar.length > 0 && !modebar.some((title) => /share|cloud|download/i.test(title)), `no button sends the chart anywhere: ${modebar.join(', ')}`);
    assert.equal(web.dialogs, 0);
    await web.screenshot('dark');
  });

  test('plotly hover text shows markup literally', async () => {
    const box = (await web.page.$('#heatmap .nsewdrag'))!.boundingBox();
    const { x, y, width, height } = (await box)!;
    await web.page.mouse.move(x + (width * 3) / 4, y + height / 2); // column #12 at token 1 (the attack token)
    await web.page.waitForSelector('#heatmap .hoverlayer .hovertext');
    const hover = await web.page.textContent('#heatmap .hoverlayer .hovertext');
    assert.equal(hover, `token 1: ${JSON.stringify(ATTACK)}feature #12 ${ATTACK}activation 2.500`);
    assert.equal(await web.page.$$eval('#heatmap img, #heatmap b', (nodes) => nodes.length), 0);
  });

  test('a click on a heatmap cell or a listed feature asks the extension for it; its answer is drawn', async () => {
    const { x, y, width, height } = (await (await web.page.$('#heatmap .nsewdrag'))!.boundingBox())!;
    await web.page.mouse.move(x + width / 4, y + height / 6); // column #7 at token 0
    await web.until(`document.querySelector('#heatmap .hoverlayer .hovertext')?.textContent?.includes('feature #7')`);
    await web.page.mouse.down();
    await web.page.mouse.up();
    await web.until('window.record.posted.length > 1');
    assert.deepEqual((await web.record()).posted.at(-1), { type: 'selectFeature', saeId: 'blocks.1.hook_resid_pre@/sae', feature: 7 });
    await web.page.click('#token-features .feature-link >> nth=2');
    assert.deepEqual((await web.record()).posted.at(-1), { type: 'selectFeature', saeId: 'blocks.1.hook_resid_pre@/sae', feature: 30 });
    await web.post({ type: 'feature', saeId: 'blocks.1.hook_resid_pre@/sae', feature: 30, activations: [0, 0.25, 0.1], highlighted: true });
    await web.page.waitForSelector('#feature-plot .main-svg');
    assert.equal(await web.page.textContent('#feature-title'), 'Feature #30 at blocks.1.hook_resid_pre');
    assert.equal(await web.page.$$eval('#feature-plot .point', (nodes) => nodes.length), 3);
    assert.equal(await web.page.isVisible('#clear-highlight'), true);
    await web.page.click('#clear-highlight');
    assert.deepEqual((await web.record()).posted.at(-1), { type: 'clearHighlight' });
    await web.post({ type: 'cleared' });
    assert.equal(await web.page.textContent('#feature-note'), 'Highlight cleared.');
  });

  test('switching SAE redraws; a theme change redraws in the new colours', async () => {
    await web.page.evaluate(`{
      const select = document.getElementById('sae-select');
      select.value = '1';
      select.dispatchEvent(new Event('change'));
    }`);
    await web.until(`document.querySelectorAll('#heatmap .xtick text').length === 1`);
    await web.page.evaluate(`{
      const style = document.documentElement.style;
      style.setProperty('--vscode-editor-background', '#ffffff');
      style.setProperty('--vscode-editor-foreground', '#000000');
      style.setProperty('--vscode-foreground', '#3b3b3b');
      document.body.classList.replace('vscode-dark', 'vscode-light');
    }`);
    await web.until(`getComputedStyle(document.querySelector('#heatmap .main-svg')).backgroundColor === 'rgb(255, 255, 255)'`);
    await web.screenshot('light');
  });

  test('export buttons post their messages, the PNG of the heatmap; with no heatmap drawn, PNG says so instead of failing', async () => {
    await checkExportButtons(web, `Saved /tmp/${ATTACK}.csv`);
    const empty = sampleInspectResult();
    empty.saes = [{ ...empty.saes[1], features: [], unionSize: 0, activations: [[], [], []], topFeatures: [[], [], []] }];
    await web.post({ type: 'show', source: { name: 'a.prompts', line: 3 }, result: empty });
    assert.equal(await web.page.textContent('#export-note'), '', 'a new inspection clears the note');
    const posted = (await web.record()).posted.length;
    await web.page.click('#export-png');
    await web.until(`document.getElementById('export-note').textContent === 'There is no plot to export.'`);
    assert.equal((await web.record()).posted.length, posted, 'nothing posted');
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
  });

  test('ignores malformed messages; nothing broke the policy but plotly\'s optional inline styles', async () => {
    await web.post({ type: 'show', source: { name: 'x', line: 1 }, result: { tokens: 'nope' } } as unknown as ExtensionToWebview);
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.deepEqual(web.errors, []);
    const unexpected = await web.unexpectedViolations();
    assert.deepEqual(unexpected, [], 'no script, image, font or remote load was refused');
  });
});
