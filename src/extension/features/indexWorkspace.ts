import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { expandCorpusPaths } from '../../engine/featureIndex/corpusFiles';
import { joinGlobs, matchesGlob } from './glob';
import { checkIndexSettings, selectIndexFiles, type FeatureIndexSettings } from './indexSettings';

/** At most this many files are indexed (a guard against an include pattern that matches a whole disk). */
export const MAX_INDEX_FILES = 20_000;

let reported = '';

/** The feature index settings, checked; each new set of problems is logged once. */
export function readIndexSettings(log: vscode.LogOutputChannel): FeatureIndexSettings {
  const config = vscode.workspace.getConfiguration('mechlens');
  const { settings, problems } = checkIndexSettings({
    include: config.get('featureIndex.include'),
    exclude: config.get('featureIndex.exclude'),
    maxFileKB: config.get('featureIndex.maxFileKB'),
    files: config.get('featureIndex.files'),
    labelsFile: config.get('labels.file'),
  });
  const text = problems.join('\n');
  if (text !== reported) {
    reported = text;
    for (const problem of problems) log.warn(`settings: ${problem}`);
  }
  return settings;
}

/** The extension's storage for this workspace (the global one without a workspace). */
export function storageRoot(context: vscode.ExtensionContext): vscode.Uri {
  return context.storageUri ?? context.globalStorageUri;
}

/** Where the index is stored: the storage root + /feature-index. */
export function indexStorage(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(storageRoot(context), 'feature-index');
}

/** A workspace file's path relative to its folder ('/' separators), or undefined outside the workspace. */
export function workspacePath(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(uri)) return undefined;
  return vscode.workspace.asRelativePath(uri, false);
}

export interface IndexFiles {
  /** Absolute paths, sorted. */
  files: string[];
  tooLarge: string[];
  /** True when MAX_INDEX_FILES cut the list. */
  capped: boolean;
  /** Paths in mechlens.featureIndex.files that do not exist. */
  missing: string[];
}

/** The workspace files the settings include (and do not exclude), up to maxFileKB each. */
export async function findIndexFiles(settings: FeatureIndexSettings, token?: vscode.CancellationToken): Promise<IndexFiles> {
  const found = await vscode.workspace.findFiles(settings.include, joinGlobs(settings.exclude), MAX_INDEX_FILES, token);
  const kept = found.filter((uri) => {
    const path = workspacePath(uri);
    return path !== undefined && !settings.exclude.some((pattern) => matchesGlob(path, pattern)); // findFiles matched include; excludes again in case joinGlobs could not join them
  });
  const entries = await Promise.all(
    kept.map(async (uri) => {
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        return stat.type & vscode.FileType.File ? [{ path: uri.fsPath, size: stat.size }] : [];
      } catch {
        return []; // deleted since it was found
      }
    }),
  );
  const extra = extraIndexFiles(settings.files);
  const missing = extra.missing;
  return { ...selectIndexFiles([...entries.flat(), ...extra.entries], settings.maxFileKB), capped: found.length >= MAX_INDEX_FILES, missing };
}

/** mechlens.featureIndex.files expanded (folders searched for text files), with each file's size. */
function extraIndexFiles(paths: readonly string[]): { entries: { path: string; size: number }[]; missing: string[] } {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const absolute = paths.map((p) => (isAbsolute(p) || !folder ? p : resolve(folder, p)));
  const { files, missing } = expandCorpusPaths(absolute);
  const entries = files.flatMap((path) => {
    try {
      return [{ path, size: statSync(path).size }];
    } catch {
      return [];
    }
  });
  return { entries, missing };
}
