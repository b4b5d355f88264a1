import type { HookedModel } from '../engine/hookedModel';

export function describeModel(model: HookedModel) {
  const { modelType, nLayers, dModel, nHeads, dVocab, nCtx } = model.config;
  return { dir: model.dir, modelType, nLayers, dModel, nHeads, dVocab, nCtx };
}

/** A token as a quoted string with control characters escaped, so whitespace tokens are visible. */
export function formatToken(text: string): string {
  return JSON.stringify(text);
}

/** A plain-text table with left-aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => '  ' + cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
