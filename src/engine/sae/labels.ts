import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileError } from '../errors';
import { readJsonObject } from '../files';

/** The labels file MechLens reads next to an SAE: {"<feature index>": "label", …}. */
export const LABELS_FILE = 'labels.json';
/** Labels made from top promoted tokens, shipped next to an SAE (same format; see tools/default/makeProvisionalLabels.ts). */
export const PROVISIONAL_LABELS_FILE = 'provisional_labels.json';

/** The SAE's folder: the path itself, or the folder of an SAE file (a Gemma Scope params.npz). */
export function saeFolder(saePath: string): string {
  return existsSync(saePath) && statSync(saePath).isDirectory() ? saePath : dirname(saePath);
}

/**
 * Feature labels for an SAE folder (or the folder of an SAE file), when the labels file (default
 * labels.json) is there; an empty map otherwise. Non-string labels and non-integer keys are an
 * error naming the key.
 */
export function readLabels(saePath: string, fileName: string = LABELS_FILE): Map<number, string> {
  const path = join(saeFolder(saePath), fileName);
  if (!existsSync(path)) return new Map();
  const raw = readJsonObject(path);
  const labels = new Map<number, string>();
  for (const [key, label] of Object.entries(raw)) {
    const index = /^\d+$/.test(key) ? Number(key) : NaN; // Number('') and Number(' 1') are numbers too
    if (!Number.isSafeInteger(index)) throw fileError(path, `key ${JSON.stringify(key)} is not a feature index`);
    if (typeof label !== 'string') throw fileError(path, `label of feature ${key} is not a string`);
    labels.set(index, label);
  }
  return labels;
}
