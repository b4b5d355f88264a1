import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leaveOneOutCorrect, probeGroups, specificityCheck, type TokenExample } from '../../src/engine/subspace/specificity';
import { seededNormal } from '../../src/engine/synthetic/randomGpt2';

const e = (i: number, width = 4) => Float64Array.from({ length: width }, (_, j) => (j === i ? 1 : 0));

/** Clean and corrupted examples: each of `tokens` names `repeats` times per set; coordinate 0 carries the clean/corrupted contrast, coordinate 1 the token, 2 and 3 noise. */
function examples(tokens: string[], repeats: number, seed = 3): TokenExample[] {
  const normal = seededNormal(seed);
  const out: TokenExample[] = [];
  for (const set of ['clean', 'corrupted'] as const) {
    tokens.forEach((token, t) => {
      for (let r = 0; r < repeats; r++) out.push({ set, token, h: Float64Array.from([set === 'clean' ? 5 : -5, 2 * t + 0.1 * normal(), normal(), normal()]) });
    });
  }
  return out;
}

describe('the specificity probe', () => {
  test('leave-one-out nearest centroid, against a hand count', () => {
    // 1-d: class 0 at 0 and 0.2, class 1 at 1 and 1.2, and 0.55 labelled 1 (its LOO centroid of class 1 is 1.1, class 0's is 0.1: wrong).
    const group = { coords: [0, 0.2, 1, 1.2, 0.55].map((x) => Float64Array.from([x])), labels: [0, 0, 1, 1, 1], classes: 2 };
    assert.equal(leaveOneOutCorrect(group), 4);
    // Labels that cut across the clusters: class 0 = {0, 1, 0.55}, class 1 = {0.2, 1.2}; only 0.55 (LOO centroids 0.5 and 0.7) is right.
    assert.equal(leaveOneOutCorrect(group, [0, 1, 0, 1, 0]), 1);
    assert.equal(leaveOneOutCorrect(group, [1, 1, 0, 0, 0]), 4, 'renaming the classes changes nothing');
    // A token alone in its class after leaving one out has no centroid left: never predicted for itself.
    assert.equal(leaveOneOutCorrect({ coords: [Float64Array.from([0]), Float64Array.from([0.1]), Float64Array.from([5])], labels: [0, 0, 1], classes: 2 }), 2);
  });

  test('groups: within each prompt set, tokens seen at least twice; the contrast between the sets is never a class', () => {
    const groups = probeGroups([e(0), e(1)], [
      ...examples(['A', 'B'], 2),
      { set: 'clean', token: 'C', h: e(2) }, // once: left out
    ]);
    assert.deepEqual(groups.map((g) => [g.classes, g.coords.length]), [[2, 4], [2, 4]]);
    assert.deepEqual(groups[0].coords[0].length, 2, 'coordinates on the basis');
    // ILLUSION_PAIRS-like: every clean prompt has " Mary", every corrupted one " John": nothing to probe.
    const confounded = [0, 1, 2, 3].flatMap((i) => [{ set: 'clean' as const, token: ' Mary', h: e(i) }, { set: 'corrupted' as const, token: ' John', h: e(i) }]);
    assert.deepEqual(probeGroups([e(0)], confounded), []);
    const skipped = specificityCheck({ effect: 0.9, basis: [e(0)], examples: confounded });
    assert.ok('skip' in skipped && /two different tokens/.test(skipped.skip));
  });

  test('a subspace along the token coordinate warns; along the contrast or noise it passes; a null effect passes', () => {
    const data = examples(['A', 'B', 'C', 'D'], 4);
    const tokenAxis = specificityCheck({ effect: 0.9, basis: [e(1)], examples: data });
    assert.ok(!('skip' in tokenAxis));
    assert.equal(tokenAxis.verdict, 'warn', tokenAxis.sentence);
    assert.equal(tokenAxis.values.accuracy, 1);
    assert.ok(tokenAxis.values.chance! < 0.5, `chance ${tokenAxis.values.chance}`);
    assert.ok(tokenAxis.values.pValue! < 0.01);
    assert.deepEqual([tokenAxis.values.examples, tokenAxis.values.tokens, tokenAxis.values.shuffles], [32, 8, 200]);
    assert.match(tokenAxis.sentence, /also carries which token/);
    assert.match(tokenAxis.sentence, /tokens told apart: 4 in the clean prompts, 4 in the corrupted prompts/);

    const contrast = specificityCheck({ effect: 0.9, basis: [e(0)], examples: data });
    assert.ok(!('skip' in contrast));
    assert.equal(contrast.verdict, 'pass', contrast.sentence);
    const noise = specificityCheck({ effect: 0.9, basis: [e(2), e(3)], examples: data });
    assert.ok(!('skip' in noise));
    assert.equal(noise.verdict, 'pass', noise.sentence);
    assert.ok(noise.values.pValue! > 0.05, `p ${noise.values.pValue}`);

    const idle = specificityCheck({ effect: 0.02, basis: [e(1)], examples: data });
    assert.ok(!('skip' in idle));
    assert.equal(idle.verdict, 'pass');
  });

  test('large sets get fewer shuffles (at least 20), so the check stays quick', () => {
    const tokens = Array.from({ length: 30 }, (_, i) => `t${i}`);
    const wide = (dims: number) => examples(tokens, 20).map((x) => ({ ...x, h: Float64Array.from({ length: dims }, (_, j) => x.h[j % 4] + j) }));
    const basis = (dims: number) => Array.from({ length: dims }, (_, i) => e(i, dims));
    // 1200 examples × 30 tokens per probe: 4 dimensions cost 144,000 multiply-adds (2e8 of them allow 1388 shuffles: 200 are run) …
    const small = specificityCheck({ effect: 0.9, basis: basis(4), examples: wide(4) });
    assert.ok(!('skip' in small));
    assert.deepEqual([small.values.examples, small.values.shuffles], [1200, 200]);
    // … 32 dimensions 1,152,000 (173 shuffles).
    const large = specificityCheck({ effect: 0.9, basis: basis(32), examples: wide(32) });
    assert.ok(!('skip' in large));
    assert.equal(large.values.shuffles, Math.floor(2e8 / (1200 * 30 * 32)));
    assert.match(large.sentence, /shuffled \(173 times\)/);
  });

  test('seeded: the same numbers every time; another seed moves only the chance estimate', () => {
    const data = examples(['A', 'B', 'C'], 3);
    const a = specificityCheck({ effect: 0.9, basis: [e(2)], examples: data, seed: 5 });
    const b = specificityCheck({ effect: 0.9, basis: [e(2)], examples: data, seed: 5 });
    const c = specificityCheck({ effect: 0.9, basis: [e(2)], examples: data, seed: 6 });
    assert.deepEqual(a, b);
    assert.ok(!('skip' in a) && !('skip' in c));
    assert.equal(a.values.accuracy, c.values.accuracy);
  });
});
