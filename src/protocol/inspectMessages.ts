/**
 * Messages between the Inspect Features webview and the extension host (postMessage). Both sides
 * check what they receive with these validators before acting on it. Imports only src/protocol.
 */
import { isExportRequest, type ExportRequest } from './exportMessages';
import { isInspectResult, type InspectResult } from './inspectResult';

/** Where the inspected text came from, for the panel's heading. */
export interface InspectSource {
  /** The document's file name (no folders). */
  name: string;
  /** 1-based line of the text's start. */
  line: number;
  /** What the caller calls the text (e.g. a prompt case and field), when it names it. */
  title?: string;
}

/** One feature's activation at each text token, and whether the editor now highlights it. */
export interface FeatureSelection {
  saeId: string;
  feature: number;
  label?: string;
  activations: number[];
  highlighted: boolean;
  /** Why the editor does not highlight it (the text changed, the editor closed…). */
  note?: string;
}

export type ExtensionToWebview =
  | { type: 'loading'; source: InspectSource }
  | { type: 'show'; source: InspectSource; result: InspectResult }
  | { type: 'error'; message: string }
  | ({ type: 'feature' } & FeatureSelection)
  | { type: 'cleared' }
  | { type: 'exported'; message: string };

export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'selectFeature'; saeId: string; feature: number }
  | { type: 'clearHighlight' }
  | { type: 'useAsSubspace'; saeId: string; feature: number }
  | { type: 'openFeaturePage'; saeId: string; feature: number }
  | ExportRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSource(value: unknown): value is InspectSource {
  return isRecord(value) && typeof value.name === 'string' && Number.isInteger(value.line) && (value.title === undefined || typeof value.title === 'string');
}

function isFeatureRef(value: Record<string, unknown>): boolean {
  return typeof value.saeId === 'string' && Number.isInteger(value.feature) && (value.feature as number) >= 0;
}

export function isWebviewToExtension(value: unknown): value is WebviewToExtension {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
    case 'clearHighlight':
      return true;
    case 'selectFeature':
    case 'useAsSubspace':
    case 'openFeaturePage':
      return isFeatureRef(value);
    default:
      return isExportRequest(value);
  }
}

export function isExtensionToWebview(value: unknown): value is ExtensionToWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'loading':
      return isSource(value.source);
    case 'show':
      return isSource(value.source) && isInspectResult(value.result);
    case 'error':
    case 'exported':
      return typeof value.message === 'string';
    case 'feature':
      return (
        isFeatureRef(value) &&
        Array.isArray(value.activations) &&
        value.activations.every((a) => typeof a === 'number') &&
        typeof value.highlighted === 'boolean' &&
        (value.label === undefined || typeof value.label === 'string') &&
        (value.note === undefined || typeof value.note === 'string')
      );
    case 'cleared':
      return true;
    default:
      return false;
  }
}
