import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { EngineHost, EngineState } from './engineHost';

/** The status-bar item: the loaded model and SAEs, or what the engine is doing; click to switch models. */
export function createStatusBar(engine: EngineHost): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('mechlens.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'MechLens';
  item.command = 'mechlens.loadModel';
  const show = (state: EngineState) => {
    switch (state.kind) {
      case 'idle':
        item.text = '$(telescope) MechLens';
        item.tooltip = 'MechLens: no model loaded yet (hover a prompt, or click to choose a model)';
        break;
      case 'loading':
        item.text = '$(loading~spin) MechLens';
        item.tooltip = 'MechLens: loading the model and SAEs…';
        break;
      case 'ready':
        item.text = `$(telescope) ${basename(state.model.dir)} · ${state.saes.length} SAE${state.saes.length === 1 ? '' : 's'}`;
        item.tooltip = `MechLens: ${state.model.modelType}, ${state.model.nLayers} layers, from ${state.model.dir}\nSAEs: ${state.saes.map((s) => s.hookName).join(', ') || 'none'}\nClick to choose another model.`;
        break;
      case 'failed':
        item.text = '$(error) MechLens';
        item.tooltip = `MechLens: ${state.message}\nClick to choose another model.`;
        break;
    }
  };
  show({ kind: 'idle' });
  item.show();
  const subscription = engine.onDidChangeState(show);
  return vscode.Disposable.from(item, subscription);
}
