/**
 * The Inspect Features panel (browser side). It draws what the extension sends (checked with the
 * protocol validators first) and reports clicks on features back, and export requests (the
 * heatmap as PNG, the inspection as CSV or JSON); it never reaches anything but the extension. body[data-state] is loading, ready or error, for tests and styles.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { isExtensionToWebview, type ExtensionToWebview, type FeatureSelection, type InspectSource, type WebviewToExtension } from '../../src/protocol/inspectMessages';
import type { InspectResult } from '../../src/protocol/inspectResult';
import { showExported, wireExportButtons } from '../shared/exports';
import { byId, failure, setState } from '../shared/page';
import { startPanel, vscodeApi } from '../shared/panel';
import { featureName } from '../shared/plotText';
import { readTheme } from '../shared/theme';
import { featureSeriesView, heatmapView } from './heatmapData';
import { clearPlot, drawFeaturePlot, drawHeatmap } from './plots';
import { element, predictionsTable, tokenFeaturesTable } from './tables';
import './inspect.css';

const vscode = vscodeApi<WebviewToExtension>();
const fail = failure('this');

let shown: { source: InspectSource; result: InspectResult } | undefined;
let saeIndex = 0;
let selection: FeatureSelection | undefined;

function describeSource(source: InspectSource): string {
  const place = `${source.name}:${source.line}`;
  return source.title ? `${source.title} (${place})` : place;
}

function selectFeature(feature: number): void {
  const sae = shown?.result.saes[saeIndex];
  if (!sae) return;
  byId('feature-title').textContent = `Feature #${feature} at ${sae.hookName}…`;
  vscode.postMessage({ type: 'selectFeature', saeId: sae.saeId, feature });
}

function renderSaeChoice(result: InspectResult): void {
  const select = byId('sae-select') as HTMLElement & { value: string };
  select.replaceChildren(
    ...result.saes.map((sae, i) => {
      const option = element('vscode-option', `${sae.hookName} (${sae.dSae} features)`);
      option.value = String(i);
      if (i === saeIndex) option.selected = true;
      return option;
    }),
  );
  select.hidden = result.saes.length < 2;
}

function renderCapNote(result: InspectResult): void {
  const sae = result.saes[saeIndex];
  const { features, unionSize } = sae;
  byId('cap-note').textContent =
    unionSize === 0
      ? `No feature of the SAE at ${sae.hookName} fires on this text.`
      : unionSize > features.length
        ? `Columns: the ${features.length} strongest of the ${unionSize} features that are among some token's top ${result.topK} (at most ${result.maxFeatures} are drawn). Every token's top ${result.topK} are listed below.`
        : `Columns: ${unionSize === 1 ? 'the one feature' : `all ${unionSize} features`} among some token's top ${result.topK}.`;
}

async function renderSelection(): Promise<void> {
  const plot = byId('feature-plot');
  const sae = shown?.result.saes[saeIndex];
  for (const button of document.querySelectorAll<HTMLElement>('.feature-link')) button.classList.toggle('selected', selection?.saeId === sae?.saeId && button.dataset.feature === String(selection?.feature));
  if (!shown || !sae || !selection || selection.saeId !== sae.saeId) {
    byId('feature-title').textContent = 'Click a feature in the heatmap or the lists to see it across the text and highlight it in the editor.';
    byId('feature-note').textContent = '';
    byId('clear-highlight').hidden = true;
    byId('use-as-subspace').hidden = true;
    byId('open-feature-page').hidden = true;
    clearPlot(plot);
    return;
  }
  byId('feature-title').textContent = `Feature ${featureName(selection.feature, selection.label)} at ${sae.hookName}`;
  byId('feature-note').textContent = selection.highlighted ? 'Highlighted in the editor: the stronger the activation, the more opaque the highlight.' : (selection.note ?? '');
  byId('clear-highlight').hidden = !selection.highlighted;
  byId('use-as-subspace').hidden = false;
  byId('open-feature-page').hidden = false;
  await drawFeaturePlot(plot, featureSeriesView(shown.result.tokens, selection.activations), readTheme());
}

async function render(): Promise<void> {
  if (!shown) return;
  const { source, result } = shown;
  const sae = result.saes[saeIndex];
  byId('title').textContent = `Inspect Features · ${describeSource(source)}`;
  byId('summary').textContent = `${result.tokens.length} token${result.tokens.length === 1 ? '' : 's'} (the model reads a BOS token first; it is not shown) · context ${result.nCtx} · top ${result.topK} features per token`;
  byId('predictions').replaceWith(predictionsTable(result.predictions));
  renderSaeChoice(result);
  renderCapNote(result);
  byId('token-features').replaceWith(tokenFeaturesTable(result.tokens, sae.topFeatures));
  await renderPlots();
}

/** Only the plots (on a theme change or a resize): the tables and the page's scroll stay. */
async function renderPlots(): Promise<void> {
  const sae = shown?.result.saes[saeIndex];
  if (!shown || !sae) return;
  const heatmap = byId('heatmap');
  if (sae.features.length === 0) clearPlot(heatmap);
  else await drawHeatmap(heatmap, heatmapView(shown.result.tokens, sae), readTheme(), selectFeature);
  await renderSelection();
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
let lastWidth = 0;
function onResize(): void {
  const width = document.body.clientWidth;
  if (width === lastWidth) return;
  lastWidth = width;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => void renderPlots().catch(fail), 150);
}

function handle(message: ExtensionToWebview): void {
  switch (message.type) {
    case 'loading':
      setState('loading', `Inspecting ${describeSource(message.source)}…`);
      break;
    case 'error':
      setState('error', message.message);
      break;
    case 'show':
      shown = { source: message.source, result: message.result };
      saeIndex = 0;
      selection = undefined;
      setState('ready', '');
      showExported();
      render().catch(fail);
      break;
    case 'feature':
      selection = { saeId: message.saeId, feature: message.feature, label: message.label, activations: message.activations, highlighted: message.highlighted, note: message.note };
      renderSelection().catch(fail);
      break;
    case 'cleared':
      if (selection) selection = { ...selection, highlighted: false, note: 'Highlight cleared.' };
      renderSelection().catch(fail);
      break;
    case 'exported':
      showExported(message.message);
      break;
  }
}

byId('sae-select').addEventListener('change', (event) => {
  saeIndex = Number((event.target as HTMLElement & { value: string }).value) || 0;
  render().catch(fail);
});
byId('token-features-section').addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest<HTMLElement>('.feature-link');
  if (button?.dataset.feature !== undefined) selectFeature(Number(button.dataset.feature));
});
byId('clear-highlight').addEventListener('click', () => vscode.postMessage({ type: 'clearHighlight' }));
byId('use-as-subspace').addEventListener('click', () => {
  if (selection) vscode.postMessage({ type: 'useAsSubspace', saeId: selection.saeId, feature: selection.feature });
});
byId('open-feature-page').addEventListener('click', () => {
  if (selection) vscode.postMessage({ type: 'openFeaturePage', saeId: selection.saeId, feature: selection.feature });
});
wireExportButtons(vscode, 'heatmap', fail);
new ResizeObserver(onResize).observe(document.body);
startPanel(vscode, { accepts: isExtensionToWebview, handle, redraw: renderPlots, fail, loading: 'Waiting for the engine…' });
