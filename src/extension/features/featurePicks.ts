import * as vscode from 'vscode';
import type { SaeSummary } from '../../protocol/engineProtocol';
import type { FeatureRef } from '../../protocol/featureIndex';
import { parseFeatureIndex } from './featureLinks';

/** The quick picks the feature commands share: an SAE of the loaded ones, and a feature of it. */

/** One of the loaded SAEs (no question when there is one); undefined when none is loaded (said) or the user stepped out. */
export async function pickSae(saes: readonly SaeSummary[], title: string, placeHolder: string): Promise<SaeSummary | undefined> {
  if (saes.length === 0) {
    void vscode.window.showInformationMessage('MechLens: no SAE is loaded; add one in the mechlens.sae.paths setting.');
    return undefined;
  }
  if (saes.length === 1) return saes[0];
  const picked = await vscode.window.showQuickPick(
    saes.map((sae) => ({ label: sae.hookName, description: `${sae.dSae} features · ${sae.architecture}`, detail: sae.path, sae })),
    { title, placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true },
  );
  return picked?.sae;
}

/** An SAE and a feature index typed by the user. */
export async function pickFeature(saes: readonly SaeSummary[], title: string): Promise<FeatureRef | undefined> {
  const sae = await pickSae(saes, title, 'the SAE whose feature to open');
  if (!sae) return undefined;
  const text = await vscode.window.showInputBox({
    title,
    prompt: `feature index at ${sae.hookName} (0–${sae.dSae - 1})`,
    ignoreFocusOut: true,
    validateInput: (value) => (parseFeatureIndex(value, sae.dSae) === undefined ? `give a feature index from 0 to ${sae.dSae - 1}, e.g. 42` : undefined),
  });
  const index = text === undefined ? undefined : parseFeatureIndex(text, sae.dSae);
  return index === undefined ? undefined : { saeId: sae.id, index };
}
