import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileError } from '../errors';
import { readJsonObject } from '../files';

/** The labels file MechLens reads next to an SAE: {"<feature index>": "label", …}. */
export const LABELS_FILE = 'labels.json';

/**
 * Feature labels for an SAE folder (or the folder of an SAE file), when a labels.json is there;
 * an empty map otherwise. Non-string labels and non-integer keys are an error naming the key.
 */
export function readLabels(saePath: string): Map<number, string> {
  const folder = existsSync(saePath) && statSync(saePath).isDirectory() ? saePath : dirname(saePath);
  const path = join(folder, LABELS_FILE);
  if (!existsSync(path)) return new Map();
  const raw = readJsonObject(path);
  const labels = new Map<number, string>();
  for (const [key, label] of Object.entries(raw)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0) throw fileError(path, `key ${JSON.stringify(key)} is not a feature index`);
    if (typeof label !== 'string') throw fileError(path, `label of feature ${key} is not a string`);
    labels.set(index, label);
  }
  return labels;
}
