import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { IndexStatus } from '../../protocol/featureIndex';
import { showRunError } from '../runCommandParts';
import type { EngineRequest } from './engineRequest';
import { isIndexed } from './glob';
import { findIndexFiles, indexStorage, readIndexSettings, storageRoot, workspacePath } from './indexWorkspace';
import { runScan } from './scanLoop';
import { ScanScheduler, type ScanRequest } from './scanScheduler';

/** The context key that is true while a scan runs (for Cancel Feature Scan's visibility). */
const RUNNING_KEY = 'mechlens.featureScanRunning';

export interface ScanListeners {
  /** Every status of a scan, as it comes. */
  onStatus: (status: IndexStatus) => void;
  /** A scan ended (done, cancelled or failed): the list and pages may show more now. */
  onScanned: (status: IndexStatus | undefined) => void;
}

/**
 * The feature index's scans in VS Code: the workspace's files, a progress notification with
 * cancel (a save's re-plan shows only in the status bar), and a re-plan after a covered file is
 * saved while an index exists and the engine is up.
 */
export class FeatureScanning implements vscode.Disposable {
  readonly scheduler: ScanScheduler;
  private engineReady = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly request: EngineRequest,
    private readonly log: vscode.LogOutputChannel,
    private readonly listeners: ScanListeners,
  ) {
    this.scheduler = new ScanScheduler({
      execute: (scan, signal) => this.execute(scan, signal),
      onError: (error, scan) => {
        if (scan.background) {
          log.warn(`feature index: the re-plan after a save failed: ${error instanceof Error ? error.message : String(error)}`);
          vscode.window.setStatusBarMessage('$(warning) MechLens: the feature index could not be updated (see the Features view)', 5000);
        } else showRunError(scan.rebuild ? 'the feature index rebuild' : 'the feature scan', error);
        listeners.onScanned(undefined);
      },
      covers: (path) => {
        const settings = readIndexSettings(log);
        return isIndexed(path, settings.include, settings.exclude);
      },
      indexExists: () => this.engineReady && this.stored(),
      onRunning: (running) => void vscode.commands.executeCommand('setContext', RUNNING_KEY, running),
    });
    this.subscriptions.push(
      vscode.workspace.onDidSaveTextDocument((document) => {
        const path = workspacePath(document.uri);
        if (path !== undefined) this.scheduler.fileSaved(path);
      }),
    );
  }

  /** Whether the engine has the model and SAEs loaded (a save never loads them just to re-plan). */
  setEngineReady(ready: boolean): void {
    this.engineReady = ready;
    if (!ready) this.scheduler.cancel();
  }

  get engineIsReady(): boolean {
    return this.engineReady;
  }

  /** Whether an index is stored for this workspace. */
  stored(): boolean {
    return existsSync(indexStorage(this.context).fsPath);
  }

  scan(rebuild = false): Promise<void> {
    return this.scheduler.scan({ rebuild, background: false });
  }

  cancel(): void {
    this.scheduler.cancel();
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async execute({ rebuild, background }: ScanRequest, signal: AbortSignal): Promise<IndexStatus> {
    const settings = readIndexSettings(this.log);
    const { files, tooLarge, capped, missing } = await findIndexFiles(settings);
    if (missing.length > 0) this.log.warn(`feature index: mechlens.featureIndex.files names paths that do not exist: ${missing.join(', ')}`);
    if (tooLarge.length > 0) this.log.info(`feature index: left out ${tooLarge.length} files over ${settings.maxFileKB} KB (mechlens.featureIndex.maxFileKB), e.g. ${tooLarge.slice(0, 3).join(', ')}`);
    if (capped) this.log.warn(`feature index: the include pattern matched more files than the index takes; only the first ones are scanned (narrow mechlens.featureIndex.include)`);
    const storage = indexStorage(this.context);
    await vscode.workspace.fs.createDirectory(storageRoot(this.context)); // the engine makes feature-index/ in it
    const title = rebuild ? 'MechLens: rebuilding the feature index' : 'MechLens: scanning the feature index';
    const location = background ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
    const status = await vscode.window.withProgress({ location, title, cancellable: !background }, async (progress, token) => {
      token.onCancellationRequested(() => this.scheduler.cancel());
      let reported = 0;
      progress.report({ message: `planning ${files.length} files (the model loads first if need be)…` });
      return runScan(
        this.request,
        { storageDir: storage.fsPath, files, rebuild },
        {
          signal,
          onStatus: (status) => {
            this.listeners.onStatus(status);
            const percent = status.filesTotal > 0 ? (100 * status.filesDone) / status.filesTotal : 0;
            progress.report({ increment: Math.max(0, percent - reported), message: `${status.filesDone} of ${status.filesTotal} files` });
            reported = Math.max(reported, percent);
          },
        },
      );
    });
    if (!background) for (const failure of status.failures.slice(0, 20)) this.log.warn(`feature index: ${failure.file}: ${failure.message}`);
    this.listeners.onScanned(status);
    return status;
  }
}
