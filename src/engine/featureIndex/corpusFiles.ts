import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../errors';

/** A document of the corpus: a whole text file, or one line of a JSONL file. */
export interface CorpusDocument {
  file: string;
  /** For JSONL: the 0-based line the document is on. */
  line?: number;
  text: string;
}

export interface CorpusFile {
  path: string;
  sha256: string;
  documents: CorpusDocument[];
  /** JSONL lines that held no text, with why (the rest of the file is still indexed). */
  skippedLines: string[];
}

/** Larger files are refused: they would take the scan hours and the index gigabytes. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function fileStamp(path: string): { size: number; mtimeMs: number } {
  const stat = statSync(path);
  if (!stat.isFile()) throw fileError(path, 'not a file');
  return { size: stat.size, mtimeMs: Math.round(stat.mtimeMs) };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a corpus file. `.jsonl` files hold one document per line: an object with a string
 * "text" field, or a JSON string. Anything else is read as UTF-8 text, one document. Binary files
 * (a NUL byte in the first 8 KB) are refused.
 */
export function readCorpusFile(path: string): CorpusFile {
  const { size } = fileStamp(path);
  if (size > MAX_FILE_BYTES) throw fileError(path, `${(size / 2 ** 20).toFixed(1)} MB is more than the ${MAX_FILE_BYTES / 2 ** 20} MB a corpus file may have`);
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8192).includes(0)) throw fileError(path, 'a binary file (it has NUL bytes), not text');
  const text = bytes.toString('utf8');
  const file: CorpusFile = { path, sha256: sha256(bytes), documents: [], skippedLines: [] };
  if (!path.toLowerCase().endsWith('.jsonl')) {
    if (text.trim().length > 0) file.documents.push({ file: path, text });
    return file;
  }
  text.split('\n').forEach((raw, line) => {
    if (raw.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      file.skippedLines.push(`line ${line + 1}: not JSON`);
      return;
    }
    const document = typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string' ? (value as { text: string }).text : undefined;
    if (document === undefined) file.skippedLines.push(`line ${line + 1}: no string "text" field`);
    else if (document.trim().length > 0) file.documents.push({ file: path, line, text: document });
  });
  return file;
}

/** The file kinds a folder contributes to a corpus. */
export const CORPUS_EXTENSIONS = ['.txt', '.md', '.prompts', '.jsonl'];

/**
 * Files and folders → corpus files: a file as given, a folder searched recursively for
 * CORPUS_EXTENSIONS (dot-folders and node_modules skipped). Paths that do not exist are returned apart.
 */
export function expandCorpusPaths(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && CORPUS_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) files.push(path);
    }
  };
  for (const path of paths) {
    if (!existsSync(path)) missing.push(path);
    else if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
  return { files, missing };
}
