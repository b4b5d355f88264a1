/**
 * The feature page's smaller sections: its statistics, its logit effects (tokens as JSON strings, so
 * spaces show) and its nearest features by decoder cosine (buttons that open them). Text only.
 */
import type { FeatureLabel, FeaturePage, TokenEffect } from '../../src/protocol/featureIndex';
import { formatCount, formatPercent, formatValue, KIND_MARKER, kindDescription } from '../shared/featureText';
import { text } from '../shared/page';
import { tokenLiteral } from '../shared/plotText';

export function statsList(page: FeaturePage): HTMLElement {
  const list = text('dl', '', 'stats');
  const rows: [string, string][] = [
    ['Density', `${formatPercent(page.density)} of tokens`],
    ['Active on', `${page.count.toLocaleString('en')} tokens`],
    ['Max activation', formatValue(page.maxActivation)],
    ['Mean activation', formatValue(page.meanActivation)],
    ['Tokens scanned', formatCount(page.tokens)],
  ];
  for (const [term, value] of rows) list.append(text('dt', term), text('dd', value));
  return list;
}

function signed(value: number): string {
  const shown = formatValue(value);
  return value > 0 ? `+${shown}` : shown;
}

function effectTable(caption: string, effects: readonly TokenEffect[], id: string): HTMLElement {
  const table = text('table', '', 'data-table effects');
  table.id = id;
  table.append(text('caption', caption));
  const head = text('tr', '');
  head.append(text('th', 'token'), text('th', 'effect'));
  table.append(head);
  if (effects.length === 0) {
    const row = text('tr', '');
    row.append(text('td', 'none', 'muted'), text('td', ''));
    table.append(row);
  }
  for (const effect of effects) {
    const row = text('tr', '');
    row.append(text('td', tokenLiteral(effect.text), 'token'), text('td', signed(effect.effect), 'number'));
    table.append(row);
  }
  return table;
}

export function logitEffects(page: FeaturePage): HTMLElement {
  const holder = text('div', '', 'effects-row');
  holder.append(effectTable('Promoted', page.logitEffects.promoted, 'promoted'), effectTable('Suppressed', page.logitEffects.suppressed, 'suppressed'));
  return holder;
}

function labelSpan(label: FeatureLabel | undefined): HTMLElement {
  const span = text('span', '', label ? `neighbour-label kind-${label.kind}` : 'neighbour-label');
  if (label && label.text !== '') {
    span.title = kindDescription(label);
    span.append(text('span', KIND_MARKER[label.kind], 'kind-marker'), text('span', label.text, 'label-text'));
  }
  return span;
}

export function neighbourList(page: FeaturePage, open: (index: number) => void): HTMLElement {
  const list = text('ul', '', 'neighbours');
  if (page.neighbours.length === 0) list.append(text('li', 'None listed.', 'muted'));
  for (const neighbour of page.neighbours) {
    const button = text('button', '', 'neighbour');
    button.type = 'button';
    button.dataset.feature = String(neighbour.index);
    button.append(text('span', `#${neighbour.index}`, 'neighbour-index'), labelSpan(neighbour.label), text('span', `cos ${neighbour.cosine.toFixed(3)}`, 'muted'));
    button.addEventListener('click', () => open(neighbour.index));
    const item = text('li', '');
    item.append(button);
    list.append(item);
  }
  return list;
}
