/**
 * The Features view (a narrow side-panel webview): pick an SAE, see and drive its feature index, and
 * browse its features in a virtualised list (search by number or label, sort, filter), or list the
 * features that fire on a typed text. A click or Enter on a row asks the extension to open that
 * feature's page. Messages are checked with the protocol validator first; text goes in as textContent.
 */
import type { FeatureList, FeatureListRow, FeaturesViewToHost, HostToFeaturesView, SaeChoice, TextSearchResult } from '../../src/protocol/featureIndex';
import { isHostToFeaturesView } from '../shared/featureMessages';
import { plural } from '../shared/featureText';
import { byId, failure, setState, text } from '../shared/page';
import { startPanel, vscodeApi } from '../shared/panel';
import { createControls } from './controls';
import { parseQuery, visibleRows, whyHidden, type SortKey } from './listModel';
import { renderFeatureRow, renderTextHit } from './rows';
import { createStatusView } from './statusView';
import { VirtualList } from './virtualList';
import '../shared/controls.css';
import './features.css';

/** Must match .virtual-row's height in features.css. */
const ROW_HEIGHT = 22;
const TEXT_DEBOUNCE_MS = 400;

const vscode = vscodeApi<FeaturesViewToHost>();
const fail = failure('the feature list');
const controls = createControls();
const status = createStatusView(
  () => post({ type: 'scan' }),
  () => post({ type: 'cancelScan' }),
);

let saes: SaeChoice[] = [];
let selected: string | undefined;
let list: FeatureList | undefined;
let shown: FeatureListRow[] = [];
let textResult: TextSearchResult | undefined;
let sentText = '';
let textTimer: ReturnType<typeof setTimeout> | undefined;

const textMode = () => controls.textMode.checked;
const textHits = () => (textMode() && textResult && textResult.text === controls.search.value.trim() ? textResult.features : []);

const featureList = new VirtualList({
  label: 'Features',
  idPrefix: 'feature-row',
  rowHeight: ROW_HEIGHT,
  margin: 8,
  render: (row, position) => {
    if (textMode()) renderTextHit(row, textHits()[position], textResult?.tokens ?? []);
    else renderFeatureRow(row, shown[position]);
  },
  open: (position) => {
    const index = textMode() ? textHits()[position]?.index : shown[position]?.index;
    if (index !== undefined) post({ type: 'openFeature', index });
  },
});
featureList.element.id = 'feature-list';

function post(message: FeaturesViewToHost): void {
  if (message.type !== 'ready' && message.type !== 'openFeature') showError('');
  vscode.postMessage(message);
}

function showError(message: string): void {
  controls.error.textContent = message;
  controls.error.hidden = message === '';
}

function renderSaes(): void {
  controls.sae.replaceChildren(
    ...saes.map((sae) => {
      const option = text('option', `${sae.hookName} (${plural(sae.dSae, 'feature')})`);
      option.value = sae.saeId;
      option.title = sae.saeId;
      return option;
    }),
  );
  if (selected !== undefined) controls.sae.value = selected;
  controls.sae.disabled = saes.length < 2;
}

/** The list mode: the index's rows under the sort, the filters and the search box. */
function refreshList(): void {
  const previous = shown[featureList.activePosition]?.index;
  const query = parseQuery(controls.search.value);
  const options = { sort: controls.sort.value as SortKey, hideDead: controls.hideDead.checked, hideDense: controls.hideDense.checked, labelFilter: query.kind === 'label' ? query.text : '' };
  shown = list ? visibleRows(list.rows, options) : [];
  const target = query.kind === 'index' ? query.index : previous;
  const position = target === undefined ? -1 : shown.findIndex((row) => row.index === target);
  featureList.reset(shown.length);
  if (position >= 0) featureList.setActive(position, query.kind === 'index' ? 'center' : 'nearest');
  if (!list) controls.note.textContent = saes.length === 0 ? 'No SAE is loaded: load a model with an SAE to browse its features.' : 'Waiting for the feature list…';
  else if (query.kind === 'index') controls.note.textContent = position >= 0 ? `Feature #${query.index}: Enter opens it.` : whyHidden(list.rows, query.index, options)!;
  else controls.note.textContent = shown.length === list.rows.length ? `${plural(list.rows.length, 'feature')} · ${list.hookName}` : `${plural(shown.length, 'feature')} of ${list.rows.length.toLocaleString('en')} shown`;
}

/** The text mode: the features that fire on the typed text, strongest first. */
function refreshText(): void {
  const query = controls.search.value.trim();
  const hits = textHits();
  featureList.reset(hits.length);
  if (query === '') controls.note.textContent = 'Type a text: the features that fire on it are listed, strongest first.';
  else if (!textResult || textResult.text !== query) controls.note.textContent = 'Running the text through the model…';
  else controls.note.textContent = `${plural(hits.length, 'feature')} ${hits.length === 1 ? 'fires' : 'fire'} on these ${plural(textResult.tokens.length, 'token')}.`;
}

function refresh(): void {
  controls.listOptions.hidden = textMode();
  controls.search.placeholder = textMode() ? 'Text to run through the model' : '#index or label';
  if (textMode()) refreshText();
  else refreshList();
}

function sendText(): void {
  clearTimeout(textTimer);
  const query = controls.search.value.trim();
  if (!textMode() || query === '' || query === sentText) return;
  sentText = query;
  post({ type: 'searchText', text: query });
}

function onSearchInput(): void {
  if (textMode()) {
    clearTimeout(textTimer);
    textTimer = setTimeout(sendText, TEXT_DEBOUNCE_MS);
  }
  refresh();
}

function onSearchKey(event: KeyboardEvent): void {
  if (event.key === 'ArrowDown') {
    featureList.element.focus();
    featureList.setActive(Math.max(0, featureList.activePosition), 'nearest');
  } else if (event.key === 'Enter') {
    if (textMode()) sendText();
    else featureList.openActive();
  } else return;
  event.preventDefault();
}

function handle(message: HostToFeaturesView): void {
  if (message.type !== 'error' && document.body.dataset.state !== 'ready') setState('ready', '');
  switch (message.type) {
    case 'saes':
      saes = message.saes;
      selected = message.selected ?? (saes.some((s) => s.saeId === selected) ? selected : saes[0]?.saeId);
      if (list && list.saeId !== selected) list = undefined;
      renderSaes();
      refresh();
      break;
    case 'status':
      status.show(message.status);
      break;
    case 'list':
      if (selected !== undefined && message.list.saeId !== selected) return; // a late answer for the SAE picked before
      list = message.list;
      selected = list.saeId;
      renderSaes();
      refresh();
      break;
    case 'searchTextResult':
      if (message.result.saeId !== selected) return;
      textResult = { ...message.result, features: [...message.result.features].sort((a, b) => b.maxActivation - a.maxActivation || a.index - b.index) };
      if (textMode()) refresh();
      break;
    case 'error':
      if (document.body.dataset.state === 'ready') showError(message.message);
      else setState('error', message.message);
      break;
  }
}

controls.sae.addEventListener('change', () => {
  selected = controls.sae.value;
  list = undefined;
  textResult = undefined;
  sentText = '';
  post({ type: 'selectSae', saeId: selected });
  refresh();
  if (textMode()) sendText();
});
controls.search.addEventListener('input', onSearchInput);
controls.search.addEventListener('keydown', onSearchKey);
controls.textMode.addEventListener('change', () => {
  refresh();
  sendText();
});
for (const control of [controls.sort, controls.hideDead, controls.hideDense]) control.addEventListener('change', refresh);

byId('title').textContent = 'Feature browser';
byId('title').classList.add('visually-hidden');
byId('content').append(controls.saeRow, status.element, controls.element, controls.note, featureList.element);
try {
  refresh();
} catch (error) {
  fail(error);
}
startPanel(vscode, { accepts: isHostToFeaturesView, handle, redraw: () => Promise.resolve(), fail, loading: 'Waiting for the extension…' });
