import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { row, topK } from '../engine/analysis/topK';
import { HookedModel } from '../engine/hookedModel';
import { loadSae, saeMatchesModel } from '../engine/sae/loadSae';
import { FeatureLabels, labelLine } from '../engine/labels/featureLabels';
import { saeLabelKey } from '../engine/labels/labelStore';
import { topFeaturesPerToken } from '../engine/sae/saeOnModel';
import { runSweep } from '../engine/patching/patching';
import { SaeRunner } from '../engine/sae/saeRunner';
import { GPT2_PRESETS, writeRandomGpt2 } from '../engine/synthetic/randomGpt2';
import { caseKind, parsePromptFile, type PromptCase } from '../promptFile/promptFile';
import { describeModel, formatToken, table } from './format';
import { printResult } from './patchCommand';

const FALLBACK_CASE: PromptCase = {
  name: 'ioi-store',
  line: 0,
  endLine: 0,
  fieldLines: {},
  valueStarts: {},
  clean: 'When Mary and John went to the store, John gave a drink to',
  corrupted: 'When Mary and John went to the store, Mary gave a drink to',
  answer: ' Mary',
  wrong: ' John',
};

/** The first complete IOI case of samples/ioi.prompts (what a user opens first), else a classic one. */
function demoCase(): PromptCase {
  const path = join(packageRoot(), 'samples', 'ioi.prompts');
  if (!existsSync(path)) return FALLBACK_CASE;
  return parsePromptFile(readFileSync(path, 'utf8')).cases.find((c) => caseKind(c).patching) ?? FALLBACK_CASE;
}

/** The folder of this package (the one whose package.json is named mechlens), from the sources or the bundle. */
export function packageRoot(): string {
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'mechlens') return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the mechlens package folder');
}

/** The SAE folders in the `saes/` folder beside a model folder (as the embedded default ships them), sorted; none when there is no such folder. */
export function saeDirsBeside(modelDir: string): string[] {
  const saesDir = join(dirname(modelDir), 'saes');
  return existsSync(saesDir) ? readdirSync(saesDir).sort().map((name) => join(saesDir, name)) : [];
}

export function embeddedModelDir(): string {
  return join(packageRoot(), 'media', 'default', 'model');
}

/**
 * `mechlens demo`: loads the embedded default model, shows the predictions for the first IOI
 * sample, runs two activation-patching sweeps on it (residual stream by layer and position, and
 * every head), and lists the embedded SAEs' top features: the main job of MechLens, end to end,
 * in a few seconds.
 */
export async function demoCommand(options: { model?: string; threads?: number }, print: (line: string) => void): Promise<void> {
  let dir = options.model ?? embeddedModelDir();
  let random = false;
  if (!options.model && !existsSync(join(dir, 'config.json'))) {
    dir = join(tmpdir(), 'mechlens-demo-random-gpt2');
    if (!existsSync(join(dir, 'config.json'))) writeRandomGpt2(dir, { shape: GPT2_PRESETS.small, seed: 1 });
    random = true;
  }
  const started = performance.now();
  const model = await HookedModel.load(dir, { threads: options.threads });
  try {
    const m = describeModel(model);
    print(`MechLens demo: ${m.modelType}, ${m.nLayers} layers, d_model ${m.dModel}, vocab ${m.dVocab}, from ${dir} (loaded in ${(performance.now() - started).toFixed(0)} ms)`);
    if (random) print('(no trained default model is installed yet: this is a random GPT-2, so the numbers show the machinery, not a circuit)');

    const promptCase = demoCase();
    const clean = promptCase.clean!;
    const run = await model.runWithHooks(clean, []);
    const tokens = run.input.tokens[0];
    print(`\ncase [${promptCase.name}] of samples/ioi.prompts`);
    print(`prompt: ${clean}`);
    print(`top predictions for the next token:`);
    const predictions = topK(row(run.logits.data, m.dVocab, tokens.length - 1), 5);
    print(table(['token', 'logit', 'prob'], predictions.map((p) => [formatToken(model.tokenizer.decode([p.id])), p.logit.toFixed(3), `${(100 * Math.exp(p.logProb)).toFixed(1)}%`])));

    // Activation patching, as `mechlens patch` and the VS Code command run it: where does the model
    // carry who the indirect object is? First the residual stream by layer and position, then each head.
    const request = { clean, corrupted: promptCase.corrupted!, answer: promptCase.answer!, wrong: promptCase.wrong!, metric: 'normalized_logit_diff' as const };
    for (const sweep of ['resid_pre', 'attn_head_out_all_pos']) {
      print('');
      printResult(await runSweep(model, { ...request, sweep }), print);
    }
    await showFeatures(model, dir, clean, options.threads, print);
  } finally {
    await model.dispose();
  }
}

/** The embedded SAEs' top features at the prompt's last token, one SAE per layer. */
async function showFeatures(model: HookedModel, modelDir: string, prompt: string, threads: number | undefined, print: (line: string) => void): Promise<void> {
  const saeDirs = saeDirsBeside(modelDir);
  if (saeDirs.length === 0) return;
  print(`\ntop SAE features at the last token (${formatToken(model.toTokens(prompt).tokens[0].at(-1)!.text)}):`);
  const rows: string[][] = [];
  for (const saeDir of saeDirs) {
    const sae = loadSae(saeDir);
    saeMatchesModel(sae, model);
    const runner = SaeRunner.create(sae, { threads: threads ?? 1 });
    try {
      // The labels a hover shows: the SAE folder's files (the default ships provisional ones).
      const labels = new FeatureLabels({ saePath: saeDir, saeKey: saeLabelKey(sae) });
      const last = (await topFeaturesPerToken(model, runner, prompt, 3)).at(-1)!;
      for (const f of last.features) rows.push([sae.config.hookName, String(f.index), f.activation.toFixed(2), labelLine(labels.stored(f.index)) ?? '']);
    } finally {
      await runner.dispose();
    }
  }
  print(table(['SAE', 'feature', 'activation', 'label'], rows));
}
