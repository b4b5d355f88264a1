import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { featuresViewHtml } from '../../src/extension/features/featureHtml';
import type { HostToFeaturesView } from '../../src/protocol/featureIndex';
import { parseQuery, visibleRows, whyHidden } from '../../webview/features/listModel';
import { isHostToFeaturesView } from '../../webview/shared/featureMessages';
import { formatPercent } from '../../webview/shared/featureText';
import { ATTACK, bigFeatureList, DARK_CONTROLS, HOOK, SAE_ID, sampleStatus, sampleTextResult } from '../fixtures/featureBrowserFixtures';
import { chromiumMissing, openWebviewPage, type WebviewPage } from '../fixtures/webviewPage';

const ROWS = 24576;
const ROW_HEIGHT = 22;
const rows = bigFeatureList(ROWS).rows;
const noFilters = { sort: 'index', hideDead: false, hideDense: false, labelFilter: '' } as const;

describe('the Features view’s list logic', () => {
  test('the search box: a number or #number is a feature, other text a label filter', () => {
    assert.deepEqual(parseQuery(' #123 '), { kind: 'index', index: 123 });
    assert.deepEqual(parseQuery('42'), { kind: 'index', index: 42 });
    assert.deepEqual(parseQuery('Python 3'), { kind: 'label', text: 'python 3' });
    assert.deepEqual(parseQuery('#12a'), { kind: 'label', text: '#12a' });
    assert.deepEqual(parseQuery('  '), { kind: 'none' });
  });

  test('filters and sorts', () => {
    assert.deepEqual(
      visibleRows(rows, { ...noFilters, labelFilter: 'python' }).map((r) => r.index),
      [7, 42],
    );
    const live = visibleRows(rows, { ...noFilters, hideDead: true, hideDense: true });
    assert.equal(live.length, rows.filter((r) => r.count > 0 && r.density <= 0.01).length);
    assert.ok(live.length > 1000 && live.length < ROWS / 2, `${live.length}`);
    const byMax = visibleRows(rows, { ...noFilters, sort: 'max' });
    for (let i = 1; i < byMax.length; i++) assert.ok(byMax[i - 1].maxActivation > byMax[i].maxActivation || (byMax[i - 1].maxActivation === byMax[i].maxActivation && byMax[i - 1].index < byMax[i].index));
    const byLabel = visibleRows(rows.slice(0, 12), { ...noFilters, sort: 'label' }).map((r) => r.index);
    assert.deepEqual(byLabel.slice(0, 3), [1, 5, 9], 'labels A–Z (the quote mark first), unlabelled last');
    assert.deepEqual(byLabel.slice(3, 6), [2, 6, 10], 'numbers in labels in numeric order');
    assert.deepEqual(byLabel.slice(-3), [0, 4, 8]);
    assert.equal(whyHidden(rows, 19, { ...noFilters, hideDead: true }), 'Feature #19 is dead (it never fired) and "Hide dead" is on.');
    assert.match(whyHidden(rows, ROWS, noFilters)!, /There is no feature #24576: this SAE has 24576 features/);
    assert.equal(whyHidden(rows, 5, noFilters), undefined);
  });

  test('percentages and message checks', () => {
    assert.deepEqual([0, 0.00000042, 0.0042, 0.031, 0.45].map(formatPercent), ['0%', '<0.01%', '0.42%', '3.1%', '45%']);
    assert.equal(formatPercent(0.01), '1%');
    assert.ok(isHostToFeaturesView({ type: 'list', list: bigFeatureList(10) }));
    assert.ok(!isHostToFeaturesView({ type: 'list', list: { ...bigFeatureList(10), rows: [{ index: -1 }] } }));
    assert.ok(!isHostToFeaturesView({ type: 'status', status: { ...sampleStatus(), state: 'done' } }));
    assert.ok(!isHostToFeaturesView({ type: 'saes', saes: 'x' }));
  });
});

/** The Features side view in headless Chromium under its own Content-Security-Policy, at a side panel’s width. */
describe('the Features view in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let web: WebviewPage<HostToFeaturesView>;
  const posted = async () => (await web.record()).posted;
  const last = async () => (await posted()).at(-1);
  const rowIndices = () => web.page.$$eval('#feature-list .virtual-row', (nodes) => nodes.map((n) => Number(n.getAttribute('data-feature'))).sort((a, b) => a - b));
  const setSize = () => web.page.$eval('#feature-list .virtual-row', (n) => Number(n.getAttribute('aria-setsize')));
  const fontStyle = (selector: string) => web.page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).fontStyle`);
  const frame = () => web.page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

  before(async () => {
    web = await openWebviewPage({ entry: 'features', html: featuresViewHtml, viewport: { width: 320, height: 700 }, theme: DARK_CONTROLS });
  });
  after(() => web?.close());

  test('asks for its state; shows the SAEs and the index status; Scan and Cancel post', async () => {
    assert.deepEqual((await posted())[0], { type: 'ready' });
    await web.post({ type: 'saes', saes: [{ saeId: SAE_ID, hookName: HOOK, dSae: ROWS }, { saeId: 'blocks.8@/x', hookName: 'blocks.8.hook_resid_post', dSae: 16 }], selected: SAE_ID });
    await web.post({ type: 'status', status: sampleStatus({ state: 'empty', filesTotal: 0, filesDone: 0, tokens: 0, documents: 0 }) });
    assert.equal(await web.page.getAttribute('body', 'data-state'), 'ready');
    assert.equal(await web.page.textContent('#index-status'), 'No index yet.');
    assert.equal(await web.page.isVisible('#index-empty-note'), true);
    assert.match((await web.page.textContent('#index-empty-note'))!, /Scan builds the index from the workspace files/);
    assert.deepEqual(await web.page.$$eval('#sae-select option', (nodes) => nodes.map((n) => n.textContent)), [`${HOOK} (24,576 features)`, 'blocks.8.hook_resid_post (16 features)']);
    await web.page.click('#scan');
    assert.deepEqual(await last(), { type: 'scan' });
    await web.post({ type: 'status', status: sampleStatus({ state: 'scanning', filesDone: 30, failures: [{ file: '/ws/bad.bin', message: ATTACK }], partialFeatures: 3 }) });
    assert.equal(await web.page.textContent('#index-status'), 'Scanning: 30 of 120 files · 1M tokens · 340 documents');
    assert.equal(await web.page.isVisible('#scan'), false);
    assert.equal(await web.page.isVisible('#index-empty-note'), false);
    assert.equal(await web.page.textContent('#index-failures summary'), '1 file could not be indexed');
    assert.equal(await web.page.textContent('#index-failures li'), `/ws/bad.bin: ${ATTACK}`);
    assert.equal(await web.page.textContent('#index-partial'), '3 features have lost top contexts to edited or deleted files: run MechLens: Rebuild Feature Index to restore them.');
    assert.equal(Number(await web.page.getAttribute('#index-progress', 'value')), 30);
    await web.page.click('#cancel-scan');
    assert.deepEqual(await last(), { type: 'cancelScan' });
    await web.post({ type: 'status', status: sampleStatus() });
    assert.equal(await web.page.isVisible('#cancel-scan'), false);
    assert.equal(await web.page.isVisible('#index-partial'), false);
  });

  test('24576 rows are virtualised: few row elements, and scrolling shows the right indices', async () => {
    await web.post({ type: 'list', list: bigFeatureList(ROWS) });
    assert.equal(await web.page.evaluate(`document.querySelector('#feature-list .virtual-spacer').offsetHeight`), ROWS * ROW_HEIGHT);
    const first = await rowIndices();
    assert.ok(first.length > 5 && first.length < 60, `${first.length} rows in the DOM`);
    assert.equal(first[0], 0);
    assert.equal(await web.page.textContent('#list-note'), `24,576 features · ${HOOK}`);
    await web.page.$eval('#feature-list', (n, top) => (n.scrollTop = top), 12_000 * ROW_HEIGHT);
    await frame();
    const scrolled = await rowIndices();
    assert.ok(scrolled.length < 60, `${scrolled.length} rows in the DOM`);
    assert.ok(scrolled.includes(12_000) && scrolled.every((i) => i > 11_900 && i < 12_100), scrolled.join(','));
    const visible = (await web.page.evaluate(`{
      const list = document.getElementById('feature-list').getBoundingClientRect();
      const inView = [...document.querySelectorAll('#feature-list .virtual-row')].filter((n) => {
        const r = n.getBoundingClientRect();
        return r.top >= list.top && r.bottom <= list.bottom;
      });
      inView.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((n) => n.querySelector('.row-index').textContent);
    }`)) as string[];
    assert.equal(visible[0], '#12000', 'the row at the scroll position is at the top of the list');
    const row = await web.page.$eval('#feature-list [data-feature="12001"]', (n) => [...n.children].map((c) => c.textContent));
    assert.deepEqual(row, ['#12001', `≈" the" " a" 12001`, '1.4%', '2.00']);
    await web.screenshot('list');
  });

  test('labels show their kind, provisional ones in italics, HTML literally', async () => {
    await web.page.fill('#search', '#99');
    assert.equal(await web.page.textContent('#feature-list [data-feature="99"] .row-label'), `≈${ATTACK}`);
    assert.equal(await web.page.getAttribute('#feature-list [data-feature="99"] .row-label', 'class'), 'row-label kind-provisional');
    assert.equal(await fontStyle('#feature-list [data-feature="99"] .label-text'), 'italic');
    assert.match((await web.page.getAttribute('#feature-list [data-feature="99"]', 'title'))!, /provisional/);
    assert.equal(await web.page.$eval('#feature-list [data-feature="98"] .row-label', (n) => n.className), 'row-label kind-imported');
    assert.equal(await fontStyle('#feature-list [data-feature="98"] .label-text'), 'normal');
    assert.equal(await web.page.$$eval('img', (n) => n.length), 0);
  });

  test('a number jumps to that feature; Enter opens it', async () => {
    await web.page.fill('#search', '20000');
    assert.equal(await web.page.getAttribute('#feature-list', 'aria-activedescendant'), 'feature-row-20000');
    assert.equal(await web.page.getAttribute('#feature-row-20000', 'aria-selected'), 'true');
    assert.equal(await web.page.textContent('#list-note'), 'Feature #20000: Enter opens it.');
    await web.page.press('#search', 'Enter');
    assert.deepEqual(await last(), { type: 'openFeature', index: 20000 });
    await web.page.fill('#search', '#30000');
    assert.match((await web.page.textContent('#list-note'))!, /There is no feature #30000/);
  });

  test('text filters by label, case-insensitively', async () => {
    await web.page.fill('#search', 'python');
    assert.deepEqual(await rowIndices(), [7, 42]);
    assert.equal(await web.page.textContent('#list-note'), '2 features of 24,576 shown');
    await web.page.fill('#search', '');
    assert.equal(await setSize(), ROWS);
  });

  test('sort and filters', async () => {
    await web.page.selectOption('#sort', 'max');
    await frame();
    const top = await web.page.$$eval('#feature-list .virtual-row', (nodes) => nodes.slice(0, 3).map((n) => Number(n.getAttribute('data-feature'))));
    const expected = [...rows].sort((a, b) => b.maxActivation - a.maxActivation || a.index - b.index).slice(0, 3).map((r) => r.index);
    assert.deepEqual(top, expected);
    await web.page.check('#hide-dead');
    assert.equal(await setSize(), rows.filter((r) => r.count > 0).length);
    assert.match((await web.page.textContent('label[title*="more than"]'))!, /Hide dense \(> 1%\)/);
    await web.page.check('#hide-dense');
    assert.equal(await setSize(), rows.filter((r) => r.count > 0 && r.density <= 0.01).length);
    await web.page.fill('#search', '19');
    assert.equal(await web.page.textContent('#list-note'), 'Feature #19 is dead (it never fired) and "Hide dead" is on.');
    await web.page.fill('#search', '');
    await web.page.uncheck('#hide-dead');
    await web.page.uncheck('#hide-dense');
    await web.page.selectOption('#sort', 'index');
    assert.equal(await setSize(), ROWS);
  });

  test('the keyboard moves through the list and Enter opens; a click opens', async () => {
    await web.page.$eval('#feature-list', (n) => (n.scrollTop = 0));
    await web.page.fill('#search', '');
    await web.page.focus('#search');
    await web.page.keyboard.press('ArrowDown');
    assert.equal(await web.page.evaluate('document.activeElement.id'), 'feature-list');
    await web.page.keyboard.press('ArrowDown');
    await web.page.keyboard.press('ArrowDown');
    await web.page.keyboard.press('ArrowUp');
    await web.page.keyboard.press('Enter');
    assert.deepEqual(await last(), { type: 'openFeature', index: 1 });
    await web.page.keyboard.press('End');
    await frame();
    await web.page.keyboard.press('Enter');
    assert.deepEqual(await last(), { type: 'openFeature', index: ROWS - 1 });
    assert.ok(await web.page.isVisible(`#feature-row-${ROWS - 1}`), 'the active row was scrolled into view');
    await web.page.keyboard.press('Home');
    await web.page.click('#feature-list [data-feature="3"]');
    assert.deepEqual(await last(), { type: 'openFeature', index: 3 });
  });

  test('Text mode posts the typed text once typing pauses and lists the features that fire on it', async () => {
    const before = (await posted()).length;
    await web.page.check('#text-mode');
    assert.equal(await web.page.isVisible('#sort'), false);
    await web.page.type('#search', 'def main():', { delay: 20 });
    await web.until(`window.record.posted.length > ${before}`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual((await posted()).slice(before), [{ type: 'searchText', text: 'def main():' }], 'debounced: one message');
    await web.post({ type: 'searchTextResult', result: sampleTextResult('stale text') });
    assert.equal(await web.page.$$eval('#feature-list .virtual-row', (n) => n.length), 0, 'a result for another text is not shown');
    await web.post({ type: 'searchTextResult', result: sampleTextResult() });
    const hits = await web.page.$$eval('#feature-list .virtual-row', (nodes) => nodes.map((n) => [...n.children].map((c) => c.textContent)));
    assert.deepEqual(hits, [
      ['#7', '✎Python imports', '"def"', '4.25'],
      ['#99', `≈${ATTACK}`, '"():"', '2.00'],
      ['#300', 'no label', '" main"', '1.50'],
    ]);
    assert.equal(await web.page.textContent('#list-note'), '3 features fire on these 3 tokens.');
    await web.page.click('#feature-list [data-feature="300"]');
    assert.deepEqual(await last(), { type: 'openFeature', index: 300 });
    await web.page.uncheck('#text-mode');
    await web.page.fill('#search', '');
    assert.equal(await setSize(), ROWS);
  });

  test('picking another SAE posts selectSae; errors show as text', async () => {
    await web.page.selectOption('#sae-select', 'blocks.8@/x');
    assert.deepEqual(await last(), { type: 'selectSae', saeId: 'blocks.8@/x' });
    assert.equal(await web.page.textContent('#list-note'), 'Waiting for the feature list…');
    await web.post({ type: 'list', list: bigFeatureList(ROWS) });
    assert.equal(await web.page.textContent('#list-note'), 'Waiting for the feature list…', 'a late list for the SAE picked before is ignored');
    assert.equal(await web.page.inputValue('#sae-select'), 'blocks.8@/x');
    await web.post({ type: 'error', message: `could not read ${ATTACK}` });
    assert.equal(await web.page.textContent('#error'), `could not read ${ATTACK}`);
    assert.equal(await web.page.$$eval('img', (n) => n.length), 0);
    await web.screenshot('features');
  });

  test('ignores malformed messages; nothing broke the policy', async () => {
    await web.post({ type: 'list', list: { rows: 'nope' } } as unknown as HostToFeaturesView);
    assert.deepEqual(web.errors, []);
    assert.deepEqual(await web.unexpectedViolations(), []);
    assert.equal(web.dialogs, 0);
  });
});
