import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MechLensError } from '../../src/engine/errors';
import {
  allLogitEffects,
  allLogitEffectsOnnx,
  decoderOf,
  featureLogitEffects,
  logitEffectBlocks,
  logitEffectBlocksOnnx,
  LogitEffectRunner,
  unembeddingOf,
  type Decoder,
  type FeatureLogitEffects,
  type Unembedding,
} from '../../src/engine/labels/logitEffects';
import { provisionalLabel, provisionalLabeler, provisionalLabelText } from '../../src/engine/labels/provisionalLabels';
import { loadCheckpoint, type Checkpoint } from '../../src/engine/model/checkpoint';
import { loadSae } from '../../src/engine/sae/loadSae';
import { writeSaeLensV6 } from '../fixtures/saeFixtures';
import { tempCheckpoint } from '../fixtures/tempCheckpoint';

const D_SAE = 24;
const K = 5;
let temp: { dir: string; cleanup: () => void };
let checkpoint: Checkpoint;
let decoder: Decoder;
let unembedding: Unembedding;

before(() => {
  temp = tempCheckpoint();
  checkpoint = loadCheckpoint(temp.dir);
  const d = checkpoint.config.dModel;
  const written = writeSaeLensV6(`${temp.dir}/sae`, { architecture: 'standard', hookName: 'blocks.1.hook_resid_pre', dIn: d, dSae: D_SAE, seed: 3 });
  decoder = decoderOf(loadSae(written.path));
  unembedding = unembeddingOf(checkpoint);
});
after(() => temp.cleanup());

/** The plain float64 computation: every token's effect, sorted, written out without the library's shortcuts. */
function reference(feature: number, throughLnF: boolean, centerUnembed: boolean): FeatureLogitEffects {
  const wte = checkpoint.weights.get('wte.weight')!.data;
  const gamma = checkpoint.weights.get('ln_f.weight')!.data;
  const { dModel: d, dVocab: V } = checkpoint.config;
  const u = Array.from(decoder.W_dec.subarray(feature * d, (feature + 1) * d), Number);
  const mean = throughLnF ? u.reduce((a, b) => a + b, 0) / d : 0;
  const effects: number[] = [];
  for (let v = 0; v < V; v++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += (u[j] - mean) * (throughLnF ? gamma[j] : 1) * wte[v * d + j];
    effects.push(sum);
  }
  const shift = centerUnembed ? effects.reduce((a, b) => a + b, 0) / V : 0;
  const all = effects.map((e, token) => ({ token, effect: e - shift }));
  const promoted = [...all].sort((a, b) => b.effect - a.effect || a.token - b.token).slice(0, K);
  const suppressed = [...all].sort((a, b) => a.effect - b.effect || a.token - b.token).slice(0, K);
  return { feature, promoted, suppressed };
}

function assertClose(actual: FeatureLogitEffects, expected: FeatureLogitEffects, tolerance = 1e-9): void {
  assert.equal(actual.feature, expected.feature);
  for (const side of ['promoted', 'suppressed'] as const) {
    assert.deepEqual(
      actual[side].map((t) => t.token),
      expected[side].map((t) => t.token),
      `${side} tokens of feature ${expected.feature}`,
    );
    actual[side].forEach((t, i) => assert.ok(Math.abs(t.effect - expected[side][i].effect) <= tolerance, `${side}[${i}] ${t.effect} vs ${expected[side][i].effect}`));
  }
}

describe('logit effects', () => {
  test('the unembedding of GPT-2 is wte (tied) with ln_f scale', () => {
    assert.equal(unembedding.W_U, checkpoint.weights.get('wte.weight')!.data);
    assert.equal(unembedding.lnScale, checkpoint.weights.get('ln_f.weight')!.data);
    assert.equal(unembedding.dVocab * unembedding.dModel, unembedding.W_U.length);
  });

  for (const [throughLnF, centerUnembed] of [
    [true, true],
    [false, false],
    [true, false],
  ] as const) {
    test(`one feature equals the float64 reference (throughLnF ${throughLnF}, centerUnembed ${centerUnembed})`, () => {
      for (const f of [0, 7, D_SAE - 1]) assertClose(featureLogitEffects(decoder, unembedding, f, { k: K, throughLnF, centerUnembed }), reference(f, throughLnF, centerUnembed));
    });
  }

  test('all features in blocks (uneven last block) equal the reference and the one-feature results', () => {
    const blocks = [...logitEffectBlocks(decoder, unembedding, { k: K, blockSize: 5 })];
    assert.deepEqual(
      blocks.map((b) => b.length),
      [5, 5, 5, 5, 4],
    );
    const all = blocks.flat();
    all.forEach((effects, f) => assertClose(effects, reference(f, true, true)));
    assert.deepEqual(allLogitEffects(decoder, unembedding, { k: K }), all);
    assert.deepEqual([...logitEffectBlocks(decoder, unembedding, { k: K, start: 10, end: 13, blockSize: 2 })].flat(), all.slice(10, 13));
  });

  test('out-of-range features and a decoder that does not write d_model are errors', () => {
    assert.throws(() => featureLogitEffects(decoder, unembedding, D_SAE), MechLensError);
    assert.throws(() => [...logitEffectBlocks(decoder, unembedding, { end: D_SAE + 1 })], MechLensError);
    const narrow: Decoder = { W_dec: new Float32Array(4 * 3), dSae: 4, dOut: 3, path: '/x/sae' };
    assert.throws(() => featureLogitEffects(narrow, unembedding, 0), (e: unknown) => e instanceof MechLensError && e.file === '/x/sae' && /d_model/.test(e.message));
  });
});

describe('logit effects through onnxruntime', () => {
  for (const [throughLnF, centerUnembed] of [
    [true, true],
    [false, false],
    [true, false],
  ] as const) {
    test(`every feature equals the JS path within 1e-4 (throughLnF ${throughLnF}, centerUnembed ${centerUnembed})`, async () => {
      const options = { k: K, throughLnF, centerUnembed };
      const js = allLogitEffects(decoder, unembedding, options);
      const onnx = await allLogitEffectsOnnx(decoder, unembedding, { ...options, blockSize: 7 });
      assert.equal(onnx.length, D_SAE);
      onnx.forEach((effects, f) => assertClose(effects, js[f], 1e-4));
    });
  }

  test('blocks: an uneven last block, a sub-range, the default block size, and stopping early', async () => {
    const sizes: number[] = [];
    for await (const block of logitEffectBlocksOnnx(decoder, unembedding, { k: K, blockSize: 10 })) sizes.push(block.length);
    assert.deepEqual(sizes, [10, 10, 4]);
    const range: FeatureLogitEffects[] = [];
    for await (const block of logitEffectBlocksOnnx(decoder, unembedding, { k: K, start: 5, end: 9, blockSize: 3 })) range.push(...block);
    assert.deepEqual(
      range.map((e) => e.feature),
      [5, 6, 7, 8],
    );
    range.forEach((e) => assertClose(e, reference(e.feature, true, true), 1e-4));
    assert.equal((await allLogitEffectsOnnx(decoder, unembedding, { k: K })).length, D_SAE);
    let seen = 0;
    for await (const block of logitEffectBlocksOnnx(decoder, unembedding, { k: K, blockSize: 2 })) {
      seen += block.length;
      break; // the generator's finally releases the session
    }
    assert.equal(seen, 2);
  });

  test('the kept runner for single features and lists of features (feature pages) equals the reference, and refuses bad features', async () => {
    const runner = new LogitEffectRunner(unembedding);
    try {
      for (const f of [0, 7, D_SAE - 1]) assertClose(await runner.effects(decoder, f, { k: K }), reference(f, true, true), 1e-4);
      await assert.rejects(runner.effects(decoder, D_SAE), /feature 24 is out of range/);
      await assert.rejects(runner.effects(decoder, -1), /feature -1 is out of range/);
      const several = await runner.effectsOf(decoder, [7, 0, D_SAE - 1, 7], { k: K });
      assert.deepEqual(several.map((e) => e.feature), [7, 0, D_SAE - 1, 7]);
      several.forEach((e) => assertClose(e, reference(e.feature, true, true), 1e-4));
      await assert.rejects(runner.effectsOf(decoder, [1, D_SAE]), /feature 24 is out of range/);
    } finally {
      await runner.dispose();
    }
  });

  test('bad ranges and a decoder that does not write d_model are errors', async () => {
    await assert.rejects(allLogitEffectsOnnx(decoder, unembedding, { start: 3, end: 2 }), MechLensError);
    await assert.rejects(allLogitEffectsOnnx(decoder, unembedding, { end: D_SAE + 1 }), /outside \[0, 24\)/);
    const narrow: Decoder = { W_dec: new Float32Array(4 * 3), dSae: 4, dOut: 3, path: '/x/sae' };
    await assert.rejects(allLogitEffectsOnnx(narrow, unembedding), (e: unknown) => e instanceof MechLensError && e.file === '/x/sae' && /d_model/.test(e.message));
  });
});

describe('provisional labels', () => {
  test('text from the top promoted tokens, JSON-quoted', () => {
    assert.equal(provisionalLabelText([' Mary', ' John', ' Anna', ' Paul']), '↑ " Mary", " John", " Anna"');
    assert.equal(provisionalLabelText(['\n', 'a"b'], 5), '↑ "\\n", "a\\"b"');
    assert.equal(provisionalLabelText([]), '↑ (none)');
  });

  test('from logit effects: marked provisional, lists the top positive tokens decoded', () => {
    const effects = featureLogitEffects(decoder, unembedding, 2, { k: K });
    const label = provisionalLabel(effects, (id) => checkpoint.tokenizer.decode([id]));
    assert.equal(label.provisional, true);
    assert.equal(label.source, 'top-promoted-tokens');
    assert.equal(label.feature, 2);
    assert.deepEqual(
      label.tokens,
      effects.promoted.slice(0, 3).map((t) => t.token),
    );
    assert.equal(label.text, `↑ ${label.tokens.map((id) => JSON.stringify(checkpoint.tokenizer.decode([id]))).join(', ')}`);
    const fake: FeatureLogitEffects = { feature: 9, promoted: [{ token: 1, effect: 2 }, { token: 2, effect: 0 }], suppressed: [] };
    assert.deepEqual(provisionalLabel(fake, (id) => ` t${id}`), { feature: 9, text: '↑ " t1"', provisional: true, source: 'top-promoted-tokens', tokens: [1] });
  });

  test('provisionalLabeler gives the text of provisionalLabel for each feature', () => {
    const decode = (id: number) => checkpoint.tokenizer.decode([id]);
    const label = provisionalLabeler(decoder, unembedding, decode);
    for (const f of [0, 11, D_SAE - 1]) assert.equal(label(f), provisionalLabel(featureLogitEffects(decoder, unembedding, f, { k: 3 }), decode).text);
    assert.throws(() => label(D_SAE), MechLensError);
  });
});
