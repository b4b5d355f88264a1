import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { row, topK } from '../engine/analysis/topK';
import { HookedModel } from '../engine/hookedModel';
import { loadSae, saeMatchesModel } from '../engine/sae/loadSae';
import { readLabels } from '../engine/sae/labels';
import { topFeaturesPerToken } from '../engine/sae/saeOnModel';
import { SaeRunner } from '../engine/sae/saeRunner';
import { GPT2_PRESETS, writeRandomGpt2 } from '../engine/synthetic/randomGpt2';
import { describeModel, formatToken, table } from './format';

interface DemoCase {
  clean: string;
  corrupted: string;
  answer: string;
  wrong: string;
}

const DEFAULT_CASE: DemoCase = {
  clean: 'When Mary and John went to the store, John gave a drink to',
  corrupted: 'When Mary and John went to the store, Mary gave a drink to',
  answer: ' Mary',
  wrong: ' John',
};

/** The first held-out IOI case shipped beside a model (media/default/eval), else a classic one. */
function demoCase(modelDir: string): DemoCase {
  const path = join(dirname(modelDir), 'eval', 'ioi_heldout.jsonl');
  if (!existsSync(path)) return DEFAULT_CASE;
  const first = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]) as Partial<DemoCase>;
  const { clean, corrupted, answer, wrong } = { ...first, clean: (first as { prompt?: string }).prompt };
  return clean && corrupted && answer && wrong ? { clean, corrupted, answer, wrong } : DEFAULT_CASE;
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

export function embeddedModelDir(): string {
  return join(packageRoot(), 'media', 'default', 'model');
}

/**
 * `mechlens demo`: loads the embedded default model, shows the tokens and predictions for an
 * indirect-object prompt, and patches the residual stream layer by layer from the clean into
 * the corrupted run: the main job of MechLens, end to end, in a few seconds.
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

    const { clean: CLEAN, corrupted: CORRUPTED, answer: ANSWER, wrong: WRONG } = demoCase(dir);
    const clean = await model.runWithCache(CLEAN, 'all');
    const tokens = clean.input.tokens[0];
    const last = tokens.length - 1;
    print(`\nprompt: ${CLEAN}`);
    print(`tokens: ${tokens.map((t) => formatToken(t.text)).join(' ')}`);
    print(`top predictions for the next token:`);
    const predictions = topK(row(clean.logits.data, m.dVocab, last), 5);
    print(table(['token', 'logit', 'prob'], predictions.map((p) => [formatToken(model.tokenizer.decode([p.id])), p.logit.toFixed(3), `${(100 * Math.exp(p.logProb)).toFixed(1)}%`])));

    const answer = singleToken(model, ANSWER);
    const wrong = singleToken(model, WRONG);
    if (answer === undefined || wrong === undefined) {
      print(`\n(${formatToken(ANSWER)} or ${formatToken(WRONG)} is not a single token for this tokenizer: patching skipped)`);
      return;
    }
    const logitDiff = (logits: Float32Array) => logits[last * m.dVocab + answer] - logits[last * m.dVocab + wrong];
    const corrupted = await model.run(CORRUPTED);
    const cleanDiff = logitDiff(clean.logits.data);
    const corruptedDiff = logitDiff(corrupted.data);
    print(`\nlogit difference ${formatToken(ANSWER)} − ${formatToken(WRONG)}: clean ${cleanDiff.toFixed(3)}, corrupted ${corruptedDiff.toFixed(3)}`);
    const corruptedIds = model.toTokens(CORRUPTED).ids[0];
    const changed = corruptedIds.findIndex((id, i) => id !== clean.input.ids[0][i]);
    print(`patching blocks.L.hook_resid_pre from the clean run into the corrupted run at position ${changed} (${formatToken(tokens[changed].text)}), the token the prompts differ in:`);
    const rows: string[][] = [];
    for (let layer = 0; layer < m.nLayers; layer++) {
      const hook = `blocks.${layer}.hook_resid_pre`;
      const patched = await model.runWithHooks(CORRUPTED, [{ hook, op: 'replace', value: clean.cache.get(hook)!, positions: [changed] }]);
      const diff = logitDiff(patched.logits.data);
      rows.push([hook, diff.toFixed(3), ((diff - corruptedDiff) / (cleanDiff - corruptedDiff)).toFixed(3)]);
    }
    print(table(['hook', 'logit diff', 'normalised'], rows));
    await showFeatures(model, dir, CLEAN, options.threads, print);
  } finally {
    await model.dispose();
  }
}

/** The embedded SAEs' top features at the prompt's last token, one SAE per layer. */
async function showFeatures(model: HookedModel, modelDir: string, prompt: string, threads: number | undefined, print: (line: string) => void): Promise<void> {
  const saesDir = join(dirname(modelDir), 'saes');
  if (!existsSync(saesDir)) return;
  print(`\ntop SAE features at the last token (${formatToken(model.toTokens(prompt).tokens[0].at(-1)!.text)}):`);
  const rows: string[][] = [];
  for (const name of readdirSync(saesDir).sort()) {
    const sae = loadSae(join(saesDir, name));
    saeMatchesModel(sae, model);
    const runner = SaeRunner.create(sae, { threads: threads ?? 1 });
    try {
      const labels = readLabels(join(saesDir, name));
      const last = (await topFeaturesPerToken(model, runner, prompt, 3)).at(-1)!;
      rows.push([sae.config.hookName, last.features.map((f) => `${f.index} (${f.activation.toFixed(2)})${labels.has(f.index) ? ` ${JSON.stringify(labels.get(f.index))}` : ''}`).join(', ')]);
    } finally {
      await runner.dispose();
    }
  }
  print(table(['SAE', 'features (activation)'], rows));
}

function singleToken(model: HookedModel, text: string): number | undefined {
  const tokens = model.tokenizer.encode(text);
  return tokens.length === 1 ? tokens[0].id : undefined;
}
