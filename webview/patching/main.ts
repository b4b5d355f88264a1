/**
 * The activation-patching results panel (browser side): draws the run the extension sends
 * (checked with the protocol validators first) as a heatmap, shows a clicked cell's details, and
 * asks the extension to save exports. Text goes in as textContent only. body[data-state] is
 * loading, ready or error, for tests and styles.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isPatchingToWebview, type PatchingFromWebview, type PatchingRunView, type PatchingToWebview } from '../../src/protocol/patchingMessages';
import { byId, failure, setState, text } from '../shared/page';
import { startPanel, vscodeApi } from '../shared/panel';
import { readTheme } from '../shared/theme';
import { showExported, wireExportButtons } from '../shared/exports';
import { tokenLiteral } from '../shared/plotText';
import { cellDetails } from './cellDetails';
import { axisTitle, defaultGrid, entryText, heatmapShape, type Grid } from './heatmapShape';
import { drawPatchingHeatmap } from './plots';
import './patching.css';

const vscode = vscodeApi<PatchingFromWebview>();
const fail = failure('this run');

let run: PatchingRunView | undefined;
let metric = '';
let grid: Grid = { row: 0, col: 1 };
let fixed: number[] = [];
let selectedCell: number | undefined;

function describeStatus(view: PatchingRunView): string {
  const cells = view.shape.reduce((a, b) => a * b, 1);
  if (view.status === 'complete') return `complete, ${cells} cells`;
  return `${view.status}: ${view.cellsDone} of ${cells} cells were run (the others are blank)`;
}

function renderHeader(view: PatchingRunView): void {
  byId('title').textContent = `Activation patching · ${view.sweep} · ${view.direction}`;
  const answers = view.wrong === undefined ? tokenLiteral(view.answer) : `${tokenLiteral(view.answer)} vs ${tokenLiteral(view.wrong)}`;
  const reference = `unpatched ${view.metric}: clean ${view.reference.clean[view.metric]?.toFixed(4) ?? '—'}, corrupted ${view.reference.corrupted[view.metric]?.toFixed(4) ?? '—'}`;
  byId('summary').textContent = [
    `${view.file} · ${new Date(view.createdAt).toLocaleString()} · ${describeStatus(view)}`,
    `model ${view.model}`,
    `metric ${view.metric} for ${answers}, read after position ${view.metricPosition} (${tokenLiteral(view.tokens.clean[view.metricPosition] ?? '')}) · ${reference}`,
  ].join('\n');
  byId('warning-list').replaceChildren(...view.warnings.map((warning) => text('li', warning)));
  byId('warnings').hidden = view.warnings.length === 0;
  const select = byId('metric-select') as HTMLSelectElement;
  select.replaceChildren(
    ...Object.keys(view.metrics).map((name) => {
      const option = text('option', name === view.metric ? `${name} (chosen)` : name);
      option.value = name;
      option.selected = name === metric;
      return option;
    }),
  );
  byId('slices').replaceChildren(
    ...view.axes.flatMap((axis, a) => {
      if (a === grid.row || a === grid.col) return [];
      const label = text('label', `${axisTitle(axis)} `);
      const choice = document.createElement('select');
      choice.className = 'slice';
      choice.dataset.axis = String(a);
      choice.append(
        ...axis.indices.map((_, k) => {
          const option = text('option', entryText(axis, k, 24));
          option.value = String(k);
          option.selected = k === fixed[a];
          return option;
        }),
      );
      label.append(choice);
      return [label];
    }),
  );
}

function renderDetails(): void {
  const table = byId('details-table');
  if (!run || selectedCell === undefined) {
    byId('details-title').textContent = "Click a cell to see that patch's details.";
    byId('details-patch').textContent = '';
    table.hidden = true;
    return;
  }
  const details = cellDetails(run, selectedCell);
  byId('details-title').textContent = details.title;
  byId('details-patch').textContent = details.patch;
  byId('details-body').replaceChildren(
    ...details.metrics.map((cells) => {
      const row = document.createElement('tr');
      row.append(...cells.map((cell) => text('td', cell)));
      return row;
    }),
  );
  table.hidden = false;
}

async function renderPlot(): Promise<void> {
  if (!run) return;
  await drawPatchingHeatmap(byId('heatmap'), heatmapShape(run, metric, grid, fixed), metric, readTheme(), (cell) => {
    selectedCell = cell;
    renderDetails();
    vscode.postMessage({ type: 'selectCell', cell });
  });
}

function show(view: PatchingRunView): void {
  run = view;
  metric = view.metric;
  grid = defaultGrid(view.axes);
  fixed = view.axes.map(() => 0);
  selectedCell = undefined;
  setState('ready', '');
  showExported();
  renderHeader(view);
  renderDetails();
  renderPlot().catch(fail);
}

function handle(message: PatchingToWebview): void {
  switch (message.type) {
    case 'show':
      show(message.run);
      break;
    case 'error':
      setState('error', message.message);
      break;
    case 'exported':
      showExported(message.message);
      break;
  }
}

byId('metric-select').addEventListener('change', (event) => {
  metric = (event.target as HTMLSelectElement).value;
  renderPlot().catch(fail);
});
byId('slices').addEventListener('change', (event) => {
  const select = event.target as HTMLSelectElement;
  fixed[Number(select.dataset.axis)] = Number(select.value);
  renderPlot().catch(fail);
});
wireExportButtons(vscode, 'heatmap', fail);
startPanel(vscode, { accepts: isPatchingToWebview, handle, redraw: renderPlot, fail, loading: 'Loading the run…' });
