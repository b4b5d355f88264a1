import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MechLensError } from '../errors';
import type { HookedModel } from '../hookedModel';
import { loadSae, saeMatchesModel } from '../sae/loadSae';
import type { LoadedSae } from '../sae/sae';
import { evaluateSae, type EvaluateOptions, type SaeReport } from '../sae/saeMetrics';
import { SaeRunner } from '../sae/saeRunner';
import { logSumExp, row } from './topK';

/**
 * The embedded default model's behaviour, measured by the engine on the evaluation sets shipped
 * beside it (media/default/eval): the figures its model card reports, checked independently of
 * the training code.
 */

interface IoiCase {
  prompt_ids: number[];
  answer_id: number;
  wrong_id: number;
}

interface InductionCase {
  tokens: number[];
  /** Inclusive range of positions whose logits predict the second copy. */
  scored_logit_positions: [number, number];
}

function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) throw new MechLensError(`${path}: missing`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Runs sequences batched by equal length; calls back with each sequence's logits [pos, vocab]. */
async function forEachLogits(model: HookedModel, sequences: number[][], use: (index: number, logits: Float32Array) => void): Promise<void> {
  const byLength = new Map<number, number[]>();
  sequences.forEach((s, i) => byLength.set(s.length, [...(byLength.get(s.length) ?? []), i]));
  for (const indices of byLength.values()) {
    for (let start = 0; start < indices.length; start += 16) {
      const batch = indices.slice(start, start + 16);
      const logits = await model.run({ ids: batch.map((i) => sequences[i]) });
      const size = sequences[batch[0]].length * model.config.dVocab;
      batch.forEach((i, b) => use(i, logits.data.subarray(b * size, (b + 1) * size)));
    }
  }
}

export interface IoiResult {
  prompts: number;
  fractionPositive: number;
  meanLogitDiff: number;
}

/** Logit difference (indirect object − subject) at the last position of each held-out IOI prompt. */
export async function measureIoi(model: HookedModel, evalDir: string): Promise<IoiResult> {
  const cases = readJsonLines<IoiCase>(join(evalDir, 'ioi_heldout.jsonl'));
  const diffs: number[] = [];
  await forEachLogits(model, cases.map((c) => c.prompt_ids), (i, logits) => {
    const last = row(logits, model.config.dVocab, cases[i].prompt_ids.length - 1);
    diffs[i] = last[cases[i].answer_id] - last[cases[i].wrong_id];
  });
  return { prompts: cases.length, fractionPositive: diffs.filter((d) => d > 0).length / diffs.length, meanLogitDiff: diffs.reduce((a, b) => a + b, 0) / diffs.length };
}

export interface InductionResult {
  sequences: number;
  predictions: number;
  top1Accuracy: number;
}

/** Top-1 accuracy on the second copy of repeated random token spans. */
export async function measureInduction(model: HookedModel, evalDir: string): Promise<InductionResult> {
  const cases = readJsonLines<InductionCase>(join(evalDir, 'induction_heldout.jsonl'));
  let correct = 0;
  let total = 0;
  await forEachLogits(model, cases.map((c) => c.tokens), (i, logits) => {
    const [from, to] = cases[i].scored_logit_positions;
    for (let p = from; p <= to; p++) {
      const r = row(logits, model.config.dVocab, p);
      let best = 0;
      for (let v = 1; v < r.length; v++) if (r[v] > r[best]) best = v;
      correct += best === cases[i].tokens[p + 1] ? 1 : 0;
      total++;
    }
  });
  return { sequences: cases.length, predictions: total, top1Accuracy: correct / total };
}

export interface ReferenceAgreement {
  prompts: number;
  tokenizationMatches: boolean;
  maxAbsLogitError: number;
}

/** Compares the engine's logits with the training code's float32 forward (reference_logits.json). */
export async function compareReferenceLogits(model: HookedModel, path: string): Promise<ReferenceAgreement> {
  const reference = JSON.parse(readFileSync(path, 'utf8')) as { prompts: { text: string; ids: number[]; final_logits: number[]; all_logits?: number[][] }[] };
  let maxAbsLogitError = 0;
  let tokenizationMatches = true;
  for (const prompt of reference.prompts) {
    const ids = model.toTokens(prompt.text).ids[0];
    tokenizationMatches &&= ids.length === prompt.ids.length && ids.every((id, i) => id === prompt.ids[i]);
    const logits = (await model.run({ ids: [prompt.ids] })).data;
    const vocab = model.config.dVocab;
    const rows = prompt.all_logits ?? [];
    const compare = (position: number, expected: number[]) => {
      const actual = row(logits, vocab, position);
      for (let v = 0; v < vocab; v++) maxAbsLogitError = Math.max(maxAbsLogitError, Math.abs(actual[v] - expected[v]));
    };
    compare(prompt.ids.length - 1, prompt.final_logits);
    rows.forEach((expected, position) => compare(position, expected));
  }
  return { prompts: reference.prompts.length, tokenizationMatches, maxAbsLogitError };
}

/** Mean next-token cross-entropy (nats) over windows of a text file. */
export async function measureTextLoss(model: HookedModel, textPath: string, contextSize: number): Promise<{ tokens: number; loss: number }> {
  const ids = model.tokenizer.encode(readFileSync(textPath, 'utf8')).map((t) => t.id);
  const windows: number[][] = [];
  for (let start = 0; start + 1 < ids.length; start += contextSize - 1) windows.push([model.bosTokenId, ...ids.slice(start, start + contextSize - 1)]);
  let loss = 0;
  let tokens = 0;
  await forEachLogits(model, windows, (i, logits) => {
    for (let p = 0; p + 1 < windows[i].length; p++) {
      const r = row(logits, model.config.dVocab, p);
      loss += logSumExp(r) - r[windows[i][p + 1]];
      tokens++;
    }
  });
  return { tokens, loss: loss / tokens };
}

/** Every SAE in a folder of SAE folders, each checked against the model and evaluated on a text. */
export async function evaluateSaeFolder(model: HookedModel, saesDir: string, textPath: string, options: EvaluateOptions = {}): Promise<SaeReport[]> {
  const reports: SaeReport[] = [];
  const text = [{ source: textPath, text: readFileSync(textPath, 'utf8') }];
  for (const name of readdirSync(saesDir).sort()) {
    const sae: LoadedSae = loadSae(join(saesDir, name));
    saeMatchesModel(sae, model);
    const runner = SaeRunner.create(sae, { threads: 1 });
    try {
      reports.push(await evaluateSae(model, sae, runner, text, options));
    } finally {
      await runner.dispose();
    }
  }
  return reports;
}
