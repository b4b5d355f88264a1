import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectHtml } from '../../src/extension/inspect/inspectHtml';
import { patchingHtml } from '../../src/extension/patching/patchingHtml';
import { subspaceHtml } from '../../src/extension/subspace/subspaceHtml';
import { contentSecurityPolicy, escapeAttribute, makeNonce, pageAssets, type PageInput } from '../../src/extension/webviewHtml';

const uris = (entry: string) => pageAssets(entry, (file) => `vscode-webview://ext/dist/webview/${file}`);

/** Each panel's page: its builder, its bundle, the image sources it adds, and the elements its script fills. */
const PAGES = [
  { entry: 'inspect', build: inspectHtml, images: ['blob:'], ids: ['status', 'content', 'title', 'predictions', 'export-png', 'export-note', 'sae-select', 'cap-note', 'heatmap', 'feature-title', 'feature-plot', 'clear-highlight', 'token-features'] },
  { entry: 'patching', build: patchingHtml, images: ['blob:'], ids: ['status', 'content', 'title', 'summary', 'warning-list', 'metric-select', 'slices', 'export-png', 'export-note', 'heatmap', 'details-title', 'details-body'] },
  { entry: 'subspace', build: subspaceHtml, images: ['blob:'], ids: ['status', 'content', 'title', 'badge', 'badge-label', 'badge-sentence', 'summary', 'warning-list', 'export-png', 'export-note', 'effects', 'checks', 'histograms', 'pairs-body'] },
] satisfies { entry: string; build: (input: PageInput) => string; images: string[]; ids: string[] }[];

function decode(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
}

for (const { entry, build, images, ids } of PAGES) {
  const page = (nonce = 'abc123+/=') => build({ cspSource: 'vscode-webview:', nonce, uris: uris(entry) });

  describe(`the ${entry} page`, () => {
    test('has a strict Content-Security-Policy: nothing by default, scripts by nonce only', () => {
      const html = page();
      const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
      assert.ok(meta, 'a CSP meta tag');
      const policy = decode(meta[1]);
      assert.equal(policy, contentSecurityPolicy('vscode-webview:', 'abc123+/=', images));
      const directives = new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
      assert.deepEqual(directives.get('default-src'), ["'none'"]);
      assert.deepEqual(directives.get('script-src'), ["'nonce-abc123+/='"]);
      assert.deepEqual(directives.get('style-src'), ['vscode-webview:']);
      assert.deepEqual(directives.get('img-src'), ['vscode-webview:', 'data:', ...images]);
      assert.ok(!policy.includes('unsafe'), 'no unsafe-inline or unsafe-eval');
      assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'the policy comes before any script');
    });

    test('every script carries the nonce and none is inline', () => {
      const html = page();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.equal(scripts.length, 2);
      for (const [, attributes, body] of scripts) {
        assert.match(attributes, /\bnonce="abc123\+\/="/);
        assert.equal(body.trim(), '', 'no inline code');
      }
      assert.equal((html.match(/<script\b/g) ?? []).length, scripts.length);
      assert.ok(!/\son\w+=/i.test(html), 'no inline event handlers');
      assert.ok(!/\sstyle=/i.test(html), 'no inline styles (the policy would refuse them)');
    });

    test('loads only its own resources (the shared stylesheet before its own), none remote', () => {
      const html = page();
      assert.ok(!/https?:\/\//i.test(html), 'no http(s) URL');
      const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => decode(m[1]));
      assert.deepEqual(new Set(urls), new Set(Object.values(uris(entry))));
      assert.ok(html.indexOf('base.css') < html.indexOf(`${entry}.css`), 'the panel’s CSS overrides the shared one');
      assert.match(html, /<link id="plotly\.js-style-global" class="no-inline-styles" rel="stylesheet"/, 'plotly is told its CSS is linked');
    });

    test('holds the elements the panel script fills', () => {
      const html = page();
      for (const id of ids) assert.match(html, new RegExp(`id="${id}"`), id);
    });
  });
}

describe('the shared page builder', () => {
  test('attribute values are escaped; nonces are fresh and long', () => {
    assert.equal(escapeAttribute(`"><script>'&`), '&#34;&#62;&#60;script&#62;&#39;&#38;');
    const html = inspectHtml({ cspSource: 'x', nonce: 'n', uris: { ...uris('inspect'), script: 'vscode-webview://a"><script>alert(1)</script>' } });
    assert.equal((html.match(/<script\b/g) ?? []).length, 2);
    const nonces = new Set(Array.from({ length: 50 }, makeNonce));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) assert.equal(Buffer.from(nonce, 'base64').length, 16);
  });
});
