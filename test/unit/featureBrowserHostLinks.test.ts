import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FeaturePage } from '../../src/protocol/featureIndex';
import { isWebviewToExtension } from '../../src/protocol/inspectMessages';
import { findContext, locateContext } from '../../src/extension/features/contextLocation';
import { FEATURE_PAGE_ENTRY, FEATURES_ENTRY, featurePageHtml, featuresViewHtml } from '../../src/extension/features/featureHtml';
import { featureKey, featurePageLink, OPEN_FEATURE_PAGE_COMMAND, parseFeatureIndex, toFeatureRef } from '../../src/extension/features/featureLinks';
import { importSummaryMessage } from '../../src/extension/features/importSummary';
import { hoverMarkdown } from '../../src/extension/hovers/hoverMarkdown';
import { contentSecurityPolicy, pageAssets } from '../../src/extension/webviewHtml';

/** Feature links (hovers, Inspect), where a context is in its file, the import summary, and the two pages' HTML. */

function shown(markdown: string): string {
  return markdown.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
}

describe('feature page links', () => {
  test('a link carries {saeId, index} as the other command links do, and reads back', () => {
    const link = featurePageLink('blocks.0/sae "x"', 12);
    assert.ok(link.startsWith(`command:${OPEN_FEATURE_PAGE_COMMAND}?`));
    assert.ok(!/[\s"()]/.test(link), 'nothing in it can end the Markdown link');
    const [arg] = JSON.parse(decodeURIComponent(link.slice(link.indexOf('?') + 1)));
    assert.deepEqual(toFeatureRef(arg), { saeId: 'blocks.0/sae "x"', index: 12 });
  });

  test('malformed feature arguments are refused', () => {
    for (const bad of [undefined, null, 'x', [], {}, { saeId: '', index: 1 }, { saeId: 's', index: -1 }, { saeId: 's', index: 1.5 }, { saeId: 3, index: 1 }, { saeId: 's', index: '2' }]) assert.equal(toFeatureRef(bad), undefined, JSON.stringify(bad));
    assert.notEqual(featureKey({ saeId: 'a', index: 1 }), featureKey({ saeId: 'a', index: 11 }));
  });

  test('a typed feature index is a whole number below dSae', () => {
    assert.equal(parseFeatureIndex(' 42 ', 64), 42);
    assert.equal(parseFeatureIndex('#7', 64), 7);
    for (const bad of ['', '64', '-1', '1.5', 'abc', '1e3']) assert.equal(parseFeatureIndex(bad, 64), undefined, bad);
  });

  test('each hover feature gets an "open feature page" link beside "use as subspace"; labels stay escaped', () => {
    const markdown = hoverMarkdown({
      token: { id: 1, text: ' Mary', span: [0, 5] },
      position: 1,
      featureSets: [{ hookName: 'blocks.0.hook_resid_post', saeId: 's0', features: [{ index: 3, activation: 2, label: '[x](command:evil)' }] }],
      predictions: [],
      pageLink: featurePageLink,
      subspaceLink: () => 'command:mechlens.runSubspace?%5B%5D',
    });
    const rows = markdown.split('\n').filter((l) => l.startsWith('|'));
    assert.equal(rows[0], '| feature | activation | | label | | |');
    assert.equal(rows[1], '|---:|---:|---|---|---|---|');
    assert.ok(rows[2].includes(`[feature page](${featurePageLink('s0', 3)} "`), rows[2]);
    assert.ok(rows[2].indexOf('[feature page]') < rows[2].indexOf('[use as subspace]'));
    const pipes = (row: string) => (row.match(/\|/g) ?? []).length;
    assert.equal(pipes(rows[2]), pipes(rows[0]), 'as many cells as headers');
    assert.ok(!markdown.includes('[x](command:evil)'));
    assert.ok(shown(markdown).includes('[x](command:evil)'), 'the label reads back literally');
  });

  test('the Inspect panel may ask for a feature page, with a well-formed feature only', () => {
    assert.ok(isWebviewToExtension({ type: 'openFeaturePage', saeId: 's0', feature: 3 }));
    assert.ok(!isWebviewToExtension({ type: 'openFeaturePage', saeId: 's0', feature: -3 }));
    assert.ok(!isWebviewToExtension({ type: 'openFeaturePage', feature: 3 }));
  });
});

describe('where a context is', () => {
  const text = 'Hello Mary\r\n{"text": "a"}\n{"text": "b"}';

  test('a text context selects its focus token at its offset (with or without its leading space)', () => {
    assert.deepEqual(locateContext(text, { file: 'f', offset: 5 }, ' Mary'), { start: 5, end: 10, stale: false });
    assert.deepEqual(locateContext(text, { file: 'f', offset: 6 }, ' Mary'), { start: 6, end: 10, stale: false });
  });

  test('a file edited since the scan: the cursor goes to the offset, marked stale', () => {
    assert.deepEqual(locateContext(text, { file: 'f', offset: 0 }, ' Mary'), { start: 0, end: 0, stale: true });
    assert.deepEqual(locateContext(text, { file: 'f', offset: 500 }, 'x'), { start: text.length, end: text.length, stale: true });
  });

  test('a JSONL context selects its line, without the line break', () => {
    assert.deepEqual(locateContext(text, { file: 'f', line: 0 }, undefined), { start: 0, end: 10, stale: false });
    assert.deepEqual(locateContext(text, { file: 'f', line: 1 }, undefined), { start: 12, end: 25, stale: false });
    assert.equal(text.slice(26, 39), '{"text": "b"}');
    assert.deepEqual(locateContext(text, { file: 'f', line: 2 }, undefined), { start: 26, end: 39, stale: false });
    assert.deepEqual(locateContext(text, { file: 'f', line: 3 }, undefined), { start: text.length, end: text.length, stale: true });
  });

  test('findContext looks in the top contexts and in every quantile group', () => {
    const context = (file: string, offset?: number, line?: number) => ({ source: { file, offset, line }, tokens: [{ text: 'x', activation: 1 }], focus: 0, activation: 1 });
    const page = { top: [context('/a', 1)], groups: [{ title: 'g', from: 0, to: 1, share: 1, contexts: [context('/b', undefined, 4)] }] } as unknown as FeaturePage;
    assert.equal(findContext(page, { file: '/a', offset: 1 }), page.top[0]);
    assert.equal(findContext(page, { file: '/b', line: 4 }), page.groups[0].contexts[0]);
    assert.equal(findContext(page, { file: '/a', offset: 2 }), undefined);
    assert.equal(findContext(page, { file: '/b', offset: 4 }), undefined);
  });
});

describe('the label import summary', () => {
  test('counts, the file, and the first reasons, shortened', () => {
    const all = importSummaryMessage({ imported: 1, skipped: 0, reasons: [], file: '/w/.mechlens/labels.json' }, 'blocks.0.hook_resid_post');
    assert.deepEqual(all, { severity: 'info', message: 'MechLens: imported 1 label for blocks.0.hook_resid_post into /w/.mechlens/labels.json.' });
    const some = importSummaryMessage({ imported: 40, skipped: 3, reasons: ['line 2: no "index" field', `line 9: ${'y'.repeat(300)}`, 'line 12: index 99999 is past the SAE'], file: 'l.json' }, 'h');
    assert.equal(some.severity, 'warning');
    assert.match(some.message, /^MechLens: imported 40 labels for h into l\.json; skipped 3 entries \(line 2: no "index" field; line 9: y+…; more in the MechLens log\)\.$/);
    assert.ok(!some.message.includes('line 12'));
    assert.ok(some.message.length < 500);
    assert.equal(importSummaryMessage({ imported: 0, skipped: 0, reasons: [], file: 'l.json' }, 'h').severity, 'warning', 'nothing imported is worth a look');
    assert.match(importSummaryMessage({ imported: 0, skipped: 1, reasons: ['line 1: not JSON'], file: 'l.json' }, 'h').message, /skipped 1 entry \(line 1: not JSON\)\.$/);
  });
});

describe('the feature browser pages', () => {
  for (const [entry, build] of [
    [FEATURES_ENTRY, featuresViewHtml],
    [FEATURE_PAGE_ENTRY, featurePageHtml],
  ] as const) {
    test(`${entry}: its own bundle under the strict policy, and the shared skeleton`, () => {
      const uris = pageAssets(entry, (file) => `vscode-webview://ext/dist/webview/${file}`);
      const html = build({ cspSource: 'vscode-webview:', nonce: 'n0nce', uris });
      assert.ok(html.includes(`src="vscode-webview://ext/dist/webview/${entry}.js"`));
      assert.ok(html.includes(`href="vscode-webview://ext/dist/webview/${entry}.css"`));
      assert.ok(shown(html).includes(contentSecurityPolicy('vscode-webview:', 'n0nce')));
      for (const id of ['status', 'content', 'title']) assert.ok(html.includes(`id="${id}"`), id);
      assert.ok(!/<script(?![^>]*nonce="n0nce")/.test(html), 'every script has the nonce');
    });
  }
});
