/**
 * A feature's page (an editor webview): its label (editable in place), statistics, activation
 * histogram, top contexts and quantile groups (a click opens the context's source), logit effects
 * and nearest features, and actions the host carries out. Messages are checked first (see
 * featureMessages); model and file text goes in as textContent. body[data-state]: loading, ready, error.
 */
import type { ContextSource, FeaturePage, FeaturePageToHost, HostToFeaturePage } from '../../src/protocol/featureIndex';
import { isHostToFeaturePage } from '../shared/featureMessages';
import { button, byId, failure, setState, text } from '../shared/page';
import { startPanel, vscodeApi } from '../shared/panel';
import { readTheme } from '../shared/theme';
import { contextList, groupSection, pageMax } from './contexts';
import { clearHistogram, drawHistogram } from './histogram';
import { histogramBars } from './histogramData';
import { createLabelEditor } from './labelEditor';
import { logitEffects, neighbourList, statsList } from './sections';
import '../shared/controls.css';
import './featurePage.css';

const vscode = vscodeApi<FeaturePageToHost>();
const fail = failure('this feature');
let shown: FeaturePage | undefined;

const post = (message: FeaturePageToHost) => vscode.postMessage(message);
const openContext = (source: ContextSource) => post({ type: 'openContext', source });
const openFeature = (index: number) => post({ type: 'openFeature', index });
const labelEditor = createLabelEditor((label) => post({ type: 'editLabel', text: label }));

function holder(id: string, tag: 'div' | 'p' = 'div', className = ''): HTMLElement {
  const node = text(tag, '', className);
  node.id = id;
  return node;
}

/** The page's fixed skeleton, filled by render(). */
function skeleton(): void {
  const error = holder('page-error', 'p', 'error-line');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const actions = text('div', '', 'actions');
  actions.append(
    button('Highlight in editor', 'highlight', 'action secondary', 'Shade the active editor’s text by this feature’s activation', () => post({ type: 'highlight' })),
    button('Use as subspace…', 'use-as-subspace', 'action secondary', 'Run a subspace intervention on this feature’s decoder direction, with its illusion checks', () => post({ type: 'useAsSubspace' })),
    button('Copy JSON', 'copy-json', 'action secondary', 'Copy this page’s data as JSON', () => post({ type: 'copyJson' })),
  );
  const partial = holder('partial-notice', 'p', 'status-warning');
  partial.setAttribute('role', 'note');
  partial.textContent = 'Some top contexts were in files edited since they were indexed, so these lists may miss some: run MechLens: Rebuild Feature Index to restore them.';
  const plot = text('div', '', 'plot-scroll');
  plot.append(holder('histogram'));
  const noPlot = holder('histogram-empty', 'p', 'muted');
  noPlot.textContent = 'No activations to show.';
  noPlot.hidden = true;
  const section = (title: string, ...children: HTMLElement[]) => {
    const node = text('section', '');
    node.append(text('h2', title), ...children);
    return node;
  };
  byId('content').append(
    error,
    labelEditor.element,
    actions,
    partial,
    holder('stats'),
    section('Activation histogram', noPlot, plot),
    section('Top activations', holder('top')),
    section('Activation quantiles', holder('groups')),
    section('Logit effects', holder('logit-effects')),
    section('Nearest features (decoder cosine)', holder('neighbours')),
  );
}

function showError(message: string): void {
  byId('page-error').textContent = message;
  byId('page-error').hidden = message === '';
}

function render(page: FeaturePage): void {
  const max = pageMax(page);
  byId('title').textContent = `Feature #${page.feature.index} · ${page.hookName}`;
  document.title = `Feature #${page.feature.index}`;
  labelEditor.show(page.label);
  byId('partial-notice').hidden = !page.partial;
  byId('stats').replaceChildren(statsList(page));
  byId('top').replaceChildren(contextList(page.top, max, openContext));
  byId('groups').replaceChildren(...page.groups.map((group) => groupSection(group, max, openContext)));
  byId('logit-effects').replaceChildren(logitEffects(page));
  byId('neighbours').replaceChildren(neighbourList(page, openFeature));
}

async function drawPlot(): Promise<void> {
  if (!shown) return;
  const bars = histogramBars(shown.histogram);
  const plot = byId('histogram');
  byId('histogram-empty').hidden = bars.x.length > 0;
  if (bars.x.length === 0) clearHistogram(plot);
  else await drawHistogram(plot, bars, readTheme());
}

function handle(message: HostToFeaturePage): void {
  switch (message.type) {
    case 'loading':
      shown = undefined;
      setState('loading', `Loading feature #${message.feature.index}…`);
      break;
    case 'page':
      shown = message.page;
      showError('');
      setState('ready', '');
      render(shown);
      drawPlot().catch(fail);
      break;
    case 'label':
      if (!shown) return;
      shown = { ...shown, label: message.label };
      labelEditor.show(message.label);
      break;
    case 'error':
      if (shown) {
        showError(message.message);
        labelEditor.show(shown.label);
      } else setState('error', message.message);
      break;
  }
}

let lastWidth = 0;
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
new ResizeObserver(() => {
  const width = document.body.clientWidth;
  if (width === lastWidth) return;
  lastWidth = width;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => void drawPlot().catch(fail), 150);
}).observe(document.body);

skeleton();
startPanel(vscode, { accepts: isHostToFeaturePage, handle, redraw: drawPlot, fail, loading: 'Loading the feature…' });
