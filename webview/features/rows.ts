/**
 * The Features view's row contents: a feature of the index (index, label, density, max activation)
 * and a text-search result (index, label, the token it peaks on, its activation). Labels show their
 * kind: a marker, and provisional ones in italics. Everything is textContent.
 */
import type { FeatureLabel, FeatureListRow, TextSearchResult } from '../../src/protocol/featureIndex';
import { text } from '../shared/page';
import { formatPercent, formatValue, KIND_MARKER, kindDescription } from '../shared/featureText';
import { tokenLiteral } from '../shared/plotText';

/** The label cell: marker and text, or a muted "no label". */
function labelCell(label: FeatureLabel | undefined): HTMLElement {
  const cell = text('span', '', 'row-label');
  if (!label || label.text === '') {
    cell.append(text('span', 'no label', 'muted'));
    return cell;
  }
  cell.classList.add(`kind-${label.kind}`);
  cell.append(text('span', KIND_MARKER[label.kind], 'kind-marker'), text('span', label.text, 'label-text'));
  return cell;
}

function describeLabel(label: FeatureLabel | undefined): string {
  return label && label.text !== '' ? ` ${label.text} (${kindDescription(label)})` : ' (no label)';
}

export function renderFeatureRow(row: HTMLElement, feature: FeatureListRow): void {
  row.dataset.feature = String(feature.index);
  row.classList.toggle('dead', feature.count === 0);
  row.title = `#${feature.index}${describeLabel(feature.label)} · active on ${formatPercent(feature.density)} of tokens (${feature.count}) · max ${formatValue(feature.maxActivation)}`;
  row.append(text('span', `#${feature.index}`, 'row-index'), labelCell(feature.label), text('span', formatPercent(feature.density), 'row-density'), text('span', formatValue(feature.maxActivation), 'row-max'));
}

type TextHit = TextSearchResult['features'][number];

export function renderTextHit(row: HTMLElement, hit: TextHit, tokens: readonly string[]): void {
  const token = tokenLiteral(tokens[hit.token] ?? '');
  row.dataset.feature = String(hit.index);
  row.title = `#${hit.index}${describeLabel(hit.label)} · peaks at ${formatValue(hit.maxActivation)} on token ${hit.token} ${token}`;
  row.append(text('span', `#${hit.index}`, 'row-index'), labelCell(hit.label), text('span', token, 'row-token'), text('span', formatValue(hit.maxActivation), 'row-max'));
}
