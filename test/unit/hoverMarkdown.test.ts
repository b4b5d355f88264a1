import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeMarkdown, hoverMarkdown, tokenLiteral } from '../../src/extension/hovers/hoverMarkdown';

/** Undoes the numeric character references: what a Markdown renderer shows as text. */
function shown(markdown: string): string {
  return markdown.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
}

describe('hover Markdown', () => {
  const attack = '<img src=x onerror=alert(1)>';

  test('HTML and Markdown in token texts and labels are escaped, yet read back literally', () => {
    const markdown = hoverMarkdown({
      token: { id: 7, text: attack, span: [3, 31] },
      position: 2,
      featureSets: [{ hookName: 'blocks.1.hook_resid_post', saeId: 's', features: [{ index: 42, activation: 3.5, label: '**bold** [link](javascript:alert(1)) <script>x</script>' }] }],
      predictions: [{ id: 1, text: '`code`|pipe', logit: 2, logProb: Math.log(0.25) }],
    });
    for (const raw of ['<img', '<script', '](javascript', '**bold**', '`code`', '|pipe']) assert.ok(!markdown.includes(raw), `${raw} must not reach the renderer raw`);
    const text = shown(markdown);
    assert.ok(text.includes(JSON.stringify(attack)), 'the token reads back exactly');
    assert.ok(text.includes('**bold** [link](javascript:alert(1)) <script>x</script>'));
    assert.ok(text.includes('25.0%'));
  });

  test('the hover lists the token, features with bars and links, and predictions', () => {
    const markdown = hoverMarkdown({
      token: { id: 5, text: ' Mary', span: [10, 15] },
      position: 4,
      featureSets: [
        { hookName: 'blocks.0.hook_resid_post', saeId: 'a', features: [{ index: 3, activation: 2 }, { index: 9, activation: 1, label: 'names' }] },
        { hookName: 'blocks.1.hook_resid_post', saeId: 'b', features: [] },
      ],
      predictions: [],
      featureLink: (sae, f) => `command:mechlens.openFeature?${encodeURIComponent(JSON.stringify([sae, f]))}`,
    });
    assert.match(markdown, /id 5 · position 4 · characters 10–15/);
    assert.match(markdown, /\[#3\]\(command:mechlens\.openFeature\?/);
    assert.match(markdown, /`██████████` \|/);
    assert.match(markdown, /`█████░░░░░` \| names/);
    assert.match(markdown, /no feature fires here/);
    assert.ok(!markdown.includes('Next token'));
  });

  test('escapeMarkdown leaves letters, digits and spaces alone and escapes every syntax character', () => {
    assert.equal(escapeMarkdown('abc 123'), 'abc 123');
    for (const c of '\\`*_{}[]()#+-.!|<>&~"\'') assert.equal(escapeMarkdown(c), `&#${c.charCodeAt(0)};`, c);
    assert.equal(shown(tokenLiteral('\n\t')), '"\\n\\t"');
  });
});
