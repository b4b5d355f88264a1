import * as vscode from 'vscode';
import type { FeatureLabel, FeatureRef } from '../../protocol/featureIndex';
import type { EngineHost } from '../engineHost';
import { showRunError } from '../runCommandParts';
import type { EngineRequest } from './engineRequest';
import { registerFeatureCommands } from './featureCommands';
import { FeaturePages } from './featurePages';
import { FeatureScanning } from './featureScanning';
import { FeaturesViewProvider } from './featuresView';
import { importLabels } from './importLabelsCommand';
import { LabelsFile } from './labelsFile';

/**
 * The feature browser: the Features view, the feature pages, the index's scans and the labels file,
 * wired to the engine. A label change reaches the list, the pages and the hovers (whose cached
 * analyses hold labels).
 */
export function registerFeatureBrowser(context: vscode.ExtensionContext, engine: EngineHost, log: vscode.LogOutputChannel): vscode.Disposable {
  const request: EngineRequest = (method, params, options) => engine.request(method, params, options);
  const loadSaes = async () => (await engine.ensureLoaded()).saes;
  const labels = new LabelsFile(request, log);

  const labelChanged = (feature: FeatureRef, label: FeatureLabel | undefined) => {
    pages.labelChanged(feature, label);
    engine.analyses.clear();
    void view.controller.refreshList();
  };
  const pages = new FeaturePages(context.extensionUri, { request, log, prepareLabels: async () => void (await labels.sync()), labelChanged });
  const scanning = new FeatureScanning(context, request, log, {
    onStatus: (status) => view.controller.setStatus(status),
    onScanned: (status) => {
      void view.controller.refreshList();
      if (status?.state === 'ready') pages.reloadAll();
    },
  });
  const scan = (rebuild: boolean) => {
    if (!vscode.workspace.workspaceFolders?.some((f) => f.uri.scheme === 'file')) {
      void vscode.window.showInformationMessage('MechLens: open a folder first; the feature index scans its text files (mechlens.featureIndex.include).');
      return;
    }
    void scanning.scan(rebuild);
  };
  const view: FeaturesViewProvider = new FeaturesViewProvider(context.extensionUri, {
    request,
    loadSaes,
    openFeature: (feature) => pages.open(feature),
    scan: () => scan(false),
    cancelScan: () => scanning.cancel(),
    indexStored: () => scanning.stored(),
    scanning: () => scanning.scheduler.scanning,
    warn: (message) => log.warn(message),
  });

  const saveLabel = async (feature: FeatureRef, text: string) => {
    const page = pages.controller(feature);
    if (page) {
      await page.saveLabel(text);
      return;
    }
    try {
      await labels.sync();
      const { label } = await request('labels/set', { ...feature, text: text.trim() });
      labelChanged(feature, label);
    } catch (error) {
      showRunError(`saving the label of feature #${feature.index}`, error);
    }
  };
  const afterLoad = async () => {
    await labels.syncQuietly();
    engine.analyses.clear(); // hovers analysed before the engine knew the labels file
    void view.controller.refreshList();
  };

  return vscode.Disposable.from(
    pages,
    scanning,
    view.register(),
    registerFeatureCommands({
      request,
      loadSaes,
      pages,
      scanning,
      scan,
      saveLabel,
      importLabels: () =>
        importLabels({
          request,
          loadSaes,
          labels,
          log,
          onImported: () => {
            engine.analyses.clear();
            void view.controller.refreshList();
            pages.reloadAll();
          },
        }),
    }),
    engine.onDidChangeState((state) => {
      scanning.setEngineReady(state.kind === 'ready');
      if (state.kind === 'ready') {
        view.controller.setSaes(state.saes);
        void afterLoad();
      } else if (state.kind === 'idle') void view.controller.reset();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mechlens.labels.file') && scanning.engineIsReady) void afterLoad();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (scanning.engineIsReady) void afterLoad();
    }),
  );
}
