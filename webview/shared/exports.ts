/**
 * The export buttons of a results panel (EXPORT_CONTROLS in src/extension/webviewHtml.ts): CSV and
 * JSON are asked of the extension, which writes them from the run; PNG is drawn here by plotly from
 * the panel's main plot and sent as a data URL. The extension saves each where the user chooses and
 * answers with where (`exported`).
 */
import type { ExportRequest } from '../../src/protocol/exportMessages';
import { byId } from './page';
import type { VsCodeApi } from './panel';
import { plotPng } from './plotlyGlobal';

export function wireExportButtons(vscode: VsCodeApi<ExportRequest>, plotId: string, fail: (error: unknown) => void): void {
  const exportPng = async () => {
    const plot = byId(plotId);
    if (!plot.querySelector('.main-svg')) {
      byId('export-note').textContent = 'There is no plot to export.';
      return;
    }
    byId('export-note').textContent = 'Drawing the PNG…';
    vscode.postMessage({ type: 'exportPng', dataUrl: await plotPng(plot) });
  };
  byId('export-png').addEventListener('click', () => void exportPng().catch(fail));
  byId('export-csv').addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'csv' }));
  byId('export-json').addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'json' }));
}

/** Shows where the extension saved an export, or clears the line (a new run shown). */
export function showExported(message = ''): void {
  byId('export-note').textContent = message;
}
