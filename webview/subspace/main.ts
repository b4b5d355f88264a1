/**
 * The subspace intervention report (browser side): the badge and the checks that drove it, the effect
 * per variant, each check's verdict as a coloured text label with its sentence, the projection
 * histograms and the prompt pairs, from the run the extension sends (checked with the protocol
 * validators first); export buttons for the effects plot as PNG and the run as CSV or JSON, which
 * the extension saves. Text goes in as textContent only. body[data-state] is loading, ready or error.
 */
import { isSubspaceToWebview, type SubspaceFromWebview, type SubspaceRunView, type SubspaceToWebview } from '../../src/protocol/subspaceMessages';
import { byId, failure, setState, text } from '../shared/page';
import { showExported, wireExportButtons } from '../shared/exports';
import { startPanel, vscodeApi } from '../shared/panel';
import { readTheme } from '../shared/theme';
import { drawEffects, drawHistogram } from './plots';
import { effectBars, histogramPlots } from './reportData';
import './subspace.css';

const vscode = vscodeApi<SubspaceFromWebview>();
const fail = failure('this report');
let run: SubspaceRunView | undefined;

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));

function renderText(view: SubspaceRunView): void {
  const report = view.report!;
  byId('title').textContent = `Subspace intervention · ${report.site.label} · ${report.direction}`;
  const badge = byId('badge');
  badge.className = report.badge.label === 'consistent' ? 'badge consistent' : 'badge illusion';
  byId('badge-label').textContent = report.badge.label === 'consistent' ? 'CONSISTENT' : 'POSSIBLE ILLUSION';
  const drivers = report.badge.drivers.length ? ` (${report.badge.label === 'consistent' ? 'caveats from' : 'driven by'}: ${report.badge.drivers.join(', ')})` : '';
  byId('badge-sentence').textContent = `${report.badge.sentence}${drivers}`;
  const explained = report.source.explained ? ` (explains ${report.source.explained.map((e) => `${(100 * e).toFixed(0)}%`).join(', ')})` : '';
  byId('summary').textContent = [
    `${view.file} · ${new Date(view.createdAt).toLocaleString()} · ${view.status}`,
    `model ${view.model}`,
    `site ${report.site.label} (width ${report.site.width}) · subspace: ${report.source.label}, ${report.source.dimension}-d${explained}`,
    `readers: ${report.downstream}`,
  ].join('\n');
  byId('warning-list').replaceChildren(...report.warnings.map((w) => text('li', w)));
  byId('warnings').hidden = report.warnings.length === 0;
  byId('checks').replaceChildren(
    ...report.checks.map((check) => {
      const item = text('li', '', `check verdict-${check.verdict}`);
      item.dataset.check = check.name;
      item.append(text('span', check.verdict.toUpperCase(), 'verdict'), text('strong', check.title), text('p', check.sentence));
      return item;
    }),
    ...report.skipped.map((skip) => {
      const item = text('li', '', 'check verdict-skip');
      item.append(text('span', 'SKIPPED', 'verdict'), text('strong', skip.name), text('p', skip.reason));
      return item;
    }),
  );
  byId('pairs-body').replaceChildren(
    ...report.pairs.map((pair, i) => {
      const row = document.createElement('tr');
      const positions = pair.positions.map((p, j) => `${p} ${JSON.stringify(pair.positionTokens?.[j] ?? '')}`).join(', ');
      row.append(...[pair.name ?? String(i), JSON.stringify(pair.clean), positions, `${JSON.stringify(pair.answer)} vs ${JSON.stringify(pair.wrong)}`, fmt(pair.cleanLogitDiff), fmt(pair.corruptedLogitDiff)].map((cell) => text('td', cell)));
      return row;
    }),
  );
}

async function renderPlots(): Promise<void> {
  const report = run?.report;
  if (!run || !report) return;
  const theme = readTheme();
  await drawEffects(byId('effects'), effectBars(report, run.intervention), theme);
  const plots = histogramPlots(report);
  const holder = byId('histograms');
  holder.replaceChildren(...plots.map(() => text('div', '', 'histogram')));
  await Promise.all(plots.map((plot, i) => drawHistogram(holder.children[i] as HTMLElement, plot, theme)));
}

function show(view: SubspaceRunView): void {
  run = view;
  if (!view.report) {
    setState('error', `${view.file}: this run is ${view.status} and has no report (${view.status === 'cancelled' ? 'it was cancelled before the checks finished' : 'the engine stopped before it finished'}).`);
    return;
  }
  setState('ready', '');
  showExported();
  renderText(view);
  renderPlots().catch(fail);
}

function handle(message: SubspaceToWebview): void {
  if (message.type === 'show') show(message.run);
  else if (message.type === 'exported') showExported(message.message);
  else setState('error', message.message);
}

wireExportButtons(vscode, 'effects', fail);
startPanel(vscode, { accepts: isSubspaceToWebview, handle, redraw: renderPlots, fail, loading: 'Loading the run…' });
