import { existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { fileError } from './errors';

/** Reads a JSON file that must hold an object; every failure names the file. */
export function readJsonObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw fileError(path, 'missing');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw fileError(path, `malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fileError(path, 'malformed: not a JSON object');
  return raw as Record<string, unknown>;
}

/** Opens a regular file for reading and returns its descriptor; a folder or an unreadable path is a user error. */
export function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fileError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!fstatSync(fd).isFile()) throw fileError(path, 'not a file');
  return fd;
}
