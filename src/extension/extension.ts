import * as vscode from 'vscode';
import { registerLoadModel } from './commands/loadModel';
import { registerOpenSamples } from './commands/openSamples';
import { EngineHost } from './engineHost';
import { registerFeatureBrowser } from './features/featureBrowser';
import { TokenHoverProvider } from './hovers/tokenHoverProvider';
import { registerInspectFeatures } from './inspect/inspectCommand';
import { PatchingPanels } from './patching/patchingPanel';
import { registerRunPatching } from './patching/runPatchingCommand';
import { registerRunsView } from './patching/runsView';
import { registerRunSubspace } from './subspace/runSubspaceCommand';
import { SubspacePanels } from './subspace/subspacePanel';
import { CaseCodeLensProvider } from './promptFiles/caseCodeLens';
import { registerPromptDiagnostics } from './promptFiles/promptDiagnostics';
import { createStatusBar } from './statusBar';

/**
 * Wires the services; loads nothing heavy. The engine process starts on the first hover or
 * command, and the model loads then.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('MechLens', { log: true });
  const engine = new EngineHost(context.extensionPath, log);
  const patchingPanels = new PatchingPanels(context.extensionUri, log);
  const subspacePanels = new SubspacePanels(context.extensionUri, log);
  context.subscriptions.push(
    log,
    engine,
    createStatusBar(engine),
    registerLoadModel(engine),
    registerOpenSamples(context.extensionPath, log),
    vscode.commands.registerCommand('mechlens.showLog', () => log.show()),
    registerInspectFeatures(context, engine, log),
    patchingPanels,
    registerRunPatching(engine, patchingPanels),
    subspacePanels,
    registerRunSubspace(engine, subspacePanels),
    registerRunsView(patchingPanels, subspacePanels),
    registerFeatureBrowser(context, engine, log),
    vscode.languages.registerHoverProvider({ language: 'mechlens-prompts' }, new TokenHoverProvider(engine)),
    vscode.languages.registerCodeLensProvider({ language: 'mechlens-prompts' }, new CaseCodeLensProvider()),
    registerPromptDiagnostics(),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mechlens.model') || event.affectsConfiguration('mechlens.sae') || event.affectsConfiguration('mechlens.engine')) engine.reset();
    }),
  );
}

export function deactivate(): void {}
