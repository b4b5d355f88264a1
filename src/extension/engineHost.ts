import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EngineMethod, EngineRequests, ModelSummary, SaeSummary } from '../protocol/engineProtocol';
import { readSettings } from './config';
import { EngineClient, type RequestOptions } from './engineClient';
import { AnalysisCache, type PromptAnalysis } from './hovers/analysisCache';
import { analysePrompt } from './hovers/promptAnalysis';

export type EngineState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; model: ModelSummary; saes: SaeSummary[] } | { kind: 'failed'; message: string };

/**
 * The extension's one engine: its process (started on first use), the configured model and SAEs
 * (the embedded default when none is set), and the analyses of prompts for hovers.
 */
export class EngineHost implements vscode.Disposable {
  private readonly client: EngineClient;
  private loaded: Promise<{ model: ModelSummary; saes: SaeSummary[] }> | undefined;
  /** Counts loads and resets, so a load that a reset overtook changes nothing when it ends. */
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<EngineState>();
  readonly onDidChangeState = this.changed.event;
  readonly analyses: AnalysisCache;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.client = new EngineClient({
      entry: join(extensionPath, 'dist', 'engineProcess.js'),
      onCrash: (message) => {
        log.error(message);
        void vscode.window.showWarningMessage(`MechLens: ${message}.`);
      },
    });
    this.analyses = new AnalysisCache((prompt) => this.analyse(prompt));
  }

  /** Loads the configured model and SAEs once; later calls share the same load. */
  ensureLoaded(): Promise<{ model: ModelSummary; saes: SaeSummary[] }> {
    if (!this.loaded) {
      const generation = ++this.generation;
      const current = () => generation === this.generation; // a reset since makes this load stale
      this.changed.fire({ kind: 'loading' });
      this.loaded = this.load().then(
        (state) => {
          if (current()) this.changed.fire({ kind: 'ready', ...state });
          return state;
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.log.error(`loading failed: ${message}`);
          if (current()) {
            this.changed.fire({ kind: 'failed', message });
            this.loaded = undefined;
          }
          throw error;
        },
      );
    }
    return this.loaded;
  }

  /** A request to the engine once the configured model and SAEs are loaded (loading them first if need be). */
  async request<M extends EngineMethod>(method: M, params: EngineRequests[M]['params'], options?: RequestOptions): Promise<EngineRequests[M]['result']> {
    await this.ensureLoaded();
    return this.client.request(method, params, options);
  }

  /** Settings changed: forget the loaded model and every analysis. */
  reset(): void {
    this.generation++;
    this.loaded = undefined;
    this.analyses.clear();
    this.changed.fire({ kind: 'idle' });
  }

  dispose(): void {
    this.client.dispose();
    this.changed.dispose();
  }

  private async load(): Promise<{ model: ModelSummary; saes: SaeSummary[] }> {
    const settings = readSettings();
    const defaults = join(this.extensionPath, 'media', 'default');
    const modelDir = settings.modelPath || join(defaults, 'model');
    const started = Date.now();
    const model = await this.client.request('model/load', { dir: modelDir, threads: settings.threads || undefined, executionProvider: settings.executionProvider });
    const saePaths = settings.modelPath ? settings.saePaths : [...settings.saePaths, ...embeddedSaes(join(defaults, 'saes'))];
    const saes: SaeSummary[] = [];
    for (const { path, hook } of saePaths) saes.push(await this.client.request('sae/load', { path, hookName: hook }));
    this.log.info(`loaded ${model.modelType} from ${modelDir} with ${saes.length} SAEs in ${Date.now() - started} ms`);
    return { model, saes };
  }

  private async analyse(prompt: string): Promise<PromptAnalysis> {
    const { saes } = await this.ensureLoaded();
    const settings = readSettings();
    return analysePrompt(this.client, saes, prompt, { features: settings.hoverFeatures, predictions: settings.hoverPredictions });
  }
}

function embeddedSaes(dir: string): { path: string; hook?: string }[] {
  return existsSync(dir) ? readdirSync(dir).sort().map((name) => ({ path: join(dir, name) })) : [];
}

export { describeError } from './engineClient';
