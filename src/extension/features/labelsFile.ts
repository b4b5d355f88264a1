import * as vscode from 'vscode';
import type { EngineRequest } from './engineRequest';
import { labelsFilePath } from './indexSettings';
import { readIndexSettings } from './indexWorkspace';

/**
 * Where labels written in MechLens are saved: mechlens.labels.file in the first workspace folder.
 * The engine is told ('labels/setFile') after each load and before each label is written.
 */
export class LabelsFile {
  constructor(
    private readonly request: EngineRequest,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The labels file's absolute path; undefined without a workspace folder on disk. */
  path(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    return folder && labelsFilePath(folder.uri.fsPath, readIndexSettings(this.log).labelsFile);
  }

  /** Tells the engine the labels file; throws, saying what to do, when there is no workspace folder. */
  async sync(): Promise<string> {
    const path = this.path();
    if (!path) throw new Error('open a folder first: labels written in MechLens are saved in it (mechlens.labels.file)');
    await this.request('labels/setFile', { path });
    return path;
  }

  /** After a load or a settings change: tells the engine, and says so when the file cannot be used. Resolves to whether it could. */
  async syncQuietly(): Promise<boolean> {
    if (!this.path()) {
      this.log.info('labels: no workspace folder, so labels written in MechLens are not saved');
      return false;
    }
    try {
      const path = await this.sync();
      this.log.info(`labels: saved in ${path}`);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`labels: ${message}`);
      void vscode.window.showWarningMessage(`MechLens could not use the labels file ${this.path()}: ${message}`);
      return false;
    }
  }
}
