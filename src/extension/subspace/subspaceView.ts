import { basename } from 'node:path';
import type { SavedSubspaceRun } from '../../engine/subspace/runStore';
import type { ExportFormat } from '../../protocol/exportMessages';
import { isSubspaceReportData, type SubspaceRunView } from '../../protocol/subspaceMessages';
import { csvText } from '../csv';

/** A saved subspace run as its panel sees it (the report without its basis); a damaged report is left out. Pure (no vscode). */
export function subspaceRunView(run: SavedSubspaceRun): SubspaceRunView {
  const { header } = run;
  const report = run.report && typeof run.report === 'object' ? { ...(run.report as Record<string, unknown>), basis: undefined } : undefined;
  delete report?.basis;
  return {
    id: header.id,
    file: basename(run.path),
    createdAt: header.createdAt,
    status: run.status,
    model: header.model.path,
    intervention: typeof header.setup.intervention === 'string' ? header.setup.intervention : 'patch',
    ...(isSubspaceReportData(report) ? { report } : {}),
  };
}

/** One line of the runs view: the site, source, badge, date and status. */
export function subspaceRunDescription(run: SavedSubspaceRun): string {
  const view = subspaceRunView(run);
  const date = run.header.createdAt.slice(0, 16).replace('T', ' ');
  const what = view.report ? `${view.report.site.label} · ${view.report.source.kind} · ${view.report.badge.label}` : String(run.header.setup.hook ?? 'subspace');
  return `subspace · ${what} · ${date} · ${run.status}`;
}

/**
 * The report as one long CSV table, a row per number: section (badge, variant, check, pair), name,
 * verdict (checks), quantity and value. Skipped checks are rows with verdict "skipped". The
 * sentences, histograms and prompts are in the JSON export. A run without a report gives the header.
 */
export function subspaceCsv(view: SubspaceRunView): string {
  const rows: (string | number | null)[][] = [['section', 'name', 'verdict', 'quantity', 'value']];
  const report = view.report;
  if (report) {
    rows.push(['badge', report.badge.label, null, 'drivers', report.badge.drivers.join(' ')]);
    for (const variant of report.variants) {
      rows.push(['variant', variant.name, null, 'dimension', variant.dimension], ['variant', variant.name, null, 'effect', variant.effect], ['variant', variant.name, null, 'mean_change', variant.meanChange]);
    }
    for (const check of report.checks) {
      const values = Object.entries(check.values);
      if (values.length === 0) rows.push(['check', check.name, check.verdict, null, null]);
      for (const [quantity, value] of values) rows.push(['check', check.name, check.verdict, quantity, value]);
    }
    for (const skipped of report.skipped) rows.push(['check', skipped.name, 'skipped', null, null]);
    report.pairs.forEach((pair, i) => {
      const name = pair.name ?? String(i);
      rows.push(['pair', name, null, 'clean_logit_diff', pair.cleanLogitDiff], ['pair', name, null, 'corrupted_logit_diff', pair.corruptedLogitDiff]);
    });
  }
  return csvText(rows);
}

/** The text of a CSV or JSON export of a subspace run. */
export function subspaceExportText(view: SubspaceRunView, format: ExportFormat): string {
  return format === 'csv' ? subspaceCsv(view) : `${JSON.stringify(view, null, 2)}\n`;
}
