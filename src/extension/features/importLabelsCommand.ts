import * as vscode from 'vscode';
import type { SaeSummary } from '../../protocol/engineProtocol';
import { showRunError } from '../runCommandParts';
import type { EngineRequest } from './engineRequest';
import { importSummaryMessage } from './importSummary';
import type { LabelsFile } from './labelsFile';
import { pickSae } from './featurePicks';

export interface ImportLabelsDeps {
  request: EngineRequest;
  loadSaes: () => Promise<SaeSummary[]>;
  labels: LabelsFile;
  log: vscode.LogOutputChannel;
  /** Labels of this SAE changed: the list, hovers and pages show them. */
  onImported: (saeId: string) => void;
}

/**
 * MechLens: Import Feature Labels… — Neuronpedia or SAEDashboard exports (.jsonl, .jsonl.gz, .json)
 * for one loaded SAE, saved into the workspace labels file; says how many were imported and why
 * lines were skipped.
 */
export async function importLabels(deps: ImportLabelsDeps): Promise<void> {
  if (!deps.labels.path()) {
    void vscode.window.showErrorMessage('MechLens: open a folder first; imported labels are saved in its labels file (mechlens.labels.file).');
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: true,
    filters: { 'Label exports (.jsonl, .jsonl.gz, .json)': ['jsonl', 'gz', 'json'] },
    openLabel: 'Import',
    title: 'Import Feature Labels',
  });
  if (!picked || picked.length === 0) return;
  try {
    const sae = await pickSae(await deps.loadSaes(), 'Import Feature Labels: SAE', 'the SAE these labels describe');
    if (!sae) return;
    const summary = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `MechLens: importing feature labels for ${sae.hookName}` }, async () => {
      await deps.labels.sync();
      return deps.request('labels/import', { saeId: sae.id, files: picked.map((uri) => uri.fsPath) });
    });
    for (const reason of summary.reasons) deps.log.warn(`label import: skipped ${reason}`);
    const { severity, message } = importSummaryMessage(summary, sae.hookName);
    if (severity === 'warning') void vscode.window.showWarningMessage(message);
    else void vscode.window.showInformationMessage(message);
    deps.onImported(sae.id);
  } catch (error) {
    showRunError('the label import', error);
  }
}
