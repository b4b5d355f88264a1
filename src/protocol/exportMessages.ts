/**
 * What a results panel (patching, subspace, Inspect Features) asks the extension host to save
 * through the editor's save dialog: the result as CSV or JSON, or its main plot as a PNG the panel
 * drew. Imports nothing.
 */

export type ExportFormat = 'csv' | 'json';

export type ExportRequest = { type: 'export'; format: ExportFormat } | { type: 'exportPng'; dataUrl: string };

/** Whether a message from a panel is a well-formed export request. */
export function isExportRequest(value: unknown): value is ExportRequest {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  if (message.type === 'export') return message.format === 'csv' || message.format === 'json';
  return message.type === 'exportPng' && typeof message.dataUrl === 'string' && message.dataUrl.startsWith('data:image/png;base64,');
}
