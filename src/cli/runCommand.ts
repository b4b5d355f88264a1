import { row, topK, type Prediction } from '../engine/analysis/topK';
import { HookedModel } from '../engine/hookedModel';
import { MechLensError } from '../engine/errors';
import { norm } from '../engine/tensor';
import { describeModel, formatToken, table } from './format';

export interface RunOptions {
  model: string;
  prompt: string;
  json: boolean;
  topK: number;
  cache: boolean;
  prependBos: boolean;
  threads?: number;
}

export interface RunReport {
  model: ReturnType<typeof describeModel>;
  tokens: { id: number; text: string; span: [number, number] }[];
  /** For every position, the top-k predictions of the next token. */
  predictions: { position: number; top: (Prediction & { text: string })[] }[];
  cache?: { hook: string; dims: number[]; norm: number }[];
}

/** `mechlens run`: tokens, top next-token predictions, and optionally every hook's shape and norm. */
export async function runCommand(options: RunOptions, print: (line: string) => void): Promise<void> {
  if (!Number.isInteger(options.topK) || options.topK < 1) throw new MechLensError(`--top-k must be a positive integer, got ${options.topK}`);
  const model = await HookedModel.load(options.model, { threads: options.threads });
  try {
    const result = await model.runWithHooks(options.prompt, [], { prependBos: options.prependBos, cache: options.cache ? 'all' : [] });
    const tokens = result.input.tokens[0];
    const vocab = model.config.dVocab;
    const report: RunReport = {
      model: describeModel(model),
      tokens: tokens.map(({ id, text, span }) => ({ id, text, span })),
      predictions: tokens.map((_, position) => ({
        position,
        top: topK(row(result.logits.data, vocab, position), options.topK).map((p) => ({ ...p, text: model.tokenizer.decode([p.id]) })),
      })),
    };
    if (options.cache) report.cache = [...result.cache].map(([hook, tensor]) => ({ hook, dims: tensor.dims, norm: norm(tensor.data) }));
    if (options.json) {
      print(JSON.stringify(report, null, 2));
      return;
    }
    printHuman(report, print);
  } finally {
    await model.dispose();
  }
}

function printHuman(report: RunReport, print: (line: string) => void): void {
  const m = report.model;
  print(`model: ${m.dir} (${m.modelType}, ${m.nLayers} layers, d_model ${m.dModel}, ${m.nHeads} heads, vocab ${m.dVocab})`);
  print(`tokens (${report.tokens.length}): ${report.tokens.map((t, i) => `[${i}] ${formatToken(t.text)}`).join(' ')}`);
  const last = report.predictions[report.predictions.length - 1];
  print(`top ${last.top.length} next-token predictions after ${formatToken(report.tokens[last.position].text)}:`);
  print(table(['rank', 'token', 'id', 'logit', 'prob'], last.top.map((p, i) => [String(i + 1), formatToken(p.text), String(p.id), p.logit.toFixed(3), `${(100 * Math.exp(p.logProb)).toFixed(2)}%`])));
  if (report.cache) {
    print(`hooks (${report.cache.length}):`);
    print(table(['hook', 'shape', 'norm'], report.cache.map((c) => [c.hook, `[${c.dims.join(', ')}]`, c.norm.toPrecision(6)])));
  }
}
