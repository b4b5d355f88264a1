import { fork, type ChildProcess } from 'node:child_process';
import { withEngineEnv } from '../engine/processEnv';
import { isProgressMessage, isResponseMessage, type CancelMessage, type EngineMethod, type EngineRequests, type ProgressMessage, type RequestMessage } from '../protocol/engineProtocol';

/** A failed request: `userError` messages are the user's to fix (a missing file), others are bugs or crashes. */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
  constructor(
    message: string,
    readonly userError: boolean,
  ) {
    super(message);
  }
}

export interface EngineClientOptions {
  /** The engine process's entry script (dist/engineProcess.js, or the TypeScript source with tsx). */
  entry: string;
  /** Node flags for the engine process (e.g. ['--import', 'tsx'] to run the sources). */
  execArgv?: string[];
  /** Called once for each time the engine process dies unasked; the next request restarts it. */
  onCrash?: (message: string) => void;
  /** Per-request time limit, unless a request gives its own. Default 5 minutes. */
  timeoutMs?: number;
}

/** How one request is run: its time limit, where its progress goes, and a signal that cancels it. */
export interface RequestOptions {
  /** The time limit; each progress message starts it afresh, so a long request that keeps reporting is not killed. */
  timeoutMs?: number;
  onProgress?: (progress: Omit<ProgressMessage, 'kind' | 'id'>) => void;
  /** Aborting sends the engine a cancel message; the request still resolves with what the engine answers. */
  signal?: AbortSignal;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** Starts the time limit afresh. */
  restartTimer: () => void;
  onProgress?: RequestOptions['onProgress'];
  cleanup: () => void;
}

/**
 * The extension host's side of the engine process: typed requests, each answered or failed within
 * its time limit. A process that dies or hangs is killed and restarted on the next request, which
 * first replays the requests that built its state (the model, the SAEs, the labels file, the index plan).
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** model/load and the sae/loads after it, replayed into a restarted process. */
  private stateRequests: { method: EngineMethod; params: unknown }[] = [];
  /** The last labels file and index plan, replayed after them (a plan without its rebuild: a restarted scan resumes from its last commit). */
  private labelsFile: { method: EngineMethod; params: unknown } | undefined;
  private indexPlan: { method: EngineMethod; params: unknown } | undefined;
  private disposed = false;

  constructor(private readonly options: EngineClientOptions) {}

  /** The engine process's pid, when one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async request<M extends EngineMethod>(method: M, params: EngineRequests[M]['params'], options: number | RequestOptions = {}): Promise<EngineRequests[M]['result']> {
    if (this.disposed) throw new EngineRequestError('the engine client was disposed', false);
    if (!this.child) await this.start();
    const result = (await this.send(method, params, typeof options === 'number' ? { timeoutMs: options } : options)) as EngineRequests[M]['result'];
    if (method === 'model/load') {
      this.stateRequests = [{ method, params }];
      this.indexPlan = undefined;
    } else if (method === 'sae/load') this.stateRequests.push({ method, params });
    else if (method === 'labels/setFile') this.labelsFile = { method, params };
    else if (method === 'index/plan') this.indexPlan = { method, params: { ...(params as EngineRequests['index/plan']['params']), rebuild: false } };
    return result;
  }

  dispose(): void {
    this.disposed = true;
    this.stop(new EngineRequestError('the engine client was disposed', false));
  }

  private async start(): Promise<void> {
    const child = fork(this.options.entry, [], { execArgv: this.options.execArgv ?? [], env: withEngineEnv(), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (message) => this.receive(message));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // a process we stopped on purpose
      this.child = undefined;
      const reason = `the engine process stopped (${signal ? `signal ${signal}` : `exit code ${code}`}); it restarts with the next request`;
      this.failAll(new EngineRequestError(reason, false));
      this.options.onCrash?.(reason);
    });
    const replay = [...this.stateRequests, ...(this.labelsFile ? [this.labelsFile] : []), ...(this.indexPlan ? [this.indexPlan] : [])];
    for (const { method, params } of replay) await this.send(method, params as never);
  }

  private send(method: EngineMethod, params: unknown, options: RequestOptions = {}): Promise<unknown> {
    const child = this.child;
    if (!child) return Promise.reject(new EngineRequestError('the engine process is not running', false));
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 300_000;
    return new Promise((resolve, reject) => {
      const expire = () => {
        // A run that does not answer in time may be stuck in native code: only a new process is safe.
        this.pending.get(id)?.cleanup();
        this.pending.delete(id);
        reject(new EngineRequestError(`${method} took longer than ${timeoutMs} ms without a word; the engine was restarted`, false));
        this.stop(new EngineRequestError('the engine was restarted after a request timed out', false));
      };
      const cancel = () => {
        const message: CancelMessage = { kind: 'cancel', id };
        if (this.child === child && child.connected) child.send(message);
      };
      options.signal?.addEventListener('abort', cancel, { once: true });
      const pending: Pending = {
        resolve,
        reject,
        timer: setTimeout(expire, timeoutMs),
        restartTimer: () => {
          clearTimeout(pending.timer);
          pending.timer = setTimeout(expire, timeoutMs);
        },
        onProgress: options.onProgress,
        cleanup: () => options.signal?.removeEventListener('abort', cancel),
      };
      this.pending.set(id, pending);
      const message: RequestMessage = { kind: 'request', id, method, params: params as never };
      child.send(message);
      if (options.signal?.aborted) cancel();
    });
  }

  private receive(message: unknown): void {
    if (isProgressMessage(message)) {
      const pending = this.pending.get(message.id);
      pending?.restartTimer();
      pending?.onProgress?.({ done: message.done, total: message.total, ...(message.file === undefined ? {} : { file: message.file }) });
      return;
    }
    if (!isResponseMessage(message)) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    pending.cleanup();
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new EngineRequestError(message.error.message, message.error.userError));
  }

  private stop(reason: Error): void {
    const child = this.child;
    this.child = undefined;
    this.failAll(reason);
    child?.kill('SIGKILL');
  }

  private failAll(error: Error): void {
    for (const { reject, timer, cleanup } of this.pending.values()) {
      clearTimeout(timer);
      cleanup();
      reject(error);
    }
    this.pending.clear();
  }
}

/** An error as the user reads it: the engine's message for bad input, marked internal for a bug. */
export function describeError(error: unknown): string {
  if (error instanceof EngineRequestError) return error.userError ? error.message : `internal error: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
