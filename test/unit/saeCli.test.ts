/**
 * Tests for the SAE commands of the mechlens CLI (`features`, `sae-eval`; src/cli/saeCommands.ts),
 * in-process through main(argv, print, printError).
 * Run: node --import tsx --test test/unit/saeCli.test.ts
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadSae } from '../../src/engine/sae/loadSae';
import type { LoadedSae } from '../../src/engine/sae/sae';
import { evaluateSae, type SaeReport } from '../../src/engine/sae/saeMetrics';
import { saeInput, topFeaturesPerToken } from '../../src/engine/sae/saeOnModel';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { writeSaeLensV6 } from '../fixtures/saeFixtures';
import { assertUserFailure, assertUsageFailure as usageFailure, cli, type Outcome } from '../fixtures/cliOutcome';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';

const assertUsageFailure = (outcome: Outcome, fragment: string) => usageFailure(outcome, fragment, 'mechlens features --model DIR --sae PATH');
import { referenceEncode } from '../reference/saeReference';

function assertSuccess(outcome: Outcome): string {
  assert.equal(outcome.code, 0, `exit code; stderr: ${outcome.err.join('|')}`);
  assert.deepEqual(outcome.err, []);
  return outcome.out.join('\n');
}


interface FeaturesJson {
  sae: { path: string; hookName: string; dSae: number };
  tokens: { token: { id: number; text: string; span: [number, number] }; features: { index: number; activation: number; label?: string }[] }[];
}

function parseFeatures(outcome: Outcome): FeaturesJson {
  const text = assertSuccess(outcome);
  assert.equal(outcome.out.length, 1, 'one JSON document');
  return JSON.parse(text) as FeaturesJson;
}

const PROMPT = 'When Mary and John went to the store';
const TEXT_A = 'When Mary and John went to the store, John gave a drink to Mary and the cat sat.';
const TEXT_B = 'Hello world, the cat sat.';
const HOOK = 'blocks.1.hook_resid_pre';
const D_SAE = 48;

const cleanups: (() => void)[] = [];
let modelDir: string;
let saeDir: string;
let files: string;
let model: HookedModel;
let sae: LoadedSae;
let runner: SaeRunner;

before(async () => {
  const checkpoint = tempCheckpoint({ seed: 7 });
  cleanups.push(checkpoint.cleanup);
  modelDir = checkpoint.dir;
  const temp = tempDir('mechlens-sae-cli-');
  cleanups.push(temp.cleanup);
  files = temp.dir;
  saeDir = writeSaeLensV6(join(files, 'sae'), { architecture: 'standard', hookName: HOOK, dIn: 16, dSae: D_SAE, seed: 21, inputScale: 1.4 }).path;
  writeFileSync(join(files, 'a.txt'), TEXT_A);
  writeFileSync(join(files, 'b.txt'), TEXT_B);
  model = await HookedModel.load(modelDir, { threads: 1 });
  sae = loadSae(saeDir);
  runner = SaeRunner.create(sae, { threads: 1 });
});
after(async () => {
  await runner?.dispose();
  await model?.dispose();
  cleanups.forEach((cleanup) => cleanup());
});

/** Each token's k largest positive activations of the float64 reference, best first. */
async function referenceTop(prompt: string, k: number): Promise<{ index: number; activation: number }[][]> {
  const run = await model.runWithCache(prompt, [HOOK]);
  const z = referenceEncode(sae, Float64Array.from(saeInput(sae.config, run.cache.get(HOOK)!)));
  const rows: { index: number; activation: number }[][] = [];
  for (let t = 0; t < z.length / D_SAE; t++) {
    const row = Array.from(z.subarray(t * D_SAE, (t + 1) * D_SAE), (activation, index) => ({ index, activation }));
    rows.push(row.filter((f) => f.activation > 0).sort((a, b) => b.activation - a.activation).slice(0, k));
  }
  return rows;
}

/** An SAE folder in `files` holding a copy of the test SAE and the given labels.json text. */
function labelledSae(name: string, labels: string): string {
  const dir = join(files, name);
  cpSync(saeDir, dir, { recursive: true });
  writeFileSync(join(dir, 'labels.json'), labels);
  return dir;
}

describe('mechlens features', () => {
  test('--json: per-token features equal topFeaturesPerToken, at most --top-k, positive, best first, as the float64 reference', async () => {
    const k = 3;
    const json = parseFeatures(await cli('features', '--model', modelDir, '--sae', saeDir, '--threads', '1', '--top-k', String(k), '--json', PROMPT));
    assert.deepEqual(json.sae, { path: saeDir, hookName: HOOK, dSae: D_SAE });
    const engine = await topFeaturesPerToken(model, runner, PROMPT, k);
    assert.deepEqual(json.tokens, engine, 'the JSON is topFeaturesPerToken as it is (no labels without labels.json)');
    assert.deepEqual(
      json.tokens.map((t) => t.token),
      model.toTokens(PROMPT).tokens[0],
      'every token, BOS first',
    );
    const reference = await referenceTop(PROMPT, k);
    assert.equal(json.tokens.length, reference.length);
    json.tokens.forEach(({ features }, t) => {
      assert.ok(features.length <= k, `token ${t}: ${features.length} features`);
      features.forEach((f, j) => {
        assert.ok(f.activation > 0, `token ${t}: only positive activations (${f.activation})`);
        if (j > 0) assert.ok(f.activation <= features[j - 1].activation, `token ${t}: best first`);
      });
      assert.deepEqual(features.map((f) => f.index), reference[t].map((f) => f.index), `token ${t}: the reference's top ${k}`);
      features.forEach((f, j) => assert.ok(Math.abs(f.activation - reference[t][j].activation) <= 1e-5 * Math.max(1, reference[t][j].activation), `token ${t} feature ${f.index}`));
    });
    assert.ok(json.tokens.some((t) => t.features.length === k), `some token has ${k} active features, so the cap is tested`);
  });

  test('--top-k defaults to 5 and may exceed the active count; a larger k keeps the smaller one as its prefix', async () => {
    const five = parseFeatures(await cli('features', '--model', modelDir, '--sae', saeDir, '--threads', '1', '--json', PROMPT));
    const all = parseFeatures(await cli('features', '--model', modelDir, '--sae', saeDir, '--threads', '1', '--json', '--top-k', String(D_SAE), PROMPT));
    const reference = await referenceTop(PROMPT, D_SAE);
    five.tokens.forEach(({ features }, t) => {
      assert.equal(features.length, Math.min(5, reference[t].length), `token ${t}`);
      assert.deepEqual(features, all.tokens[t].features.slice(0, 5), `token ${t}`);
      assert.deepEqual(all.tokens[t].features.map((f) => f.index), reference[t].map((f) => f.index), `token ${t}: every active feature`);
    });
    assert.ok(all.tokens.some((t) => t.features.length > 5 && t.features.length < D_SAE), 'some token has more than 5 active features, not all');
  });

  test('the table: one row per token with index:activation of its top features', async () => {
    const k = 3;
    const text = assertSuccess(await cli('features', '--model', modelDir, '--sae', saeDir, '--threads', '1', '--top-k', String(k), PROMPT));
    const lines = text.split('\n');
    assert.ok(lines[0].startsWith(`${HOOK}: ${D_SAE} features (standard)`), lines[0]);
    const header = lines.findIndex((line) => /^\s*pos\s+token\s+top 3 features/.test(line));
    assert.ok(header >= 0, text);
    assert.match(lines[header + 1], /^\s*-+\s+-+\s+-+$/);
    const rows = lines.slice(header + 2);
    const engine = await topFeaturesPerToken(model, runner, PROMPT, k);
    assert.equal(rows.length, engine.length, text);
    rows.forEach((row, t) => {
      const { token, features } = engine[t];
      assert.ok(row.trim().startsWith(`${t}  `), row);
      assert.ok(row.includes(JSON.stringify(token.text)), `token text in ${row}`);
      const cell = features.map((f) => `${f.index}:${f.activation.toFixed(2)}`).join('  ') || '(none)';
      assert.ok(row.endsWith(cell), `${JSON.stringify(row)} should end with ${JSON.stringify(cell)}`);
    });
  });

  test('labels.json beside the SAE: its labels appear on those features, in JSON and in the table', async () => {
    const engine = await topFeaturesPerToken(model, runner, PROMPT, 3);
    const shown = engine.flatMap((t) => t.features.map((f) => f.index));
    const labelled = shown[0];
    const unlabelled = shown.find((index) => index !== labelled);
    assert.ok(unlabelled !== undefined, 'test bug: the prompt needs two distinct features');
    const dir = labelledSae('labelled', JSON.stringify({ [labelled]: 'a label', [D_SAE + 5]: 'never shown' }));
    const json = parseFeatures(await cli('features', '--model', modelDir, '--sae', dir, '--threads', '1', '--top-k', '3', '--json', PROMPT));
    let seen = 0;
    json.tokens.forEach(({ features }, t) => {
      assert.deepEqual(features.map(({ index, activation }) => ({ index, activation })), engine[t].features, `token ${t}`);
      for (const f of features) {
        if (f.index === labelled) {
          assert.equal(f.label, 'a label');
          seen++;
        } else {
          assert.equal('label' in f, false, `feature ${f.index} has no label`);
        }
      }
    });
    assert.ok(seen > 0);
    const text = assertSuccess(await cli('features', '--model', modelDir, '--sae', dir, '--threads', '1', '--top-k', '3', PROMPT));
    const labelledCells = text.match(new RegExp(`\\b${labelled}:\\d+\\.\\d\\d "a label"`, 'g')) ?? [];
    assert.equal(labelledCells.length, seen, text);
    assert.ok(!text.includes('never shown'));
  });

  test('a malformed labels.json: exit 1 naming labels.json', async () => {
    const cases: [string, string, string[]][] = [
      ['bad-json', '{"3": "a label",', ['malformed JSON']],
      ['bad-array', '["a", "b"]', ['object']],
      ['bad-key', '{"three": "a label"}', ['"three"', 'not a feature index']],
      ['bad-label', '{"3": 5}', ['feature 3', 'not a string']],
    ];
    for (const [name, labels, fragments] of cases) {
      const dir = labelledSae(name, labels);
      assertUserFailure(await cli('features', '--model', modelDir, '--sae', dir, '--threads', '1', PROMPT), [join(dir, 'labels.json'), ...fragments]);
    }
  });
});

/** The fields of a SaeReport, and every number in it (path → value). */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null) return [[path, NaN]];
  if (typeof value === 'object') return Object.entries(value as object).flatMap(([key, v]) => numbersIn(v, `${path}.${key}`));
  return [];
}

describe('mechlens sae-eval', () => {
  const a = () => join(files, 'a.txt');
  const b = () => join(files, 'b.txt');

  test('--json: the SaeReport of evaluateSae, finite numbers, over both files', async () => {
    const outcome = await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), b(), '--json', '--context', '12', '--threads', '1');
    assertSuccess(outcome);
    assert.equal(outcome.out.length, 1, 'one JSON document');
    const report = JSON.parse(outcome.out[0]) as SaeReport;
    const keys = ['sae', 'texts', 'windows', 'contextSize', 'tokens', 'l0', 'l1', 'mse', 'fractionOfVarianceExplained', 'cosineSimilarity', 'relativeNorm', 'shrinkage', 'crossEntropy', 'kl', 'density', 'effectiveFeatures'];
    assert.deepEqual(Object.keys(report).sort(), [...keys].sort());
    assert.deepEqual(Object.keys(report.crossEntropy).sort(), ['clean', 'deltaLoss', 'lossRecovered', 'withSae', 'zeroAblation']);
    assert.deepEqual(Object.keys(report.kl).sort(), ['score', 'withSae', 'zeroAblation']);
    assert.deepEqual(Object.keys(report.effectiveFeatures).sort(), ['aliveFeatures', 'count', 'entropy', 'perNeuron']);
    const numbers = numbersIn(report);
    assert.ok(numbers.length > 30);
    assert.deepEqual(numbers.filter(([, v]) => !Number.isFinite(v)).map(([path]) => path), [], 'every number finite (JSON null is NaN or ∞)');
    assert.equal(report.texts, 2);
    assert.equal(report.contextSize, 12);
    assert.equal(report.sae.hookName, HOOK);
    assert.equal(report.sae.path, saeDir);
    const textTokens = model.tokenizer.encode(TEXT_A).length + model.tokenizer.encode(TEXT_B).length;
    assert.equal(report.tokens, textTokens);
    assert.equal(report.windows, Math.ceil(model.tokenizer.encode(TEXT_A).length / 11) + Math.ceil(model.tokenizer.encode(TEXT_B).length / 11));
    const direct = await evaluateSae(model, sae, runner, [{ source: a(), text: TEXT_A }, { source: b(), text: TEXT_B }], { contextSize: 12 });
    assert.deepEqual(report, JSON.parse(JSON.stringify(direct)));
  });

  test('--max-windows and the default context', async () => {
    const first = JSON.parse(assertSuccess(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), '--json', '--context', '12', '--max-windows', '1', '--threads', '1'))) as SaeReport;
    assert.equal(first.windows, 1);
    assert.equal(first.tokens, 11);
    const whole = JSON.parse(assertSuccess(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), '--json', '--threads', '1'))) as SaeReport;
    assert.equal(whole.contextSize, model.config.nCtx, 'the default is min(128, n_ctx)');
    assert.equal(whole.windows, Math.ceil(model.tokenizer.encode(TEXT_A).length / (model.config.nCtx - 1)));
  });

  test('human output: the report card with FVE and CE loss recovered', async () => {
    const text = assertSuccess(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), b(), '--context', '12', '--threads', '1'));
    const report = await evaluateSae(model, sae, runner, [{ source: a(), text: TEXT_A }, { source: b(), text: TEXT_B }], { contextSize: 12 });
    const row = (label: string) => {
      const line = text.split('\n').find((l) => l.trim().startsWith(label));
      assert.ok(line, `a row starting ${JSON.stringify(label)} in\n${text}`);
      return line;
    };
    assert.ok(row('FVE').includes(report.fractionOfVarianceExplained.toFixed(4)), row('FVE'));
    assert.ok(row('CE loss recovered').includes(`${(100 * report.crossEntropy.lossRecovered).toFixed(2)}%`), row('CE loss recovered'));
    assert.ok(row('L0').includes(report.l0.toFixed(2)), row('L0'));
    assert.ok(row('KL score').includes(`${(100 * report.kl.score).toFixed(2)}%`), row('KL score'));
    assert.ok(row('text').includes(`${report.windows} windows`) && row('text').includes(`${report.tokens} tokens`), row('text'));
    assert.ok(text.includes(saeDir) && text.includes(HOOK));
    assert.ok(text.includes('feature density histogram'), text);
  });

  test('missing, unreadable and empty text files: exit 1 naming the file', async () => {
    const missing = join(files, 'no-such.txt');
    assertUserFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), missing), [missing, 'ENOENT']);
    const folder = join(files, 'a-folder.txt');
    mkdirSync(folder, { recursive: true });
    assertUserFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, folder), [folder, 'not a file']);
    const empty = join(files, 'empty.txt');
    const blank = join(files, 'blank.txt');
    writeFileSync(empty, '');
    writeFileSync(blank, ' \n\t\n  ');
    assertUserFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, empty, blank), ['text set is empty']);
  });

  test('a context outside 2…n_ctx: exit 1 naming the range', async () => {
    for (const context of ['1', '33']) {
      assertUserFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, a(), '--context', context), ['context size', '2', String(model.config.nCtx), `got ${context}`]);
    }
  });
});

describe('SAE errors in both commands', () => {
  const both = () => [
    ['features', PROMPT],
    ['sae-eval', join(files, 'a.txt')],
  ];

  test('an SAE hook the model does not have: exit 1 naming cfg.json and the hook', async () => {
    const dir = writeSaeLensV6(join(files, 'sae-layer9'), { architecture: 'standard', hookName: 'blocks.9.hook_resid_pre', dIn: 16, dSae: D_SAE, seed: 22 }).path;
    for (const [command, arg] of both()) {
      assertUserFailure(await cli(command, '--model', modelDir, '--sae', dir, arg), [join(dir, 'cfg.json'), 'blocks.9.hook_resid_pre', 'does not have']);
    }
  });

  test('an SAE width that does not match the model: exit 1 naming cfg.json, d_in and the width', async () => {
    const dir = writeSaeLensV6(join(files, 'sae-wide'), { architecture: 'standard', hookName: HOOK, dIn: 24, dSae: D_SAE, seed: 23 }).path;
    for (const [command, arg] of both()) {
      assertUserFailure(await cli(command, '--model', modelDir, '--sae', dir, arg), [join(dir, 'cfg.json'), HOOK, 'd_in 24', 'width 16']);
    }
  });

  test('a missing SAE folder: exit 1 naming it', async () => {
    const missing = join(files, 'no-such-sae');
    for (const [command, arg] of both()) {
      assertUserFailure(await cli(command, '--model', modelDir, '--sae', missing, arg), [missing, 'not found']);
    }
  });

  test('a folder that is not an SAE: exit 1 naming cfg.json', async () => {
    const folder = join(files, 'not-an-sae');
    mkdirSync(folder, { recursive: true });
    for (const [command, arg] of both()) {
      assertUserFailure(await cli(command, '--model', modelDir, '--sae', folder, arg), [join(folder, 'cfg.json'), 'missing']);
    }
  });

  test('usage errors: exit 2 with the usage', async () => {
    assertUsageFailure(await cli('features', '--model', modelDir, PROMPT), '--sae PATH');
    assertUsageFailure(await cli('features', '--sae', saeDir, PROMPT), '--model DIR');
    assertUsageFailure(await cli('features', '--model', modelDir, '--sae', saeDir), 'exactly one prompt');
    assertUsageFailure(await cli('features', '--model', modelDir, '--sae', saeDir, 'one', 'two'), 'exactly one prompt');
    assertUsageFailure(await cli('features', '--model', modelDir, '--sae', saeDir, '--top-k', 'many', PROMPT), '--top-k must be an integer');
    assertUsageFailure(await cli('sae-eval', '--model', modelDir, join(files, 'a.txt')), '--sae PATH');
    assertUsageFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir), 'at least one text file');
    assertUsageFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, '--context', 'wide', join(files, 'a.txt')), '--context must be an integer');
    assertUsageFailure(await cli('sae-eval', '--model', modelDir, '--sae', saeDir, '--bogus', join(files, 'a.txt')), '--bogus');
  });

  test('--top-k 0: exit 1', async () => {
    assertUserFailure(await cli('features', '--model', modelDir, '--sae', saeDir, '--top-k', '0', PROMPT), ['--top-k', 'got 0']);
  });
});
