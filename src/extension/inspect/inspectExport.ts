import type { ExportFormat } from '../../protocol/exportMessages';
import type { InspectSource } from '../../protocol/inspectMessages';
import type { InspectResult } from '../../protocol/inspectResult';
import { csvText } from '../csv';

/**
 * Inspect Features exports. Pure (no vscode).
 *
 * CSV: one row per (SAE, token, feature) the panel shows: every heatmap column at every token (zeros
 * included, so the CSV holds the whole heatmap) and every feature of a token's top list that is not a
 * column; `rank` is the feature's place in that token's top list (empty when it is not in it).
 * JSON: where the text came from, the text, and the engine's whole result.
 */
export function inspectCsv(result: InspectResult): string {
  const rows: (string | number | null)[][] = [['sae_hook', 'token_index', 'token', 'char_start', 'char_end', 'feature', 'activation', 'rank', 'label']];
  for (const sae of result.saes) {
    const labels = new Map<number, string>();
    for (const feature of [...sae.features, ...sae.topFeatures.flat()]) if (feature.label !== undefined) labels.set(feature.index, feature.label);
    const columns = new Set(sae.features.map((f) => f.index));
    result.tokens.forEach((token, t) => {
      const top = sae.topFeatures[t] ?? [];
      const rank = (feature: number) => {
        const i = top.findIndex((f) => f.index === feature);
        return i >= 0 ? i + 1 : null;
      };
      const row = (feature: number, activation: number) => [sae.hookName, t, token.text, token.span[0], token.span[1], feature, activation, rank(feature), labels.get(feature) ?? null];
      sae.features.forEach((feature, column) => rows.push(row(feature.index, sae.activations[t][column])));
      for (const feature of top) if (!columns.has(feature.index)) rows.push(row(feature.index, feature.activation));
    });
  }
  return csvText(rows);
}

export function inspectExportText(inspection: { source: InspectSource; text: string; result: InspectResult }, format: ExportFormat): string {
  if (format === 'csv') return inspectCsv(inspection.result);
  return `${JSON.stringify({ source: inspection.source, text: inspection.text, result: inspection.result }, null, 2)}\n`;
}

/** The name an export of this inspection is offered under (no folder, no extension). */
export function inspectExportName(source: InspectSource): string {
  const name = `inspect-${source.name}-line${source.line}${source.title ? `-${source.title}` : ''}`;
  return name.replace(/[^\w.-]+/g, '_');
}
