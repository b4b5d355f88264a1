import { isAbsolute, resolve } from 'node:path';
import { globToRegExp } from './glob';

/**
 * The feature index's settings (mechlens.featureIndex.*, mechlens.labels.file), checked: a bad
 * value falls back to its default with a problem naming the setting. Which files a scan reads.
 * Pure (no vscode).
 */

export interface FeatureIndexSettings {
  include: string;
  exclude: string[];
  maxFileKB: number;
  /** Files and folders outside the include pattern (e.g. a JSONL corpus elsewhere), absolute or relative to the first workspace folder. */
  files: string[];
  /** Where labels written in MechLens go, relative to the first workspace folder (or absolute). */
  labelsFile: string;
}

export const DEFAULT_INDEX_SETTINGS: FeatureIndexSettings = {
  include: '**/*.{txt,md,prompts,jsonl}',
  exclude: ['**/node_modules/**', '**/.git/**', '**/.mechlens/**'],
  maxFileKB: 1024,
  files: [],
  labelsFile: '.mechlens/labels.json',
};

/** The settings as read (unknown values), checked. */
export function checkIndexSettings(raw: { include?: unknown; exclude?: unknown; maxFileKB?: unknown; files?: unknown; labelsFile?: unknown }): { settings: FeatureIndexSettings; problems: string[] } {
  const problems: string[] = [];
  const settings = { ...DEFAULT_INDEX_SETTINGS, exclude: [...DEFAULT_INDEX_SETTINGS.exclude], files: [] as string[] };
  if (raw.files !== undefined) {
    if (!Array.isArray(raw.files)) problems.push('mechlens.featureIndex.files is not a list of paths; using none');
    else {
      for (const [i, entry] of raw.files.entries()) {
        if (typeof entry === 'string' && entry.trim() !== '') settings.files.push(entry.trim());
        else problems.push(`mechlens.featureIndex.files[${i}] is not a path; it is left out`);
      }
    }
  }
  if (raw.include !== undefined) {
    const include = typeof raw.include === 'string' ? raw.include.trim() : '';
    const why = include === '' ? 'is not a glob pattern' : globProblem(include);
    if (why) problems.push(`mechlens.featureIndex.include ${why}; using ${JSON.stringify(settings.include)}`);
    else settings.include = include;
  }
  if (raw.exclude !== undefined) {
    if (!Array.isArray(raw.exclude)) problems.push('mechlens.featureIndex.exclude is not a list of glob patterns; using the default');
    else {
      settings.exclude = [];
      for (const [i, entry] of raw.exclude.entries()) {
        const why = typeof entry !== 'string' || entry.trim() === '' ? 'is not a glob pattern' : globProblem(entry.trim());
        if (why) problems.push(`mechlens.featureIndex.exclude[${i}] ${why}; it is left out`);
        else settings.exclude.push((entry as string).trim());
      }
    }
  }
  if (raw.maxFileKB !== undefined) {
    if (typeof raw.maxFileKB === 'number' && Number.isFinite(raw.maxFileKB) && raw.maxFileKB > 0) settings.maxFileKB = raw.maxFileKB;
    else problems.push(`mechlens.featureIndex.maxFileKB must be a number above 0; using ${settings.maxFileKB}`);
  }
  if (raw.labelsFile !== undefined) {
    if (typeof raw.labelsFile === 'string' && raw.labelsFile.trim() !== '') settings.labelsFile = raw.labelsFile.trim();
    else problems.push(`mechlens.labels.file must be a file path; using ${JSON.stringify(settings.labelsFile)}`);
  }
  return { settings, problems };
}

function globProblem(glob: string): string | undefined {
  try {
    globToRegExp(glob);
    return undefined;
  } catch (error) {
    return `is malformed: ${(error as Error).message}`;
  }
}

/** The files a scan reads: those up to maxFileKB, each once, sorted; and the ones left out as too large. */
export function selectIndexFiles(entries: readonly { path: string; size: number }[], maxFileKB: number): { files: string[]; tooLarge: string[] } {
  const files = new Set<string>();
  const tooLarge = new Set<string>();
  for (const { path, size } of entries) (size <= maxFileKB * 1024 ? files : tooLarge).add(path);
  return { files: [...files].sort(), tooLarge: [...tooLarge].sort() };
}

/** The labels file's absolute path: the setting resolved against the workspace folder. */
export function labelsFilePath(folder: string, setting: string): string {
  return isAbsolute(setting) ? setting : resolve(folder, setting);
}
