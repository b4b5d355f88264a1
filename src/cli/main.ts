import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MechLensError } from '../engine/errors';
import { GPT2_PRESETS, writeRandomGpt2, type Gpt2Preset, type Gpt2Shape } from '../engine/synthetic/randomGpt2';
import { checkPromptsCommand } from './checkPromptsCommand';
import { demoCommand } from './demoCommand';
import { patchCommand, patchShowCommand } from './patchCommand';
import { METRIC_NAMES, type MetricName } from '../engine/patching/metrics';
import { DIRECTIONS, type Direction } from '../engine/patching/patchRunner';
import { SWEEP_NAMES } from '../engine/patching/sweeps';
import { runCommand } from './runCommand';
import { featureCommand, indexCommand, type IndexSource } from './indexCommands';
import { featuresCommand, saeEvalCommand } from './saeCommands';
import { pairsFromPromptFile, subspaceCommand, type SubspaceSourceName } from './subspaceCommand';

const USAGE = `usage:
  mechlens run --model DIR [--json] [--top-k N] [--cache] [--no-bos] [--threads N] "prompt"
      tokens and top next-token predictions; --json: every position's top-k ids and logits;
      --cache: every hook with its shape and norm
  mechlens generate --preset ${Object.keys(GPT2_PRESETS).join('|')} --out DIR [--dtype F32|F16|BF16] [--seed N] [--shards N]
                    [--layers N] [--d-model N] [--heads N] [--positions N] [--vocab N] [--d-mlp N]
      write a random GPT-2 checkpoint in the HuggingFace layout (a preset, with any dimension overridden)
  mechlens features --model DIR --sae PATH [--hook NAME] [--top-k N] [--json] [--no-bos] "prompt"
      each token's top SAE features (with labels from labels.json beside the SAE)
  mechlens sae-eval --model DIR --sae PATH [--hook NAME] [--context N] [--max-windows N] [--json] FILE…
      SAE quality over text files: L0, FVE, MSE, cosine, CE loss recovered, KL, density, effective features
  mechlens patch --model DIR --clean TEXT --corrupted TEXT --answer TOKEN [--wrong TOKEN] --sweep NAME
                 [--metric ${METRIC_NAMES.join('|')}] [--direction denoising|noising]
                 [--metric-position N] [--layers LIST] [--positions LIST] [--heads LIST] [--json] [--save DIR]
      activation patching: one sweep over layers, positions and heads (LIST: 0,2,5-7);
      --save DIR writes the run to DIR/.mechlens/runs/ as it goes
      sweeps: ${SWEEP_NAMES.join(', ')}
  mechlens patch-show [--json] RUNFILE
      a saved patching run, without recomputing
  mechlens subspace --model DIR (--clean TEXT --corrupted TEXT --answer TOKEN --wrong TOKEN)… | --prompts FILE [--cases LIST]
                    --hook NAME [--head N] [--positions LIST] --source diff-means|pca|sae-features|file|fit
                    [--k N] [--sae PATH --features LIST] [--file PATH] [--fit ridge|probe] [--lambda X]
                    [--readers L.H,…] [--reader-weights q|k|v|qkv] [--random N] [--seed N]
                    [--direction denoising|noising] [--set VALUES] [--json]
      a subspace intervention (patch, ablation, set) with its interpretability-illusion checks;
      repeat --clean/--corrupted (and --answer/--wrong, or give them once) for several pairs;
      --positions=LIST may count from the end (--positions=-1: the last; default: the metric position)
  mechlens index [--model DIR --sae PATH…] --storage DIR [--rebuild] [--json] [--threads N] FILE_OR_FOLDER…
      build or update a feature index over text files (.txt .md .prompts .jsonl in folders):
      only new and changed files are scanned; a killed scan resumes where it was committed
  mechlens feature [--model DIR --sae PATH…] --storage DIR [--hook NAME] [--json] INDEX
      one feature's page from the index: top contexts, interval groups, logit effects, neighbours
      (without --model: the embedded default and its SAEs; give the same --sae list as to index)
  mechlens check-prompts FILE…
      list the cases of .prompts files and report their problems
  mechlens demo [--model DIR]
      the main job on the embedded default model
SAE PATH: a SAELens folder (cfg.json, sae_weights.safetensors), a sparsify hookpoint folder
(cfg.json, sae.safetensors) or a Gemma Scope params.npz; --hook names the hook when the files do not;
--center-input / --no-center-input override whether the SAE reads mean-centred activations
(needed by the SAELens GPT-2 releases trained with center_writing_weights; known ones are detected)`;

class UsageError extends Error {}

/** Runs the CLI; returns the process exit code (0 ok, 1 bad input, 2 bad usage). */
export async function main(argv: string[], print = (line: string) => console.log(line), printError = (line: string) => console.error(line)): Promise<number> {
  try {
    await dispatch(argv, print);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      printError(`mechlens: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof MechLensError) {
      printError(`mechlens: ${e.message}`);
      return 1;
    }
    printError(`mechlens: internal error: ${(e as Error).stack ?? String(e)}`);
    return 3;
  }
}

async function dispatch(argv: string[], print: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest, print);
    case 'generate':
      return generate(rest, print);
    case 'features':
      return features(rest, print);
    case 'sae-eval':
      return saeEval(rest, print);
    case 'patch':
      return patch(rest, print);
    case 'subspace':
      return subspace(rest, print);
    case 'patch-show': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false } });
      if (positionals.length !== 1) throw new UsageError('patch-show needs exactly one run file');
      return patchShowCommand({ file: positionals[0], json: values.json as boolean }, print);
    }
    case 'index': {
      const { values, positionals } = parse(rest, { ...indexOptions, rebuild: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
      if (positionals.length === 0) throw new UsageError('index needs at least one file or folder');
      return indexCommand({ ...indexSource(values), paths: positionals, rebuild: values.rebuild as boolean, json: values.json as boolean }, print, (line) => process.stderr.write(`${line}\n`));
    }
    case 'feature': {
      const { values, positionals } = parse(rest, { ...indexOptions, hook: { type: 'string' }, json: { type: 'boolean', default: false } });
      if (positionals.length !== 1) throw new UsageError('feature needs exactly one feature index');
      return featureCommand({ ...indexSource(values), feature: optionalInt(positionals[0], 'the feature index')!, hook: values.hook as string | undefined, json: values.json as boolean }, print);
    }
    case 'check-prompts': {
      const { positionals } = parse(rest, {});
      if (positionals.length === 0) throw new UsageError('check-prompts needs at least one file');
      return checkPromptsCommand(positionals, print);
    }
    case 'demo': {
      const { values } = parse(rest, { model: { type: 'string' }, threads: { type: 'string' } });
      return demoCommand({ model: values.model as string | undefined, threads: optionalInt(values.threads, '--threads') }, print);
    }
    case undefined:
    case 'help':
    case '--help':
      print(USAGE);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

const indexOptions = { model: { type: 'string' }, sae: { type: 'string', multiple: true }, storage: { type: 'string' }, threads: { type: 'string' } } as const;

function indexSource(values: Record<string, unknown>): IndexSource {
  if (typeof values.storage !== 'string') throw new UsageError('needs --storage DIR (where the index is kept)');
  return { model: values.model as string | undefined, saes: (values.sae as string[] | undefined) ?? [], storage: values.storage, threads: optionalInt(values.threads as string | undefined, '--threads') };
}

async function run(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, {
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
    'top-k': { type: 'string', default: '10' },
    cache: { type: 'boolean', default: false },
    'no-bos': { type: 'boolean', default: false },
    threads: { type: 'string' },
  });
  if (typeof values.model !== 'string') throw new UsageError('run needs --model DIR');
  if (positionals.length !== 1) throw new UsageError(`run needs exactly one prompt (got ${positionals.length}); quote it`);
  await runCommand(
    {
      model: values.model,
      prompt: positionals[0],
      json: values.json as boolean,
      topK: optionalInt(values['top-k'], '--top-k')!,
      cache: values.cache as boolean,
      prependBos: !values['no-bos'],
      threads: optionalInt(values.threads, '--threads'),
    },
    print,
  );
}

async function patch(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, {
    model: { type: 'string' },
    clean: { type: 'string' },
    corrupted: { type: 'string' },
    answer: { type: 'string' },
    wrong: { type: 'string' },
    sweep: { type: 'string' },
    metric: { type: 'string' },
    direction: { type: 'string' },
    'metric-position': { type: 'string' },
    layers: { type: 'string' },
    positions: { type: 'string' },
    heads: { type: 'string' },
    'batch-tokens': { type: 'string' },
    json: { type: 'boolean', default: false },
    save: { type: 'string' },
    'no-bos': { type: 'boolean', default: false },
    threads: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`patch takes no positional arguments (got ${JSON.stringify(positionals[0])}); give the prompts as --clean and --corrupted`);
  for (const required of ['model', 'clean', 'corrupted', 'answer', 'sweep'] as const) {
    if (typeof values[required] !== 'string') throw new UsageError(`patch needs --${required}`);
  }
  const sweep = values.sweep as string;
  if (!SWEEP_NAMES.includes(sweep)) throw new UsageError(`unknown sweep ${JSON.stringify(sweep)} (sweeps: ${SWEEP_NAMES.join(', ')})`);
  const metric = values.metric as string | undefined;
  if (metric !== undefined && !(METRIC_NAMES as readonly string[]).includes(metric)) throw new UsageError(`unknown metric ${JSON.stringify(metric)} (metrics: ${METRIC_NAMES.join(', ')})`);
  const direction = values.direction as string | undefined;
  if (direction !== undefined && !(DIRECTIONS as readonly string[]).includes(direction)) throw new UsageError(`--direction must be denoising or noising, got ${JSON.stringify(direction)}`);
  await patchCommand(
    {
      model: values.model as string,
      clean: values.clean as string,
      corrupted: values.corrupted as string,
      answer: values.answer as string,
      wrong: values.wrong as string | undefined,
      sweep,
      metric: metric as MetricName | undefined,
      direction: direction as Direction | undefined,
      metricPosition: optionalInt(values['metric-position'], '--metric-position'),
      layers: indexList(values.layers, '--layers'),
      positions: indexList(values.positions, '--positions'),
      heads: indexList(values.heads, '--heads'),
      batchTokens: optionalInt(values['batch-tokens'], '--batch-tokens'),
      json: values.json as boolean,
      save: values.save as string | undefined,
      prependBos: !values['no-bos'],
      threads: optionalInt(values.threads, '--threads'),
    },
    print,
  );
}

async function subspace(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, {
    model: { type: 'string' },
    clean: { type: 'string', multiple: true },
    corrupted: { type: 'string', multiple: true },
    answer: { type: 'string', multiple: true },
    wrong: { type: 'string', multiple: true },
    prompts: { type: 'string' },
    cases: { type: 'string' },
    hook: { type: 'string' },
    head: { type: 'string' },
    positions: { type: 'string' },
    source: { type: 'string' },
    k: { type: 'string' },
    sae: { type: 'string' },
    features: { type: 'string' },
    file: { type: 'string' },
    fit: { type: 'string' },
    lambda: { type: 'string' },
    readers: { type: 'string' },
    'reader-weights': { type: 'string' },
    random: { type: 'string' },
    seed: { type: 'string' },
    direction: { type: 'string' },
    set: { type: 'string' },
    json: { type: 'boolean', default: false },
    'no-bos': { type: 'boolean', default: false },
    threads: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`subspace takes no positional arguments (got ${JSON.stringify(positionals[0])})`);
  for (const required of ['model', 'hook', 'source'] as const) if (typeof values[required] !== 'string') throw new UsageError(`subspace needs --${required}`);
  const sources = ['diff-means', 'pca', 'sae-features', 'file', 'fit'];
  if (!sources.includes(values.source as string)) throw new UsageError(`unknown --source ${JSON.stringify(values.source)} (sources: ${sources.join(', ')})`);
  const prependBos = !values['no-bos'];
  const cleans = (values.clean as string[] | undefined) ?? [];
  let pairs;
  if (values.prompts !== undefined) {
    if (cleans.length > 0) throw new UsageError('give the pairs as --prompts FILE or as --clean/--corrupted, not both');
    pairs = pairsFromPromptFile(values.prompts as string, values.cases === undefined ? undefined : String(values.cases).split(',').map((c) => c.trim()), prependBos);
  } else {
    const corrupted = (values.corrupted as string[] | undefined) ?? [];
    const perPair = (flag: 'answer' | 'wrong') => {
      const given = (values[flag] as string[] | undefined) ?? [];
      if (given.length === 1) return cleans.map(() => given[0]);
      if (given.length !== cleans.length) throw new UsageError(`give --${flag} once, or once per --clean (${cleans.length}); got ${given.length}`);
      return given;
    };
    if (cleans.length === 0) throw new UsageError('subspace needs --clean/--corrupted pairs or --prompts FILE');
    if (corrupted.length !== cleans.length) throw new UsageError(`give one --corrupted per --clean (got ${cleans.length} and ${corrupted.length})`);
    const answers = perPair('answer');
    const wrongs = perPair('wrong');
    pairs = cleans.map((clean, i) => ({ clean, corrupted: corrupted[i], answer: answers[i], wrong: wrongs[i], prependBos }));
  }
  const fit = values.fit as string | undefined;
  if (fit !== undefined && fit !== 'ridge' && fit !== 'probe') throw new UsageError(`--fit must be ridge or probe, got ${JSON.stringify(fit)}`);
  const readerWeights = values['reader-weights'] as string | undefined;
  if (readerWeights !== undefined && !['q', 'k', 'v', 'qkv'].includes(readerWeights)) throw new UsageError(`--reader-weights must be q, k, v or qkv, got ${JSON.stringify(readerWeights)}`);
  const direction = values.direction as string | undefined;
  if (direction !== undefined && !(DIRECTIONS as readonly string[]).includes(direction)) throw new UsageError(`--direction must be denoising or noising, got ${JSON.stringify(direction)}`);
  const numbers = (value: unknown, flag: string) => {
    if (value === undefined) return undefined;
    return String(value).split(',').map((part) => {
      const n = Number(part.trim());
      if (part.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} takes comma-separated numbers; got ${JSON.stringify(value)}`);
      return n;
    });
  };
  const positions = numbers(values.positions, '--positions');
  if (positions?.some((p) => !Number.isInteger(p))) throw new UsageError(`--positions takes integers (negative from the end); got ${JSON.stringify(values.positions)}`);
  const readers = values.readers === undefined ? undefined : String(values.readers).split(',').map((part) => {
    const m = /^\s*(\d+)\.(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--readers takes heads as LAYER.HEAD, e.g. 3.1,3.4; got ${JSON.stringify(values.readers)}`);
    return { layer: Number(m[1]), head: Number(m[2]) };
  });
  const lambda = numbers(values.lambda, '--lambda');
  await subspaceCommand(
    {
      model: values.model as string,
      pairs,
      hook: values.hook as string,
      head: optionalInt(values.head, '--head'),
      positions,
      source: values.source as SubspaceSourceName,
      k: optionalInt(values.k, '--k'),
      sae: values.sae as string | undefined,
      features: indexList(values.features, '--features'),
      file: values.file as string | undefined,
      fit: fit as 'ridge' | 'probe' | undefined,
      lambda: lambda?.[0],
      readers,
      readerWeights: readerWeights as 'q' | 'k' | 'v' | 'qkv' | undefined,
      random: optionalInt(values.random, '--random'),
      seed: optionalInt(values.seed, '--seed'),
      direction: direction as Direction | undefined,
      setValues: numbers(values.set, '--set'),
      json: values.json as boolean,
      threads: optionalInt(values.threads, '--threads'),
    },
    print,
  );
}

/** "0,2,5-7" → [0, 2, 5, 6, 7]; an empty string is an empty list (which the engine refuses as an empty sweep). */
function indexList(value: unknown, flag: string): number[] | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (text === '') return [];
  return text.split(',').flatMap((part) => {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw new UsageError(`${flag} takes indices and ranges such as 0,2,5-7; got ${JSON.stringify(text)}`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from || to - from > 100_000) throw new UsageError(`${flag}: ${part.trim()} is not a usable range`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** The options of the commands that load a model and an SAE. */
const SAE_OPTIONS = {
  model: { type: 'string' },
  sae: { type: 'string' },
  hook: { type: 'string' },
  'center-input': { type: 'boolean' },
  'no-center-input': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

async function features(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, {
    ...SAE_OPTIONS,
    'top-k': { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    'no-bos': { type: 'boolean', default: false },
  });
  if (typeof values.model !== 'string' || typeof values.sae !== 'string') throw new UsageError('features needs --model DIR and --sae PATH');
  if (positionals.length !== 1) throw new UsageError(`features needs exactly one prompt (got ${positionals.length}); quote it`);
  const topK = optionalInt(values['top-k'], '--top-k')!;
  if (topK < 1) throw new MechLensError(`--top-k must be a positive integer, got ${topK}`);
  await featuresCommand(
    { model: values.model, sae: values.sae, hook: values.hook, centerInput: centerInput(values), prompt: positionals[0], topK, json: values.json as boolean, prependBos: !values['no-bos'], threads: optionalInt(values.threads, '--threads') },
    print,
  );
}

async function saeEval(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parse(args, {
    ...SAE_OPTIONS,
    context: { type: 'string' },
    'max-windows': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (typeof values.model !== 'string' || typeof values.sae !== 'string') throw new UsageError('sae-eval needs --model DIR and --sae PATH');
  if (positionals.length === 0) throw new UsageError('sae-eval needs at least one text file');
  await saeEvalCommand(
    {
      model: values.model,
      sae: values.sae,
      hook: values.hook,
      centerInput: centerInput(values),
      files: positionals,
      contextSize: optionalInt(values.context, '--context'),
      maxWindows: optionalInt(values['max-windows'], '--max-windows'),
      json: values.json as boolean,
      threads: optionalInt(values.threads, '--threads'),
    },
    print,
  );
}

async function generate(args: string[], print: (line: string) => void): Promise<void> {
  const { values } = parse(args, {
    preset: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'F32' },
    seed: { type: 'string', default: '0' },
    shards: { type: 'string', default: '1' },
    layers: { type: 'string' },
    'd-model': { type: 'string' },
    heads: { type: 'string' },
    positions: { type: 'string' },
    vocab: { type: 'string' },
    'd-mlp': { type: 'string' },
  });
  const preset = values.preset as string;
  if (!(preset in GPT2_PRESETS)) throw new UsageError(`unknown preset ${JSON.stringify(preset)}`);
  if (typeof values.out !== 'string') throw new UsageError('generate needs --out DIR');
  const dtype = values.dtype as string;
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw new UsageError(`--dtype must be F32, F16 or BF16, got ${dtype}`);
  const base: Gpt2Shape = GPT2_PRESETS[preset as Gpt2Preset];
  const dimension = (flag: string, value: unknown, fallback: number | undefined) => {
    const n = optionalInt(value, flag);
    if (n !== undefined && n < 1) throw new UsageError(`${flag} must be a positive integer, got ${n}`);
    return n ?? fallback;
  };
  const shape: Gpt2Shape = {
    nLayers: dimension('--layers', values.layers, base.nLayers)!,
    dModel: dimension('--d-model', values['d-model'], base.dModel)!,
    nHeads: dimension('--heads', values.heads, base.nHeads)!,
    nPositions: dimension('--positions', values.positions, base.nPositions)!,
    vocabSize: dimension('--vocab', values.vocab, base.vocabSize),
    nInner: dimension('--d-mlp', values['d-mlp'], base.nInner),
  };
  if (shape.dModel % shape.nHeads !== 0) throw new UsageError(`--d-model ${shape.dModel} must be divisible by --heads ${shape.nHeads}`);
  try {
    writeRandomGpt2(values.out, { shape, dtype, seed: optionalInt(values.seed, '--seed'), shards: optionalInt(values.shards, '--shards') });
  } catch (e) {
    throw new MechLensError(`cannot write ${values.out}: ${(e as Error).message}`, values.out);
  }
  print(`wrote a random GPT-2 checkpoint (${shape.nLayers} layers, d_model ${shape.dModel}, ${shape.nHeads} heads, ${dtype}) to ${values.out}`);
}

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function centerInput(values: { 'center-input'?: boolean; 'no-center-input'?: boolean }): boolean | undefined {
  if (values['center-input'] && values['no-center-input']) throw new UsageError('give --center-input or --no-center-input, not both');
  return values['center-input'] ? true : values['no-center-input'] ? false : undefined;
}

function optionalInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}
