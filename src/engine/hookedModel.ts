import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { MechLensError } from './errors';
import { EXECUTION_PROVIDERS, checkExecutionProvider, isExecutionProvider, type ExecutionProvider } from './executionProvider';
import { buildGpt2Graph } from './graph/gpt2Graph';
import type { GraphDefinition } from './graph/graphDefinition';
import { GraphRunner } from './graph/graphRunner';
import { RUNTIME_INPUTS } from './graph/ops';
import { OUTPUT_ROWS_INPUT, withOutputRows } from './graph/outputRows';
import { applyAtPositions, type Intervention } from './hooks/interventions';
import { loadCheckpoint, type Checkpoint, type WeightTensor } from './model/checkpoint';
import type { ModelConfig } from './model/modelConfig';
import { assertNonEmptyPrompt, type TextTokenizer, type Token } from './model/tokenizer';
import { repeatBatch, type ResumableRun } from './resumableRun';
import { formatDims, sameDims, type Tensor } from './tensor';

export interface LoadOptions {
  /** onnxruntime intra-op threads; default: the machine's available parallelism. */
  threads?: number;
  /** Where the model runs: 'cpu' (default) or 'cuda' where onnxruntime-node has its CUDA provider. */
  executionProvider?: ExecutionProvider;
}

/** Prompts (tokenized here) or token ids (used as given). A batch must have sequences of equal length. */
export type ModelInput = string | string[] | { ids: number[][] };

export interface InputOptions {
  /** Prepend the BOS token to text prompts, as TransformerLens does by default. Default true. */
  prependBos?: boolean;
}

export interface TokenizedBatch {
  ids: number[][];
  /** Per sequence, per token: text and character span (empty for id input). */
  tokens: Token[][];
}

/** Which hooks to cache: every hook, a list of names, or a predicate (TransformerLens's names_filter). */
export type HookFilter = 'all' | readonly string[] | ((hook: string) => boolean);

export interface RunResult {
  /** [batch, pos, vocab] */
  logits: Tensor;
  /** Cached hook values in TransformerLens shapes, e.g. blocks.0.hook_resid_pre: [batch, pos, dModel]. */
  cache: Map<string, Tensor>;
  input: TokenizedBatch;
}

/** Caches of more hooks than this are taken layer by layer (see streamingCuts). */
const STREAM_CACHE_ABOVE_HOOKS = 24;

const GRAPH_BUILDERS: Record<string, (config: ModelConfig) => GraphDefinition> = { gpt2: buildGpt2Graph };

/**
 * A HuggingFace checkpoint run through onnxruntime with TransformerLens hook points:
 * run, runWithCache and runWithHooks, as HookedTransformer offers them.
 */
export class HookedModel {
  private constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    readonly tokenizer: TextTokenizer,
    private readonly graph: GraphDefinition,
    private readonly runner: GraphRunner,
    /** The same graph with the logits computed at chosen positions only (see runFrom). */
    private readonly rowsRunner: GraphRunner,
    /** Bytes of weight data read from the checkpoint. */
    readonly weightBytes: number,
    /** The checkpoint's tensors as loaded (the same memory onnxruntime reads): for analyses that need weights. */
    readonly weights: ReadonlyMap<string, WeightTensor>,
    /** Where its sessions run; SAEs attached to it run there too. */
    readonly executionProvider: ExecutionProvider = 'cpu',
  ) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<HookedModel> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new MechLensError(`threads must be a positive integer, got ${threads}`);
    const executionProvider = options.executionProvider ?? 'cpu';
    if (!isExecutionProvider(executionProvider)) throw new MechLensError(`executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${JSON.stringify(executionProvider)}`);
    await checkExecutionProvider(executionProvider);
    const checkpoint: Checkpoint = loadCheckpoint(dir);
    const graph = GRAPH_BUILDERS[checkpoint.config.modelType](checkpoint.config);
    const weights = new Map<string, ort.Tensor>();
    for (const [name, tensor] of checkpoint.weights) weights.set(name, new ort.Tensor('float32', tensor.data, tensor.dims));
    const runner = new GraphRunner(graph, weights, { threads, executionProvider });
    const rowsRunner = new GraphRunner(withOutputRows(graph), weights, { threads, executionProvider });
    return new HookedModel(dir, checkpoint.config, checkpoint.tokenizer, graph, runner, rowsRunner, checkpoint.weightBytes, checkpoint.weights, executionProvider);
  }

  /** Every hook point, in the order the forward pass reaches it. */
  get hookNames(): readonly string[] {
    return this.graph.hookOrder;
  }

  /** A hook's dims for a batch of `batch` sequences of `pos` tokens. */
  hookDims(hook: string, batch: number, pos: number): number[] {
    return this.hookPoint(hook).dims(batch, pos);
  }

  /** Tokenizes and checks a model input; text prompts get BOS unless prependBos is false. */
  toTokens(input: ModelInput, options: InputOptions = {}): TokenizedBatch {
    const batch = typeof input === 'string' ? this.fromText([input], options) : Array.isArray(input) ? this.fromText(input, options) : this.fromIds(input.ids);
    const length = batch.ids[0]?.length ?? 0;
    if (batch.ids.length === 0) throw new MechLensError('no prompts given');
    batch.ids.forEach((ids, i) => {
      if (ids.length === 0) throw new MechLensError(`prompt ${i} has no tokens`);
      if (ids.length !== length) throw new MechLensError(`prompts in a batch must have the same number of tokens: prompt 0 has ${length}, prompt ${i} has ${ids.length}`);
    });
    if (length > this.config.nCtx) {
      throw new MechLensError(`the prompt is ${length} tokens long, more than the model's context of ${this.config.nCtx} (n_positions in ${this.dir}/config.json)`);
    }
    return batch;
  }

  async run(input: ModelInput, options: InputOptions = {}): Promise<Tensor> {
    return (await this.runWithHooks(input, [], { ...options, cache: [] })).logits;
  }

  async runWithCache(input: ModelInput, filter: HookFilter = 'all', options: InputOptions = {}): Promise<RunResult> {
    return this.runWithHooks(input, [], { ...options, cache: filter });
  }

  /**
   * The values of chosen hooks and nothing else: the graph is pruned after the last of them and
   * no logits are computed (what an index scan needs, at a fraction of a full run's cost for early hooks).
   */
  async hookValues(input: ModelInput, hooks: readonly string[], options: InputOptions = {}): Promise<{ cache: Map<string, Tensor>; input: TokenizedBatch }> {
    const batch = this.toTokens(input, options);
    const b = batch.ids.length;
    const p = batch.ids[0].length;
    const cached = this.selectHooks(hooks);
    if (cached.length === 0) throw new MechLensError('hookValues needs at least one hook');
    const values = await this.runner.run(this.feeds(batch.ids), cached, this.streamingCuts(cached.length));
    const cache = new Map<string, Tensor>();
    for (const hook of cached) cache.set(hook, { dims: this.hookDims(hook, b, p), data: values.get(hook)!.data as Float32Array });
    return { cache, input: batch };
  }

  /**
   * Runs with interventions on hooks. Several interventions on one hook apply in the order given.
   * The cache, if asked for, holds each hook's value as the model used it (after interventions).
   */
  async runWithHooks(input: ModelInput, interventions: readonly Intervention[], options: InputOptions & { cache?: HookFilter } = {}): Promise<RunResult> {
    const batch = this.toTokens(input, options);
    const b = batch.ids.length;
    const p = batch.ids[0].length;
    for (const intervention of interventions) this.hookPoint(intervention.hook);
    const cached = this.selectHooks(options.cache ?? []);
    const byHook = new Map<string, Intervention[]>();
    for (const intervention of interventions) byHook.set(intervention.hook, [...(byHook.get(intervention.hook) ?? []), intervention]);

    const outputs = [this.graph.output.name, ...cached];
    const cuts = new Set([...byHook.keys(), ...this.streamingCuts(cached.length)]);
    const values = await this.runner.run(this.feeds(batch.ids), outputs, cuts, async (hook, value) => {
      if (!byHook.has(hook)) return value;
      // A copy: the incoming buffer may also be a cached value of an earlier hook, which must keep what the model saw there.
      const tensor: Tensor = { dims: this.hookDims(hook, b, p), data: (value.data as Float32Array).slice() };
      let current = tensor;
      for (const intervention of byHook.get(hook) ?? []) {
        if (intervention.op === 'edit') {
          const edited = await intervention.fn(current, hook);
          if (edited) current = this.checkEdited(hook, edited, tensor.dims);
        } else {
          applyAtPositions(current, intervention);
        }
      }
      return new ort.Tensor('float32', current.data, value.dims);
    });
    const cache = new Map<string, Tensor>();
    for (const hook of cached) cache.set(hook, { dims: this.hookDims(hook, b, p), data: values.get(hook)!.data as Float32Array });
    const logits = values.get(this.graph.output.name)!;
    return { logits: { dims: this.graph.output.dims(b, p), data: logits.data as Float32Array }, cache, input: batch };
  }

  /**
   * Runs one sequence and keeps what later runs need to start at any of `startHooks` (runFrom)
   * without recomputing the layers before it. The cache holds the start hooks and any hooks `cache` selects.
   */
  async runResumable(input: ModelInput, startHooks: readonly string[], options: InputOptions & { cache?: HookFilter } = {}): Promise<ResumableRun> {
    const batch = this.toTokens(input, options);
    if (batch.ids.length !== 1) throw new MechLensError(`a resumable run takes one sequence, got a batch of ${batch.ids.length}`);
    const p = batch.ids[0].length;
    for (const hook of startHooks) this.hookPoint(hook);
    const carried = startHooks.flatMap((hook) => this.rowsRunner.carriedValues(hook, [this.graph.output.name]));
    const cached = [...new Set([...startHooks, ...this.selectHooks(options.cache ?? [])])];
    const values = await this.runner.run(this.feeds(batch.ids), new Set([this.graph.output.name, ...cached, ...carried]));
    const cache = new Map(cached.map((hook) => [hook, { dims: this.hookDims(hook, 1, p), data: values.get(hook)!.data as Float32Array }]));
    const graphValues = new Map([...new Set([...startHooks, ...carried])].map((name) => [name, values.get(name)!]));
    const logits = { dims: this.graph.output.dims(1, p), data: values.get(this.graph.output.name)!.data as Float32Array };
    return { input: batch, logits, cache, graphValues, startHooks: new Set(startHooks) };
  }

  /**
   * Runs the rest of the model from `hook` for a batch of B values of that hook (dims
   * hookDims(hook, B, pos)), every sequence being `run`'s input: the layers before the hook are
   * not recomputed. Returns the logits [B, positions, vocab] at `logitPositions` (default: all).
   */
  async runFrom(run: ResumableRun, hook: string, value: Tensor, options: { logitPositions?: readonly number[] } = {}): Promise<Tensor> {
    if (!run.startHooks.has(hook)) throw new MechLensError(`${hook} is not a start hook of this resumable run (list it in runResumable's startHooks)`);
    const ids = run.input.ids[0];
    const p = ids.length;
    const b = value.dims[0];
    const expected = this.hookDims(hook, b, p);
    if (!Number.isInteger(b) || b < 1 || !sameDims(value.dims, expected) || value.data.length !== expected.reduce((x, y) => x * y, 1)) {
      throw new MechLensError(`${hook}: runFrom takes values of dims [B, ${expected.slice(1).join(', ')}], got ${formatDims(value.dims)}`);
    }
    const positions = options.logitPositions ?? Array.from({ length: p }, (_, i) => i);
    for (const position of positions) {
      if (!Number.isInteger(position) || position < 0 || position >= p) throw new MechLensError(`logit position ${position} is outside the prompt (0–${p - 1})`);
    }
    const rows = BigInt64Array.from({ length: b * positions.length }, (_, i) => BigInt(Math.floor(i / positions.length) * p + positions[i % positions.length]));
    const start = run.graphValues.get(hook)!;
    const feeds: Record<string, ort.Tensor> = {
      ...this.feeds(Array.from({ length: b }, () => ids)),
      [OUTPUT_ROWS_INPUT]: new ort.Tensor('int64', rows, [rows.length]),
      [hook]: new ort.Tensor('float32', value.data, [start.dims[0] * b, ...start.dims.slice(1)]),
    };
    for (const name of this.rowsRunner.carriedValues(hook, [this.graph.output.name])) feeds[name] = repeatBatch(run.graphValues.get(name)!, b);
    // Cut at every later layer: runs from different layers then share the sessions of the layers they have in common.
    const startNode = this.graph.hooks.get(hook)!.node;
    const cuts = this.layerCuts().filter((cut) => this.graph.hooks.get(cut)!.node > startNode);
    const logits = (await this.rowsRunner.runFrom(hook, feeds, [this.graph.output.name], cuts)).get(this.graph.output.name)!;
    return { dims: [b, positions.length, this.config.dVocab], data: logits.data as Float32Array };
  }

  async dispose(): Promise<void> {
    await this.runner.dispose();
    await this.rowsRunner.dispose();
  }

  /**
   * onnxruntime hands outputs back only at the end of a session run, as copies. A large cache is
   * therefore taken layer by layer (the graph cut at each resid_pre), so at most one layer's
   * hooks exist twice at a time (measured on GPT-2 small: peak RSS 836 MB in one piece, 752 MB by layer).
   */
  private streamingCuts(cachedHooks: number): string[] {
    return cachedHooks <= STREAM_CACHE_ABOVE_HOOKS ? [] : this.layerCuts();
  }

  /** The residual stream at the start of every layer but the first: where a run is cut layer by layer. */
  private layerCuts(): string[] {
    return Array.from({ length: this.config.nLayers - 1 }, (_, l) => `blocks.${l + 1}.hook_resid_pre`);
  }

  private hookPoint(hook: string) {
    const point = this.graph.hooks.get(hook);
    if (!point) {
      throw new MechLensError(`unknown hook ${JSON.stringify(hook)}: this ${this.config.modelType} model has hooks such as hook_embed and blocks.0–${this.config.nLayers - 1}.hook_resid_pre (list them with --cache)`);
    }
    return point;
  }

  private selectHooks(filter: HookFilter): string[] {
    if (filter === 'all') return [...this.graph.hookOrder];
    if (typeof filter === 'function') return this.graph.hookOrder.filter(filter);
    for (const hook of filter) this.hookPoint(hook);
    return [...new Set(filter)];
  }

  private checkEdited(hook: string, edited: Tensor, dims: number[]): Tensor {
    if (!(edited.data instanceof Float32Array) || edited.data.length !== dims.reduce((a, c) => a * c, 1)) {
      throw new MechLensError(`${hook}: the edit function returned ${edited.data?.length} values; the hook has dims [${dims.join(', ')}]`);
    }
    return edited;
  }

  private fromText(prompts: string[], options: InputOptions): TokenizedBatch {
    const prependBos = options.prependBos ?? true;
    const bos = prependBos ? this.bosToken() : undefined;
    const tokens = prompts.map((prompt) => {
      assertNonEmptyPrompt(prompt);
      const encoded = this.tokenizer.encode(prompt);
      return bos ? [bos, ...encoded] : encoded;
    });
    return { ids: tokens.map((t) => t.map((token) => token.id)), tokens };
  }

  private fromIds(ids: number[][]): TokenizedBatch {
    for (const sequence of ids) {
      for (const id of sequence) {
        if (!Number.isInteger(id) || id < 0 || id >= this.config.dVocab) throw new MechLensError(`token id ${id} is outside the vocabulary (0–${this.config.dVocab - 1})`);
      }
    }
    return { ids, tokens: ids.map((sequence) => sequence.map((id) => ({ id, text: this.tokenizer.decode([id]), span: [0, 0] as [number, number] }))) };
  }

  /** The token prepended to prompts (config.json's bos_token_id, else the tokenizer's <|endoftext|>). */
  get bosTokenId(): number {
    const id = this.config.bosTokenId ?? this.tokenizer.idOf('<|endoftext|>');
    if (id === undefined) throw new MechLensError(`${this.dir}/config.json has no bos_token_id and the tokenizer no <|endoftext|>: run with BOS off`);
    return id;
  }

  private bosToken(): Token {
    const id = this.bosTokenId;
    return { id, text: this.tokenizer.decode([id]), span: [0, 0] };
  }

  private feeds(ids: number[][]): Record<string, ort.Tensor> {
    const b = ids.length;
    const p = ids[0].length;
    const tokenIds = BigInt64Array.from(ids.flat(), BigInt);
    const positions = new BigInt64Array(b * p);
    for (let i = 0; i < b * p; i++) positions[i] = BigInt(i % p);
    const mask = new Uint8Array(p * p);
    for (let q = 0; q < p; q++) for (let k = 0; k <= q; k++) mask[q * p + k] = 1;
    return {
      [RUNTIME_INPUTS.tokenIds]: new ort.Tensor('int64', tokenIds, [b * p]),
      [RUNTIME_INPUTS.positionIds]: new ort.Tensor('int64', positions, [b * p]),
      [RUNTIME_INPUTS.attentionMask]: new ort.Tensor('bool', mask, [p, p]),
      [RUNTIME_INPUTS.batchPos]: new ort.Tensor('int64', BigInt64Array.from([BigInt(b), BigInt(p)]), [2]),
    };
  }
}
