import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareReferenceLogits, measureInduction, measureIoi } from '../../src/engine/analysis/defaultModelChecks';
import { textWindows } from '../../src/engine/analysis/textWindows';
import { HookedModel } from '../../src/engine/hookedModel';
import { WeightFiles } from '../../src/engine/model/weightFiles';
import { loadSae, saeMatchesModel } from '../../src/engine/sae/loadSae';
import type { LoadedSae } from '../../src/engine/sae/sae';
import { evaluateSae } from '../../src/engine/sae/saeMetrics';
import { saeInput } from '../../src/engine/sae/saeOnModel';
import { SaeRunner } from '../../src/engine/sae/saeRunner';

/**
 * The embedded default (media/default), loaded and measured through the engine against the
 * targets of its issue. Every figure is computed here from the shipped files; nothing is read
 * from metrics.json or engine_metrics.json.
 */
const ROOT = join(__dirname, '..', '..', 'media', 'default');
const EVAL = join(ROOT, 'eval');
const SAE_TEXT = join(EVAL, 'sae_heldout.txt');

const MAX_PARAMETERS = 6_000_000;
const MAX_BYTES = 40 * 1024 * 1024;
/**
 * SAE reconstruction and CE figures are taken on the first windows of eval/sae_heldout.txt to
 * keep the run short (the file interleaves its kinds of text chunk by chunk, so any prefix is a
 * representative, deterministic sample). The dead fraction needs many tokens to be meaningful, so
 * it is counted on every window of the file (encoder only, no spliced runs).
 */
const SAE_METRIC_WINDOWS = 64;

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

describe('embedded default model (media/default) through the engine', () => {
  let model: HookedModel;
  const saes: LoadedSae[] = [];

  before(async () => {
    model = await HookedModel.load(join(ROOT, 'model'));
    for (const name of readdirSync(join(ROOT, 'saes')).sort()) saes.push(loadSae(join(ROOT, 'saes', name)));
  });
  after(async () => {
    await model?.dispose();
  });

  test('is a GPT-2 checkpoint of at most 6M parameters with context 128, and the folder is at most 40 MB', () => {
    assert.equal(model.config.modelType, 'gpt2');
    assert.equal(model.config.nCtx, 128);
    assert.ok(model.config.dVocab <= 4096, `vocabulary ${model.config.dVocab}`);
    const files = WeightFiles.open(join(ROOT, 'model'));
    let parameters = 0;
    try {
      for (const name of files.names()) parameters += files.info(name)!.shape.reduce((a, b) => a * b, 1);
    } finally {
      files.close();
    }
    assert.ok(parameters > 1_000_000 && parameters <= MAX_PARAMETERS, `${parameters} parameters`);
    const bytes = folderBytes(ROOT);
    assert.ok(bytes <= MAX_BYTES, `media/default holds ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  });

  test('engine logits match the training code forward (reference_logits.json) within 1e-3, on the same token ids', async () => {
    const result = await compareReferenceLogits(model, join(ROOT, 'reference_logits.json'));
    assert.ok(result.prompts >= 5);
    assert.equal(result.tokenizationMatches, true, "the engine's tokenization differs from the stored ids");
    assert.ok(result.maxAbsLogitError < 1e-3, `max abs logit error ${result.maxAbsLogitError}`);
  });

  test('the held-out IOI prompts are what the card describes: BOS, the prompt, answer and subject as single name tokens', () => {
    const lines = readFileSync(join(EVAL, 'ioi_heldout.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 100);
    for (const line of lines.slice(0, 20)) {
      const c = JSON.parse(line) as { prompt: string; prompt_ids: number[]; answer: string; wrong: string; answer_id: number; wrong_id: number };
      assert.deepEqual(model.toTokens(c.prompt).ids[0], c.prompt_ids);
      assert.deepEqual(model.tokenizer.encode(c.answer).map((t) => t.id), [c.answer_id]);
      assert.deepEqual(model.tokenizer.encode(c.wrong).map((t) => t.id), [c.wrong_id]);
      assert.ok(c.prompt.endsWith(' to'));
    }
  });

  test('IOI with held-out names and templates: logit(IO) − logit(S) > 0 on at least 90% of prompts', async () => {
    const ioi = await measureIoi(model, EVAL);
    assert.ok(ioi.prompts >= 100);
    assert.ok(ioi.fractionPositive >= 0.9, `logit diff > 0 on ${(100 * ioi.fractionPositive).toFixed(1)}% (mean ${ioi.meanLogitDiff.toFixed(2)})`);
  });

  test('induction: top-1 accuracy at least 90% on the second copy of repeated random spans', async () => {
    const induction = await measureInduction(model, EVAL);
    assert.ok(induction.sequences >= 50 && induction.predictions >= 500);
    assert.ok(induction.top1Accuracy >= 0.9, `top-1 ${induction.top1Accuracy}`);
  });

  test('one SAE per layer on the residual stream: width ≥ 8 × d_model, CE loss recovered ≥ 0.8, dead fraction < 10%', async (t) => {
    const dModel = model.config.dModel;
    assert.deepEqual(
      saes.map((s) => s.config.hookName),
      Array.from({ length: model.config.nLayers }, (_, l) => `blocks.${l}.hook_resid_post`),
    );
    const texts = [{ source: SAE_TEXT, text: readFileSync(SAE_TEXT, 'utf8') }];
    const windows = textWindows(model, texts, model.config.nCtx).filter((w) => w.ids.length === model.config.nCtx);
    assert.ok(windows.length >= 256, `${windows.length} windows`);
    for (const sae of saes) {
      saeMatchesModel(sae, model);
      assert.ok(sae.config.dSae >= 8 * dModel, `${sae.config.hookName}: width ${sae.config.dSae}`);
    }
    // Firing counts over every window: one cached run per batch, every SAE's encoder on it.
    const firing = saes.map((s) => new Uint32Array(s.config.dSae));
    const runners = saes.map((s) => SaeRunner.create(s, { threads: 1 }));
    try {
      for (let start = 0; start < windows.length; start += 16) {
        const ids = windows.slice(start, start + 16).map((w) => w.ids);
        const { cache } = await model.runWithCache({ ids }, saes.map((s) => s.config.hookName));
        for (const [i, sae] of saes.entries()) {
          const { features } = await runners[i].encode(saeInput(sae.config, cache.get(sae.config.hookName)!), { features: true });
          const d = sae.config.dSae;
          for (let token = 0; token < features!.length / d; token++) {
            if (token % model.config.nCtx === 0) continue; // BOS, excluded as in evaluateSae
            for (let j = 0; j < d; j++) if (features![token * d + j] !== 0) firing[i][j]++;
          }
        }
      }
      for (const [i, sae] of saes.entries()) {
        const report = await evaluateSae(model, sae, runners[i], texts, { contextSize: model.config.nCtx, maxWindows: SAE_METRIC_WINDOWS });
        const dead = firing[i].filter((c) => c === 0).length / sae.config.dSae;
        const fve = report.fractionOfVarianceExplained;
        t.diagnostic(
          `${sae.config.hookName}: L0 ${report.l0.toFixed(1)}, FVE (textbook) ${fve.toFixed(3)}, CE recovered ${report.crossEntropy.lossRecovered.toFixed(3)} ` +
            `(${report.tokens} tokens), dead ${(100 * dead).toFixed(1)}% (${windows.length * (model.config.nCtx - 1)} tokens)`,
        );
        assert.ok(Number.isFinite(fve) && fve > 0 && fve <= 1, `${sae.config.hookName}: FVE ${fve}`);
        assert.ok(report.l0 > 0 && report.l0 <= sae.config.dSae);
        assert.ok(report.crossEntropy.lossRecovered >= 0.8, `${sae.config.hookName}: CE loss recovered ${report.crossEntropy.lossRecovered}`);
        assert.ok(dead < 0.1, `${sae.config.hookName}: dead fraction ${dead}`);
      }
    } finally {
      await Promise.all(runners.map((r) => r.dispose()));
    }
  });
});
