import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExportRequest } from '../../protocol/exportMessages';
import { isWebviewToExtension, type ExtensionToWebview, type FeatureSelection, type InspectSource } from '../../protocol/inspectMessages';
import type { InspectResult } from '../../protocol/inspectResult';
import { describeError, type EngineHost } from '../engineHost';
import { answerExport } from '../exportFiles';
import { OPEN_FEATURE_PAGE_COMMAND } from '../features/featureLinks';
import { RUN_SUBSPACE_COMMAND, type SubspacePreset } from '../subspace/subspacePreset';
import { makeNonce, pageAssets } from '../webviewHtml';
import type { FeatureHighlighter } from './featureHighlighter';
import { tokenHighlights } from './highlightStyle';
import { inspectExportName, inspectExportText } from './inspectExport';
import { inspectHtml } from './inspectHtml';

/** What was inspected: the text, where it sits in its document, and the engine's answer. */
export interface Inspection {
  /** The document and offset of the text's first character; absent when the text is not the document's characters one for one. */
  anchor?: { uri: vscode.Uri; baseOffset: number };
  text: string;
  source: InspectSource;
  result: InspectResult;
}

/**
 * The one Inspect Features panel: shows the latest inspection (or its progress or error), and
 * answers a click on a feature with its activation at every token and a highlight in the editor.
 * The page is rebuilt when VS Code reloads it; it asks for its state again with `ready`.
 */
export class InspectPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private view: ExtensionToWebview | undefined;
  private selection: FeatureSelection | undefined;
  private inspection: Inspection | undefined;
  /** Bumped by every new inspection, so late answers for an old one are dropped. */
  private generation = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: EngineHost,
    private readonly highlighter: FeatureHighlighter,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens (or reveals) the panel showing that `source` is being inspected; returns the inspection's generation. */
  startLoading(source: InspectSource): number {
    this.highlighter.clear();
    this.inspection = undefined;
    this.selection = undefined;
    this.ensurePanel();
    this.setView({ type: 'loading', source });
    return ++this.generation;
  }

  show(generation: number, inspection: Inspection): void {
    if (generation !== this.generation || !this.panel) return;
    this.inspection = inspection;
    this.setView({ type: 'show', source: inspection.source, result: inspection.result });
  }

  showError(generation: number, message: string): void {
    if (generation !== this.generation || !this.panel) return;
    this.setView({ type: 'error', message });
  }

  clearHighlight(): void {
    this.highlighter.clear();
    if (this.selection) this.selection = { ...this.selection, highlighted: false, note: 'Highlight cleared.' };
    this.post({ type: 'cleared' });
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private ensurePanel(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('mechlens.inspect', 'Inspect Features', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [root] });
    const uri = (name: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    panel.webview.html = inspectHtml({ cspSource: panel.webview.cspSource, nonce: makeNonce(), uris: pageAssets('inspect', uri) });
    panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.view = undefined;
      this.selection = undefined;
      this.inspection = undefined;
      this.generation++;
      this.highlighter.clear();
    });
    this.panel = panel;
  }

  private receive(message: unknown): void {
    if (!isWebviewToExtension(message)) {
      this.log.warn('Inspect Features: ignored a malformed message from the panel');
      return;
    }
    switch (message.type) {
      case 'ready':
        if (this.view) this.post(this.view);
        if (this.selection) this.post({ type: 'feature', ...this.selection });
        break;
      case 'selectFeature':
        void this.selectFeature(message.saeId, message.feature);
        break;
      case 'clearHighlight':
        this.clearHighlight();
        break;
      case 'useAsSubspace':
        this.useAsSubspace(message.saeId, message.feature);
        break;
      case 'openFeaturePage':
        void vscode.commands.executeCommand(OPEN_FEATURE_PAGE_COMMAND, { saeId: message.saeId, index: message.feature });
        break;
      default:
        void this.export(message);
    }
  }

  /** Saves the shown inspection as CSV, JSON or the heatmap's PNG, offered in the workspace's .mechlens/exports. */
  private async export(request: ExportRequest): Promise<void> {
    const inspection = this.inspection;
    if (!inspection) return;
    const folder = (inspection.anchor && vscode.workspace.getWorkspaceFolder(inspection.anchor.uri)) ?? vscode.workspace.workspaceFolders?.[0];
    const exports = folder ? join(folder.uri.fsPath, '.mechlens', 'exports') : homedir();
    // The save dialog opens in the folder it offers: make sure it is there.
    if (folder) await vscode.workspace.fs.createDirectory(vscode.Uri.file(exports));
    const base = join(exports, inspectExportName(inspection.source));
    await answerExport(base, request, (format) => inspectExportText(inspection, format), (reply) => this.post(reply), this.log, 'Inspect Features');
  }

  /** Starts MechLens: Run Subspace Intervention… with the SAE's hook and this feature's decoder direction as the source. */
  private useAsSubspace(saeId: string, feature: number): void {
    const sae = this.inspection?.result.saes.find((s) => s.saeId === saeId);
    if (!sae) return;
    const preset: SubspacePreset = { hook: sae.hookName, source: { kind: 'sae-features', saeId, features: [feature] } };
    void vscode.commands.executeCommand(RUN_SUBSPACE_COMMAND, this.inspection?.anchor?.uri, undefined, preset);
  }

  /** The feature's activation at every token (from the columns, or the engine), highlighted in the editor. */
  async selectFeature(saeId: string, feature: number): Promise<void> {
    const inspection = this.inspection;
    const generation = this.generation;
    const sae = inspection?.result.saes.find((s) => s.saeId === saeId);
    if (!inspection || !sae) return;
    const column = sae.features.findIndex((f) => f.index === feature);
    const label = sae.features[column]?.label ?? sae.topFeatures.flat().find((f) => f.index === feature)?.label;
    let activations: number[];
    try {
      activations = column >= 0 ? sae.activations.map((row) => row[column]) : (await this.engine.request('sae/inspectFeature', { saeId, text: inspection.text, feature })).activations;
    } catch (error) {
      this.post({ type: 'error', message: `MechLens: ${describeError(error)}` });
      return;
    }
    if (generation !== this.generation) return;
    const note = await this.highlight(inspection, sae.hookName, feature, label, activations);
    this.selection = { saeId, feature, label, activations, highlighted: note === undefined, note };
    this.post({ type: 'feature', ...this.selection });
  }

  /** Highlights the feature over the inspected text; says why not when the text is gone or changed. */
  private async highlight(inspection: Inspection, hookName: string, feature: number, label: string | undefined, activations: number[]): Promise<string | undefined> {
    const { anchor } = inspection;
    if (!anchor) {
      this.highlighter.clear();
      return 'This text is not in the document character for character (a quoted value), so it cannot be highlighted there.';
    }
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(anchor.uri);
    } catch {
      this.highlighter.clear();
      return 'The inspected document is no longer open, so nothing is highlighted.';
    }
    const start = document.positionAt(anchor.baseOffset);
    const end = document.positionAt(anchor.baseOffset + inspection.text.length);
    if (document.getText(new vscode.Range(start, end)) !== inspection.text) {
      this.highlighter.clear();
      return 'The text changed since it was inspected: run Inspect Features again to highlight it.';
    }
    const name = label === undefined ? `#${feature}` : `#${feature} ${label}`;
    this.highlighter.show(document, anchor.baseOffset, tokenHighlights(inspection.result.tokens, activations), (h) => `MechLens: feature ${name} at ${hookName}: activation ${h.activation.toFixed(3)}`);
    return undefined;
  }

  private setView(view: ExtensionToWebview): void {
    this.view = view;
    this.post(view);
  }

  private post(message: ExtensionToWebview): void {
    void this.panel?.webview.postMessage(message);
  }
}
