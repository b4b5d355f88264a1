import * as vscode from 'vscode';
import type { SaeSummary } from '../../protocol/engineProtocol';
import type { FeatureLabel, FeatureRef } from '../../protocol/featureIndex';
import { showRunError } from '../runCommandParts';
import type { EngineRequest } from './engineRequest';
import { CANCEL_FEATURE_SCAN_COMMAND, EDIT_FEATURE_LABEL_COMMAND, IMPORT_LABELS_COMMAND, OPEN_FEATURE_PAGE_COMMAND, REBUILD_FEATURE_INDEX_COMMAND, SCAN_FEATURE_INDEX_COMMAND, toFeatureRef } from './featureLinks';
import type { FeaturePages } from './featurePages';
import { pickFeature } from './featurePicks';
import type { FeatureScanning } from './featureScanning';

export interface FeatureCommandDeps {
  request: EngineRequest;
  loadSaes: () => Promise<SaeSummary[]>;
  pages: FeaturePages;
  scanning: FeatureScanning;
  /** Starts a scan (or says why not). */
  scan: (rebuild: boolean) => void;
  saveLabel: (feature: FeatureRef, text: string) => Promise<void>;
  importLabels: () => Promise<void>;
}

/** The feature from the arguments (`{saeId, index}`, or saeId and index), else asked for; undefined when the user stepped out. */
async function featureArgument(deps: FeatureCommandDeps, args: unknown[], title: string): Promise<FeatureRef | undefined> {
  if (args.length > 0 && args[0] !== undefined) {
    const feature = toFeatureRef(args[0]) ?? toFeatureRef({ saeId: args[0], index: args[1] });
    if (!feature) void vscode.window.showErrorMessage(`MechLens: ${title} needs a feature as {saeId, index}; it got ${JSON.stringify(args[0])?.slice(0, 80)}.`);
    return feature;
  }
  try {
    return await pickFeature(await deps.loadSaes(), title);
  } catch (error) {
    showRunError(title, error);
    return undefined;
  }
}

/** The label now in effect: the open page's, else the index list's; undefined when it cannot be told. */
async function currentLabel(deps: FeatureCommandDeps, feature: FeatureRef): Promise<{ known: boolean; label?: FeatureLabel }> {
  const page = deps.pages.controller(feature)?.current;
  if (page) return { known: true, label: page.label };
  try {
    const list = await deps.request('index/list', { saeId: feature.saeId });
    return { known: true, label: list.rows.find((r) => r.index === feature.index)?.label };
  } catch {
    return { known: false };
  }
}

/** MechLens: Edit Feature Label: for the given feature, the page in view, or one asked for. Empty text removes the label (after a confirmation). */
async function editLabel(deps: FeatureCommandDeps, args: unknown[]): Promise<void> {
  const feature = args.length > 0 ? await featureArgument(deps, args, 'Edit Feature Label') : (deps.pages.activeFeature() ?? (await featureArgument(deps, [], 'Edit Feature Label')));
  if (!feature) return;
  const { known, label } = await currentLabel(deps, feature);
  const before = label?.kind === 'provisional' ? '' : (label?.text ?? '');
  const text = await vscode.window.showInputBox({
    title: `Label of feature #${feature.index}`,
    prompt: label?.kind === 'provisional' ? `now a provisional label from its top tokens: ${label.text}` : 'what the feature stands for; empty removes the label',
    value: before,
    ignoreFocusOut: true,
  });
  if (text === undefined || (known && text.trim() === before.trim())) return;
  if (text.trim() === '') {
    const remove = 'Remove Label';
    const answer = await vscode.window.showWarningMessage(`Remove the label of feature #${feature.index}${label ? ` (${label.text})` : ''}?`, { modal: true }, remove);
    if (answer !== remove) return;
  }
  await deps.saveLabel(feature, text);
}

async function rebuild(deps: FeatureCommandDeps): Promise<void> {
  const confirm = 'Rebuild';
  const answer = await vscode.window.showWarningMessage('Rebuild the feature index?', { modal: true, detail: 'The stored index is dropped and every file is scanned again. Labels are kept.' }, confirm);
  if (answer === confirm) deps.scan(true);
}

/** Open Feature Page, Scan / Cancel / Rebuild Feature Index, Import Feature Labels…, Edit Feature Label. */
export function registerFeatureCommands(deps: FeatureCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(OPEN_FEATURE_PAGE_COMMAND, async (...args: unknown[]) => {
      const feature = await featureArgument(deps, args, 'Open Feature Page');
      if (feature) deps.pages.open(feature);
    }),
    vscode.commands.registerCommand(SCAN_FEATURE_INDEX_COMMAND, () => deps.scan(false)),
    vscode.commands.registerCommand(CANCEL_FEATURE_SCAN_COMMAND, () => {
      if (deps.scanning.scheduler.scanning) deps.scanning.cancel();
      else void vscode.window.showInformationMessage('MechLens: no feature scan is running.');
    }),
    vscode.commands.registerCommand(REBUILD_FEATURE_INDEX_COMMAND, () => rebuild(deps)),
    vscode.commands.registerCommand(IMPORT_LABELS_COMMAND, () => deps.importLabels()),
    vscode.commands.registerCommand(EDIT_FEATURE_LABEL_COMMAND, (...args: unknown[]) => editLabel(deps, args)),
  );
}
