import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from '../fixtures/cliOutcome';

/** `npm run demo` on the embedded default model (media/default), in-process. */
describe('the demo', () => {
  test('runs the first IOI sample through two patching sweeps and the embedded SAEs', async () => {
    const { code, out, err } = await cli('demo', '--threads', '1');
    assert.equal(code, 0, err.join('\n'));
    const text = out.join('\n');
    assert.match(text, /from .*media\/default\/model/, 'the embedded default, not a random stand-in');
    assert.match(text, /case \[ioi-store\] of samples\/ioi.prompts/);
    assert.match(text, /sweep resid_pre .*denoising/);
    assert.match(text, /sweep attn_head_out_all_pos/);
    assert.match(text, /layer \\ head/);
    // Invariant: at layer 0 the prompts differ only at the swapped name, so patching the clean
    // residual stream there restores the clean run exactly (normalised metric 1).
    const tokens = /tokens: (.*)\(\* differs/.exec(text)![1];
    const differing = [...tokens.matchAll(/\[(\d+)\]\*/g)].map((m) => Number(m[1]));
    assert.equal(differing.length, 1, tokens);
    const layer0 = text.split('\n').find((line) => /^\s+0\s{5,}/.test(line) && line.includes('0.000'))!;
    assert.equal(layer0.trim().split(/\s+/)[1 + differing[0]], '1.000', layer0);
    assert.match(text, /blocks\.3\.hook_resid_post\s+\d+\s+\d+\.\d\d\s+↑ .* \(provisional\)/, 'top SAE features at the last layer, with their shipped provisional labels');
  });
});
