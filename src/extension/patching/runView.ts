import { basename } from 'node:path';
import type { SavedRun } from '../../engine/patching/runStore';
import { SWEEPS } from '../../engine/patching/sweeps';
import { cellCoordinates, type ExportFormat, type PatchingRunView } from '../../protocol/patchingMessages';
import { csvText } from '../csv';

/**
 * A saved run as the results panel and the exports see it: plain JSON, NaN as null. Pure (no vscode).
 */
export function runView(run: SavedRun): PatchingRunView {
  const { header, result } = run;
  const plain = (values: Float64Array) => Array.from(values, (v) => (Number.isFinite(v) ? v : null));
  const finite = (values: Record<string, number | undefined>) => Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
  const { inputs } = result;
  return {
    id: header.id,
    file: basename(run.path),
    createdAt: header.createdAt,
    status: run.status,
    cellsDone: run.cellsDone,
    model: header.model.path,
    sweep: result.sweep,
    metric: result.metric,
    direction: result.direction,
    tokens: { clean: inputs.clean.tokens.map((t) => t.text), corrupted: inputs.corrupted.tokens.map((t) => t.text) },
    answer: inputs.answer.text,
    ...(inputs.wrong ? { wrong: inputs.wrong.text } : {}),
    metricPosition: inputs.metricPosition,
    axes: result.axes.map((axis) => ({ name: axis.name, indices: [...axis.indices], labels: [...axis.labels] })),
    shape: [...result.shape],
    hooks: hookTemplates(result.sweep),
    metrics: Object.fromEntries(Object.entries(result.metrics).map(([name, values]) => [name, plain(values!)])),
    reference: { clean: finite(result.reference.clean), corrupted: finite(result.reference.corrupted) },
    warnings: [...result.warnings],
  };
}

/** The hook of each part of a sweep, with {layer} where the layer goes. */
export function hookTemplates(sweep: string): string[] {
  const definition = Object.hasOwn(SWEEPS, sweep) ? SWEEPS[sweep] : undefined;
  const marker = 987654321;
  return definition ? definition.parts.map((part) => part.hook(marker).replace(String(marker), '{layer}')) : ['(unknown sweep)'];
}

/**
 * The run as CSV: one row per cell, with each axis's index (and token or component label) and
 * every metric; cells never run have empty metric fields.
 */
export function runCsv(view: PatchingRunView): string {
  const metricNames = Object.keys(view.metrics);
  const header = [...view.axes.flatMap((axis) => (axis.name === 'layer' || axis.name === 'head' ? [axis.name] : [axis.name, `${axis.name}_label`])), ...metricNames];
  const rows: (string | number | null)[][] = [header];
  const cells = view.shape.reduce((a, b) => a * b, 1);
  for (let cell = 0; cell < cells; cell++) {
    const ks = cellCoordinates(view.shape, cell);
    const fields: (string | number | null)[] = view.axes.flatMap((axis, a) => (axis.name === 'layer' || axis.name === 'head' ? [axis.indices[ks[a]]] : [axis.indices[ks[a]], axis.labels[ks[a]]]));
    for (const name of metricNames) fields.push(view.metrics[name][cell]);
    rows.push(fields);
  }
  return csvText(rows);
}

/** The text of a CSV or JSON export. */
export function exportText(view: PatchingRunView, format: ExportFormat): string {
  return format === 'csv' ? runCsv(view) : `${JSON.stringify(view, null, 2)}\n`;
}
