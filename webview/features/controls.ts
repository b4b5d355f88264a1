/**
 * The Features view's controls, built once: the SAE picker, the search box with its Text toggle,
 * the sort and the filters, the note under them and the error line. Native form elements in the
 * theme's colours (features.css), each with a label, so all of it works from the keyboard.
 */
import { DENSE_THRESHOLD, type SortKey } from './listModel';
import { formatPercent } from '../shared/featureText';
import { text } from '../shared/page';

export interface Controls {
  /** The SAE picker, with its label. */
  saeRow: HTMLElement;
  /** The search box, the sort and filters, and the error line. */
  element: HTMLElement;
  sae: HTMLSelectElement;
  search: HTMLInputElement;
  textMode: HTMLInputElement;
  listOptions: HTMLElement;
  sort: HTMLSelectElement;
  hideDead: HTMLInputElement;
  hideDense: HTMLInputElement;
  note: HTMLElement;
  error: HTMLElement;
}

const SORTS: [SortKey, string][] = [
  ['index', 'index'],
  ['density', 'density (densest first)'],
  ['max', 'max activation (largest first)'],
  ['label', 'label (A–Z)'],
];

function labelled(label: string, control: HTMLElement, className: string): HTMLLabelElement {
  const wrapper = text('label', '', className);
  wrapper.append(text('span', label), control);
  return wrapper;
}

function checkbox(id: string, label: string, title: string): { input: HTMLInputElement; wrapper: HTMLLabelElement } {
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.id = id;
  const wrapper = text('label', '', 'check');
  wrapper.title = title;
  wrapper.append(input, text('span', label));
  return { input, wrapper };
}

export function createControls(): Controls {
  const sae = document.createElement('select');
  sae.id = 'sae-select';
  const search = document.createElement('input');
  search.type = 'search';
  search.id = 'search';
  search.setAttribute('aria-label', 'Search features');
  search.autocomplete = 'off';
  search.spellcheck = false;
  const textMode = checkbox('text-mode', 'Text', 'Run the typed text through the model and list the features that fire on it');
  const searchRow = text('div', '', 'search-row');
  searchRow.append(search, textMode.wrapper);

  const sort = document.createElement('select');
  sort.id = 'sort';
  for (const [value, label] of SORTS) {
    const option = text('option', label);
    option.value = value;
    sort.append(option);
  }
  const hideDead = checkbox('hide-dead', 'Hide dead', 'Hide features that never fired on the indexed tokens');
  const hideDense = checkbox('hide-dense', `Hide dense (> ${formatPercent(DENSE_THRESHOLD)})`, `Hide features active on more than ${formatPercent(DENSE_THRESHOLD)} of the indexed tokens`);
  const listOptions = text('div', '', 'list-options');
  listOptions.append(labelled('Sort', sort, 'sort'), hideDead.wrapper, hideDense.wrapper);

  const note = text('p', '', 'list-note');
  note.id = 'list-note';
  note.setAttribute('aria-live', 'polite');
  const error = text('p', '', 'error-line');
  error.id = 'error';
  error.setAttribute('role', 'alert');
  error.hidden = true;

  const element = text('div', '', 'controls');
  element.append(searchRow, listOptions, error);
  return { saeRow: labelled('SAE', sae, 'sae-row'), element, sae, search, textMode: textMode.input, listOptions, sort, hideDead: hideDead.input, hideDense: hideDense.input, note, error };
}
