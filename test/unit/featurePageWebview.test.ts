import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { featurePageHtml } from '../../src/extension/features/featureHtml';
import type { HostToFeaturePage } from '../../src/protocol/featureIndex';
import { histogramBars } from '../../webview/featurePage/histogramData';
import { intensity, tokenPieces } from '../../webview/featurePage/tokens';
import { isHostToFeaturePage } from '../../webview/shared/featureMessages';
import { ATTACK, DARK_CONTROLS, HOOK, SAE_ID, sampleFeaturePage } from '../fixtures/featureBrowserFixtures';
import { chromiumMissing, openWebviewPage, type WebviewPage } from '../fixtures/webviewPage';

describe('the feature page’s pure parts', () => {
  test('whitespace in tokens is made visible', () => {
    assert.deepEqual(tokenPieces(' went'), [
      { text: '·', mark: true },
      { text: 'went', mark: false },
    ]);
    assert.deepEqual(tokenPieces('a\r\n\tb'), [
      { text: 'a', mark: false },
      { text: '↵→', mark: true },
      { text: 'b', mark: false },
    ]);
    assert.deepEqual(tokenPieces(''), [{ text: '∅', mark: true }]);
    assert.deepEqual([intensity(2, 8), intensity(9, 8), intensity(-1, 8), intensity(1, 0)], [0.25, 1, 0, 0]);
  });

  test('histogram bars span their log-spaced bins; bins touching zero are left out', () => {
    const bars = histogramBars({ edges: [0, 0.1, 1, 10], counts: [7, 3, 1] });
    assert.deepEqual(bars.y, [3, 1]);
    assert.deepEqual(bars.x.map((x) => +x.toFixed(6)), [0.55, 5.5]);
    assert.deepEqual(bars.width.map((w) => +w.toFixed(6)), [0.9, 9]);
    assert.deepEqual(bars.hover, ['0.10 to 1.00: 3 activations', '1.00 to 10.0: 1 activation']);
  });

  test('message checks', () => {
    assert.ok(isHostToFeaturePage({ type: 'page', page: sampleFeaturePage() }));
    assert.ok(isHostToFeaturePage({ type: 'label' }));
    assert.ok(!isHostToFeaturePage({ type: 'page', page: { ...sampleFeaturePage(), histogram: { edges: [1, 2], counts: [1, 2] } } }));
    assert.ok(!isHostToFeaturePage({ type: 'label', label: { text: 'x', kind: 'guess' } }));
    assert.ok(!isHostToFeaturePage({ type: 'page', page: { ...sampleFeaturePage(), top: [{ tokens: [] }] } }));
  });
});

/** A feature's page in headless Chromium under its own Content-Security-Policy. */
describe('the feature page in Chromium', { skip: chromiumMissing, timeout: 120_000 }, () => {
  let web: WebviewPage<HostToFeaturePage>;
  const last = async () => (await web.record()).posted.at(-1);
  const style = (selector: string, property: string) => web.page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).${property}`);
  const texts = (selector: string) => web.page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent));

  before(async () => {
    web = await openWebviewPage({ entry: 'featurePage', html: featurePageHtml, viewport: { width: 1000, height: 1600 }, theme: DARK_CONTROLS });
  });
  after(() => web?.close());

  test('asks for its state; shows loading and errors as text', async () => {
    assert.deepEqual((await web.record()).posted[0], { type: 'ready' });
    await web.post({ type: 'loading', feature: { saeId: SAE_ID, index: 99 } });
    assert.equal(await web.page.textContent('#status'), 'Loading feature #99…');
    await web.post({ type: 'error', message: `no index for ${ATTACK}` });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'error');
    assert.equal(await web.page.textContent('#status'), `no index for ${ATTACK}`);
  });

  test('shows the title, the label with its kind, and the stats; HTML in labels and tokens is text', async () => {
    await web.post({ type: 'page', page: sampleFeaturePage() });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.equal(await web.page.textContent('#title'), `Feature #99 · ${HOOK}`);
    assert.equal(await web.page.textContent('#label .label-text'), ATTACK);
    assert.equal(await web.page.getAttribute('#label', 'class'), 'label-view kind-provisional');
    assert.equal(await style('#label .label-text', 'fontStyle'), 'italic');
    assert.equal(await web.page.textContent('#label-kind'), '(provisional: made from the top promoted tokens)');
    assert.deepEqual(await texts('#stats dd'), ['0.42% of tokens', '4,200 tokens', '8.00', '1.25', '1M']);
    assert.equal(await web.page.$$eval('img, b, script:not([src])', (nodes) => nodes.length), 0, 'no element made from text');
    assert.deepEqual(await texts('#promoted td.token'), ['" Paris"', '"<b>x</b>"']);
    assert.deepEqual(await texts('#suppressed td'), ['" the"', '-0.50']);
    assert.equal(await web.page.isVisible('#partial-notice'), false);
  });

  test('contexts: tokens shaded by activation over the page’s largest, whitespace visible, the focus outlined', async () => {
    const top = (await web.page.evaluate(`[...document.querySelectorAll('#top button.context')].map((n) => ({
      tokens: [...n.querySelectorAll('.tok')].map((t) => ({ text: t.textContent, shade: t.style.getPropertyValue('--a'), focus: t.classList.contains('focus'), title: t.title })),
      meta: n.querySelector('.ctx-meta').textContent,
    }))`)) as { tokens: { text: string; shade: string; focus: boolean; title: string }[]; meta: string }[];
    assert.equal(top.length, 2);
    assert.deepEqual(top[0].tokens.map((t) => t.text), ['import', '·os', '↵', '<img·src=x·onerror=alert(1)>', '·went']);
    assert.deepEqual(top[0].tokens.map((t) => t.shade), ['0.000', '0.250', '0.063', '1.000', '0.500'], 'activation / page max (8)');
    assert.deepEqual(top[0].tokens.map((t) => t.focus), [false, false, false, true, false]);
    assert.equal(top[0].tokens[3].title, `${JSON.stringify(ATTACK)} · activation 8.000`);
    assert.equal(top[0].meta, '8.00 · train.jsonl:12');
    assert.deepEqual(top[1].tokens.map((t) => t.text), ['from', '→x']);
    assert.equal(top[1].meta, '6.00 · readme.txt @120');
    const alphas = (await web.page.evaluate(`[...document.querySelectorAll('#top button.context:first-child .tok')].map((n) => getComputedStyle(n).backgroundColor)`)) as string[];
    const alpha = (colour: string) => (/^rgba|\//.test(colour) ? Number(colour.match(/([\d.]+)\)$/)![1]) : 1);
    const order = alphas.map(alpha);
    assert.ok(order[0] === 0 && order[2] < order[1] && order[1] < order[4] && order[4] < order[3], `shades in activation order: ${alphas.join(' | ')}`);
    assert.notEqual(await style('#top .tok.focus', 'outlineStyle'), 'none');
  });

  test('the quantile groups show their range, share and examples', async () => {
    assert.deepEqual(await texts('#groups h3'), ['Interval 4.00 – 8.00', 'Interval 0.00 – 4.00']);
    assert.deepEqual(await texts('#groups .group > p'), ["activations 4.00 to 8.00 · 13% of the feature's activations", "activations 0.00 to 4.00 · 88% of the feature's activations"]);
    assert.equal(await web.page.$$eval('#groups .group:nth-child(1) button.context', (n) => n.length), 1);
    assert.equal(await web.page.textContent('#groups .group:nth-child(2) .context-list'), 'No examples.');
  });

  test('a click (or Enter) on a context opens its source', async () => {
    await web.page.click('#top button.context >> nth=1');
    assert.deepEqual(await last(), { type: 'openContext', source: { file: '/ws/notes/readme.txt', offset: 120 } });
    await web.page.focus('#groups button.context');
    await web.page.keyboard.press('Enter');
    assert.deepEqual(await last(), { type: 'openContext', source: { file: '/ws/data/train.jsonl', line: 3 } });
  });

  test('draws the histogram: one bar per bin on a log axis, bars touching, no modebar button that sends it anywhere', async () => {
    await web.page.waitForSelector('#histogram .main-svg');
    const bars = (await web.page.evaluate(`[...document.querySelectorAll('#histogram .point path')].map((n) => n.getBBox()).map((b) => ({ left: b.x, right: b.x + b.width }))`)) as { left: number; right: number }[];
    assert.equal(bars.length, 12);
    for (let i = 1; i < bars.length; i++) assert.ok(Math.abs(bars[i].left - bars[i - 1].right) < 1.5, `bar ${i} starts where bar ${i - 1} ends: ${JSON.stringify(bars.slice(i - 1, i + 1))}`);
    const widths = bars.map((b) => b.right - b.left);
    assert.ok(Math.max(...widths) - Math.min(...widths) < 1.5, `log-spaced bins are equally wide on a log axis: ${widths.join(', ')}`);
    assert.equal(await web.page.evaluate(`document.getElementById('histogram')._fullLayout.xaxis.type`), 'log');
    const modebar = await web.page.$$eval('#histogram .modebar-btn', (nodes) => nodes.map((n) => n.getAttribute('data-title') ?? ''));
    assert.ok(modebar.length > 0 && !modebar.some((title) => /share|cloud|download|plotly/i.test(title)), modebar.join(', '));
    assert.equal(await web.page.$$eval('#histogram a[href]', (n) => n.length), 0, 'no link to plotly');
    await web.screenshot('page');
  });

  test('label editing: Edit, then Enter saves; Escape cancels; an empty label is sent as empty', async () => {
    await web.page.click('#edit-label');
    assert.equal(await web.page.isVisible('#label-input'), true);
    assert.equal(await web.page.evaluate('document.activeElement.id'), 'label-input');
    assert.equal(await web.page.inputValue('#label-input'), ATTACK);
    await web.page.fill('#label-input', '  Python import lines ');
    await web.page.press('#label-input', 'Enter');
    assert.deepEqual(await last(), { type: 'editLabel', text: 'Python import lines' });
    assert.equal(await web.page.isVisible('#label-input'), false);
    assert.equal(await web.page.textContent('#label-saving'), 'Saving…');
    await web.post({ type: 'label', label: { text: 'Python import lines', kind: 'user' } });
    assert.equal(await web.page.textContent('#label'), '✎Python import lines');
    assert.equal(await web.page.textContent('#label-kind'), '(your label)');
    assert.equal(await web.page.textContent('#label-saving'), '');

    const count = (await web.record()).posted.length;
    await web.page.click('#edit-label');
    await web.page.fill('#label-input', 'never saved');
    await web.page.press('#label-input', 'Escape');
    assert.equal((await web.record()).posted.length, count, 'Escape posts nothing');
    assert.equal(await web.page.isVisible('#label-input'), false);
    assert.equal(await web.page.evaluate('document.activeElement.id'), 'edit-label');
    assert.equal(await web.page.textContent('#label'), '✎Python import lines');

    await web.page.click('#edit-label');
    await web.page.fill('#label-input', '');
    await web.page.click('#save-label');
    assert.deepEqual(await last(), { type: 'editLabel', text: '' });
    await web.post({ type: 'label' });
    assert.equal(await web.page.textContent('#label'), 'No label');
  });

  test('neighbours and actions post; a partial page says so; later errors show beside the page', async () => {
    assert.deepEqual(await texts('#neighbours button.neighbour'), ['#12✎namescos 0.830', '#300cos 0.610']);
    await web.page.click('#neighbours button.neighbour >> nth=1');
    assert.deepEqual(await last(), { type: 'openFeature', index: 300 });
    for (const [id, type] of [
      ['highlight', 'highlight'],
      ['use-as-subspace', 'useAsSubspace'],
      ['copy-json', 'copyJson'],
    ]) {
      await web.page.click(`#${id}`);
      assert.deepEqual(await last(), { type });
    }
    await web.post({ type: 'page', page: sampleFeaturePage({ partial: true }) });
    assert.equal(await web.page.isVisible('#partial-notice'), true);
    assert.match((await web.page.textContent('#partial-notice'))!, /Rebuild Feature Index/);
    await web.post({ type: 'error', message: `could not save ${ATTACK}` });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.equal(await web.page.textContent('#page-error'), `could not save ${ATTACK}`);
    await web.post({ type: 'page', page: sampleFeaturePage({ histogram: { edges: [0, 1], counts: [0] }, top: [], groups: [], neighbours: [] }) });
    assert.equal(await web.page.isVisible('#page-error'), false);
    assert.equal(await web.page.isVisible('#histogram-empty'), true);
    assert.equal(await web.page.textContent('#top'), 'No examples.');
  });

  test('ignores malformed messages; nothing broke the policy but plotly’s optional inline styles', async () => {
    await web.post({ type: 'page', page: { feature: 3 } } as unknown as HostToFeaturePage);
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.deepEqual(web.errors, []);
    assert.deepEqual(await web.unexpectedViolations(), []);
    assert.equal(web.dialogs, 0);
  });
});
