import { basename, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { ContextSource, FeatureLabel, FeatureRef, HostToFeaturePage } from '../../protocol/featureIndex';
import { INSPECT_COMMAND } from '../inspect/inspectCommand';
import { showRunError } from '../runCommandParts';
import { RUN_SUBSPACE_COMMAND, type SubspacePreset } from '../subspace/subspacePreset';
import { makeNonce, pageAssets } from '../webviewHtml';
import { locateContext } from './contextLocation';
import { describeError } from '../engineClient';
import type { EngineRequest } from './engineRequest';
import { FEATURE_PAGE_ENTRY, featurePageHtml } from './featureHtml';
import { featureKey } from './featureLinks';
import { FeaturePageController, featurePageTitle } from './featurePageController';

/** Without a selection, Highlight inspects the visible lines, up to about this many characters (the model's context is short). */
const MAX_HIGHLIGHT_CHARS = 3000;

export interface FeaturePagesDeps {
  request: EngineRequest;
  log: vscode.LogOutputChannel;
  /** Before a label is written: the engine knows where labels are saved. */
  prepareLabels: () => Promise<void>;
  /** A label was saved on a page: the list and hovers show it (the pages are told here). */
  labelChanged: (feature: FeatureRef, label: FeatureLabel | undefined) => void;
}

/**
 * The feature pages: one editor panel per feature (opening it again reveals it), each showing the
 * engine's 'index/feature' page and acting on its buttons in the editor the user last worked in.
 */
export class FeaturePages implements vscode.Disposable {
  private readonly pages = new Map<string, { panel: vscode.WebviewPanel; controller: FeaturePageController }>();
  /** The text editor the user last worked in (a focused webview has none active). */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
    if (editor && isTextDocument(editor.document)) this.lastEditor = editor;
  });

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: FeaturePagesDeps,
  ) {}

  open(feature: FeatureRef): void {
    const existing = this.pages.get(featureKey(feature));
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const column = [...this.pages.values()].find((p) => p.panel.active)?.panel.viewColumn ?? [...this.pages.values()].at(-1)?.panel.viewColumn ?? vscode.ViewColumn.Beside;
    const panel = vscode.window.createWebviewPanel('mechlens.featurePage', featurePageTitle(feature.index, undefined), { viewColumn: column }, { enableScripts: true, localResourceRoots: [root] });
    const uri = (name: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    panel.webview.html = featurePageHtml({ cspSource: panel.webview.cspSource, nonce: makeNonce(), uris: pageAssets(FEATURE_PAGE_ENTRY, uri) });
    const controller = new FeaturePageController(feature, {
      request: this.deps.request,
      post: (message: HostToFeaturePage) => void panel.webview.postMessage(message),
      setTitle: (title) => (panel.title = title),
      openContext: (source, focusText) => void this.openContext(source, focusText),
      highlight: (f) => this.highlight(f),
      useAsSubspace: (f, hookName) => this.useAsSubspace(f, hookName),
      copy: (text) => void vscode.env.clipboard.writeText(text).then(() => vscode.window.setStatusBarMessage(`MechLens: feature #${feature.index} copied as JSON`, 3000)),
      openFeature: (f) => this.open(f),
      labelChanged: (f, label) => this.deps.labelChanged(f, label),
      prepareLabels: this.deps.prepareLabels,
      showError: (action, error) => showRunError(action, error),
      warn: (message) => this.deps.log.warn(message),
    });
    const key = featureKey(feature);
    this.pages.set(key, { panel, controller });
    panel.webview.onDidReceiveMessage((message: unknown) => void controller.receive(message));
    panel.onDidDispose(() => this.pages.delete(key));
    void controller.load();
  }

  /** The open page of a feature, if any. */
  controller(feature: FeatureRef): FeaturePageController | undefined {
    return this.pages.get(featureKey(feature))?.controller;
  }

  /** The page the user is looking at, if a feature page is the active editor. */
  activeFeature(): FeatureRef | undefined {
    return [...this.pages.values()].find((p) => p.panel.active)?.controller.feature;
  }

  /** A label changed: its page shows it, and the pages listing it as a neighbour. */
  labelChanged(feature: FeatureRef, label: FeatureLabel | undefined): void {
    for (const { controller } of this.pages.values()) {
      if (featureKey(controller.feature) === featureKey(feature)) controller.labelUpdated(label);
      else controller.neighbourLabelUpdated(feature, label);
    }
  }

  /** Loads every open page again (the index changed). */
  reloadAll(): void {
    for (const { controller } of this.pages.values()) void controller.load();
  }

  dispose(): void {
    this.subscription.dispose();
    for (const { panel } of [...this.pages.values()]) panel.dispose();
  }

  /** The editor to act in: the last one the user worked in if still visible, else the first visible one. */
  private targetEditor(prefer?: (editor: vscode.TextEditor) => boolean): vscode.TextEditor | undefined {
    const visible = vscode.window.visibleTextEditors.filter((e) => isTextDocument(e.document) && (!prefer || prefer(e)));
    const last = this.lastEditor;
    return (last && visible.find((e) => e.document === last.document && e.viewColumn === last.viewColumn)) ?? visible[0];
  }

  private async openContext(source: ContextSource, focusText: string | undefined): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const path = isAbsolute(source.file) ? source.file : folder ? join(folder.uri.fsPath, source.file) : undefined;
    if (!path) return void vscode.window.showErrorMessage(`MechLens: cannot open ${source.file}: open its workspace folder first.`);
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
    } catch (error) {
      return void vscode.window.showErrorMessage(`MechLens could not open ${source.file}: ${describeError(error)}`);
    }
    const range = locateContext(document.getText(), source, focusText);
    const selection = new vscode.Range(document.positionAt(range.start), document.positionAt(range.end));
    await vscode.window.showTextDocument(document, { selection, viewColumn: this.targetEditor()?.viewColumn ?? vscode.ViewColumn.Beside, preview: true });
    if (range.stale) void vscode.window.showInformationMessage(`MechLens: ${basename(path)} changed since it was scanned, so this context may have moved. Scan the feature index to update it.`);
  }

  /** Inspect Features over the selection (or the visible lines) of the last editor, with this feature selected and highlighted. */
  private highlight(feature: FeatureRef): void {
    const editor = this.targetEditor();
    if (!editor) return void vscode.window.showInformationMessage('MechLens: open the text to highlight this feature in, then click Highlight again.');
    const { document, selection } = editor;
    let range: vscode.Range = selection;
    if (selection.isEmpty) {
      const visible = editor.visibleRanges[0] ?? new vscode.Range(0, 0, Math.min(document.lineCount - 1, 50), 0);
      let end = visible.end.line;
      while (end > visible.start.line && document.offsetAt(new vscode.Position(end, 0)) - document.offsetAt(visible.start) > MAX_HIGHLIGHT_CHARS) end--;
      range = new vscode.Range(visible.start.line, 0, end, document.lineAt(end).text.length);
    }
    if (document.getText(range).trim() === '') return void vscode.window.showInformationMessage('MechLens: there is no text to highlight in the editor; select some first.');
    const title = selection.isEmpty ? `lines ${range.start.line + 1}–${range.end.line + 1}` : 'selection';
    void vscode.commands.executeCommand(INSPECT_COMMAND, document.uri, range, { title, feature });
  }

  /** MechLens: Run Subspace Intervention… on this feature's decoder direction, on the prompt file the user last worked in. */
  private useAsSubspace(feature: FeatureRef, hookName: string): void {
    const preset: SubspacePreset = { hook: hookName, source: { kind: 'sae-features', saeId: feature.saeId, features: [feature.index] } };
    const prompts = this.targetEditor((e) => e.document.languageId === 'mechlens-prompts');
    void vscode.commands.executeCommand(RUN_SUBSPACE_COMMAND, prompts?.document.uri, undefined, preset);
  }
}

function isTextDocument(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' || document.uri.scheme === 'untitled';
}
