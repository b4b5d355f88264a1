import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat, ExportRequest } from '../protocol/exportMessages';

/** The run file's path without its .jsonl: what its exports are offered as. */
export function exportBase(runFile: string): string {
  return runFile.replace(/\.jsonl$/, '');
}

/**
 * Answers a results panel's export request: saves it, then tells the panel where (`post`), or logs
 * and shows what went wrong; `what` names the panel in the log.
 */
export async function answerExport(defaultBase: string, request: ExportRequest, text: (format: ExportFormat) => string, post: (message: { type: 'exported'; message: string }) => void, log: vscode.LogOutputChannel, what: string): Promise<void> {
  try {
    const saved = await saveExport(defaultBase, request, text);
    if (saved) post({ type: 'exported', message: `Saved ${saved}` });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`MechLens could not export the run: ${message}`);
  }
}

/**
 * Saves what a results panel asked for through the editor's save dialog, offering `defaultBase`
 * (a path without extension, e.g. the run file's) with the format's extension: CSV or JSON made by
 * `text`, or the PNG the panel drew. Returns where it was saved, or undefined when the dialog was
 * cancelled.
 */
async function saveExport(defaultBase: string, request: ExportRequest, text: (format: ExportFormat) => string): Promise<string | undefined> {
  const format = request.type === 'export' ? request.format : 'png';
  const data = request.type === 'export' ? Buffer.from(text(request.format), 'utf8') : Buffer.from(request.dataUrl.slice(request.dataUrl.indexOf(',') + 1), 'base64');
  const defaultUri = vscode.Uri.file(`${defaultBase}.${format}`);
  const filters: Record<string, string[]> = { csv: { CSV: ['csv'] }, json: { JSON: ['json'] }, png: { 'PNG image': ['png'] } }[format];
  const target = await vscode.window.showSaveDialog({ defaultUri, filters, title: `Export ${basename(defaultBase)} as ${format.toUpperCase()}` });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, data);
  return target.fsPath || target.toString();
}
