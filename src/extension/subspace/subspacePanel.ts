import * as vscode from 'vscode';
import { readSubspaceRun } from '../../engine/subspace/runStore';
import { isSubspaceFromWebview, type SubspaceRunView, type SubspaceToWebview } from '../../protocol/subspaceMessages';
import { answerExport, exportBase } from '../exportFiles';
import { makeNonce, pageAssets } from '../webviewHtml';
import { subspaceHtml } from './subspaceHtml';
import { subspaceExportText, subspaceRunView } from './subspaceView';

/** The subspace report panels: one per run file (opening it again reveals it), each reading the file itself (nothing is recomputed) and saving exports through the editor's save dialog. */
export class SubspacePanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; view: SubspaceRunView }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens the run file in its panel (read afresh); throws the file's problem when it cannot be read. */
  open(file: string): void {
    const view = subspaceRunView(readSubspaceRun(file));
    const existing = this.panels.get(file);
    if (existing) {
      existing.view = view;
      existing.panel.reveal(undefined, true);
      this.post(existing.panel, { type: 'show', run: view });
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const title = view.report ? `Subspace: ${view.report.site.label}` : `Subspace: ${view.id}`;
    const panel = vscode.window.createWebviewPanel('mechlens.subspace', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [root], retainContextWhenHidden: true });
    const uri = (name: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    panel.webview.html = subspaceHtml({ cspSource: panel.webview.cspSource, nonce: makeNonce(), uris: pageAssets('subspace', uri) });
    const entry = { panel, view };
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
    if (!isSubspaceFromWebview(message)) {
      this.log.warn('Subspace report: ignored a malformed message from the panel');
      return;
    }
    if (message.type === 'ready') {
      this.post(entry.panel, { type: 'show', run: entry.view });
      return;
    }
    await answerExport(exportBase(file), message, (format) => subspaceExportText(entry.view, format), (reply) => this.post(entry.panel, reply), this.log, 'Subspace report');
  }

  private post(panel: vscode.WebviewPanel, message: SubspaceToWebview): void {
    void panel.webview.postMessage(message);
  }
}
