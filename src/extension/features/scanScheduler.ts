/**
 * When scans run: one at a time; a scan asked for during another runs after it (requests merge);
 * cancel stops the one under way and drops the queued one; a saved file that the index covers
 * re-plans after a pause (debounced), and only when an index exists. Pure (no vscode).
 */

export interface ScanRequest {
  rebuild: boolean;
  /** Started by a save, not by the user: shown quietly (no notification). */
  background: boolean;
}

export interface ScanSchedulerOptions {
  /** Runs one scan; aborting the signal stops it. */
  execute: (request: ScanRequest, signal: AbortSignal) => Promise<unknown>;
  /** A scan that failed (execute rejected). */
  onError: (error: unknown, request: ScanRequest) => void;
  /** Whether the index covers this saved file (include and exclude settings). */
  covers: (path: string) => boolean;
  /** Whether an index exists to keep current (and the engine is up to do it without loading a model). */
  indexExists: () => boolean;
  /** Called with true when a scan starts and false when the last queued one ends. */
  onRunning?: (running: boolean) => void;
  debounceMs?: number;
}

/** How long after the last save a re-plan starts. */
export const SAVE_DEBOUNCE_MS = 1500;

export class ScanScheduler {
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private queued: ScanRequest | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly options: ScanSchedulerOptions) {}

  get scanning(): boolean {
    return this.running !== undefined;
  }

  /** Starts a scan, or queues it behind the one under way; resolves when no scan is left to run. */
  scan(request: ScanRequest): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.running) {
      this.queued = this.queued ? { rebuild: this.queued.rebuild || request.rebuild, background: this.queued.background && request.background } : request;
      return this.running;
    }
    this.options.onRunning?.(true);
    this.running = this.drain(request);
    return this.running;
  }

  /** Stops the scan under way (after its current step) and forgets queued and pending ones. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = undefined;
    this.controller?.abort();
  }

  /** A file was saved: re-plan soon if the index covers it and exists. */
  fileSaved(path: string): void {
    if (this.disposed || !this.options.covers(path) || !this.options.indexExists()) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.scan({ rebuild: false, background: true });
    }, this.options.debounceMs ?? SAVE_DEBOUNCE_MS);
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }

  private async drain(first: ScanRequest): Promise<void> {
    let next: ScanRequest | undefined = first;
    while (next && !this.disposed) {
      const controller = new AbortController();
      this.controller = controller;
      try {
        await this.options.execute(next, controller.signal);
      } catch (error) {
        this.options.onError(error, next);
      }
      next = this.queued;
      this.queued = undefined;
    }
    this.controller = undefined;
    this.running = undefined;
    this.options.onRunning?.(false);
  }
}
