import * as vscode from 'vscode';
import type { HostToFeaturesView } from '../../protocol/featureIndex';
import { makeNonce, pageAssets } from '../webviewHtml';
import { FEATURES_ENTRY, featuresViewHtml } from './featureHtml';
import { FEATURES_VIEW } from './featureLinks';
import { FeaturesViewController, type FeaturesViewDeps } from './featuresViewController';

/** The Features view in the MechLens side bar: its webview, with the logic in FeaturesViewController. */
export class FeaturesViewProvider implements vscode.WebviewViewProvider {
  readonly controller: FeaturesViewController;
  private view: vscode.WebviewView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    deps: Omit<FeaturesViewDeps, 'post'>,
  ) {
    this.controller = new FeaturesViewController({ ...deps, post: (message) => this.post(message) });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    const uri = (name: string) => view.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    view.webview.html = featuresViewHtml({ cspSource: view.webview.cspSource, nonce: makeNonce(), uris: pageAssets(FEATURES_ENTRY, uri) });
    view.webview.onDidReceiveMessage((message: unknown) => void this.controller.receive(message));
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
      this.controller.detach();
    });
    this.view = view;
  }

  register(): vscode.Disposable {
    return vscode.window.registerWebviewViewProvider(FEATURES_VIEW, this, { webviewOptions: { retainContextWhenHidden: true } });
  }

  private post(message: HostToFeaturesView): void {
    void this.view?.webview.postMessage(message);
  }
}
