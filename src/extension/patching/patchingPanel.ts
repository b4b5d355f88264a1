import * as vscode from 'vscode';
import { readRun } from '../../engine/patching/runStore';
import { isPatchingFromWebview, type PatchingRunView, type PatchingToWebview } from '../../protocol/patchingMessages';
import { answerExport, exportBase } from '../exportFiles';
import { makeNonce, pageAssets } from '../webviewHtml';
import { patchingHtml } from './patchingHtml';
import { exportText, runView } from './runView';

/**
 * The results panels: one per run file (opening a run again reveals its panel), each reading the
 * file itself (nothing is recomputed) and saving exports through the editor's save dialog.
 */
export class PatchingPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; view: PatchingRunView; selectedCell?: number }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens the run file in its panel (read afresh); throws the file's problem when it cannot be read. */
  open(file: string): void {
    const view = runView(readRun(file));
    const existing = this.panels.get(file);
    if (existing) {
      existing.view = view;
      existing.panel.reveal(undefined, true);
      this.post(existing.panel, { type: 'show', run: view });
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('mechlens.patching', `Patching: ${view.sweep}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [root], retainContextWhenHidden: true });
    const uri = (name: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    panel.webview.html = patchingHtml({ cspSource: panel.webview.cspSource, nonce: makeNonce(), uris: pageAssets('patching', uri) });
    const entry: { panel: vscode.WebviewPanel; view: PatchingRunView; selectedCell?: number } = { panel, view };
    this.panels.set(file, entry);
    panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(file, message));
    panel.onDidDispose(() => this.panels.delete(file));
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
  }

  private async receive(file: string, message: unknown): Promise<void> {
    const entry = this.panels.get(file);
    if (!entry) return;
    if (!isPatchingFromWebview(message)) {
      this.log.warn('Activation patching: ignored a malformed message from the panel');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.post(entry.panel, { type: 'show', run: entry.view });
        break;
      case 'selectCell':
        entry.selectedCell = message.cell;
        break;
      default:
        await answerExport(exportBase(file), message, (format) => exportText(entry.view, format), (reply) => this.post(entry.panel, reply), this.log, 'Activation patching');
    }
  }

  private post(panel: vscode.WebviewPanel, message: PatchingToWebview): void {
    void panel.webview.postMessage(message);
  }
}
