import type { FeatureRef } from '../../protocol/featureIndex';

/**
 * The feature browser's command names and how a feature travels as a command argument
 * (`{saeId, index}`, as hover links and other panels pass it). Pure (no vscode).
 */
export const OPEN_FEATURE_PAGE_COMMAND = 'mechlens.openFeaturePage';
export const SCAN_FEATURE_INDEX_COMMAND = 'mechlens.scanFeatureIndex';
export const CANCEL_FEATURE_SCAN_COMMAND = 'mechlens.cancelFeatureScan';
export const REBUILD_FEATURE_INDEX_COMMAND = 'mechlens.rebuildFeatureIndex';
export const IMPORT_LABELS_COMMAND = 'mechlens.importLabels';
export const EDIT_FEATURE_LABEL_COMMAND = 'mechlens.editFeatureLabel';

/** The Features view in the MechLens activity-bar container. */
export const FEATURES_VIEW = 'mechlens.features';

/** A feature from a command argument: `{saeId, index}`, or undefined when it is missing or malformed. */
export function toFeatureRef(value: unknown): FeatureRef | undefined {
  const o = value as { saeId?: unknown; index?: unknown } | null;
  if (typeof o !== 'object' || o === null) return undefined;
  if (typeof o.saeId !== 'string' || o.saeId === '' || !Number.isInteger(o.index) || (o.index as number) < 0) return undefined;
  return { saeId: o.saeId, index: o.index as number };
}

/** A command link (for trusted Markdown) that opens the feature's page; arguments encoded as the other links'. */
export function featurePageLink(saeId: string, index: number): string {
  const ref: FeatureRef = { saeId, index };
  return `command:${OPEN_FEATURE_PAGE_COMMAND}?${encodeURIComponent(JSON.stringify([ref]))}`;
}

/** The key of a feature's page (one panel per feature). */
export function featureKey({ saeId, index }: FeatureRef): string {
  return `${index}@${saeId}`;
}

/** A feature index typed by the user: an integer from 0 to dSae − 1, else undefined. */
export function parseFeatureIndex(text: string, dSae: number): number | undefined {
  const trimmed = text.trim().replace(/^#/, '');
  if (!/^\d+$/.test(trimmed)) return undefined;
  const index = Number(trimmed);
  return index < dSae ? index : undefined;
}
