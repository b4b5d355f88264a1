/**
 * The feature page's contexts: each is a button (a click or Enter opens its source) holding its
 * tokens, each shaded by its activation over the page's largest, the focus token outlined, the
 * activation in each token's tooltip; and the quantile groups, each with its range, its share and
 * its examples. Everything is textContent; the shade is a CSS variable set through the CSSOM.
 */
import type { ActivationGroup, ContextSource, FeatureContext, FeaturePage } from '../../src/protocol/featureIndex';
import { formatPercent, formatValue } from '../shared/featureText';
import { text } from '../shared/page';
import { formatActivation, tokenLiteral } from '../shared/plotText';
import { intensity, tokenPieces } from './tokens';

/** The largest activation on the page (the full shade), at least a tiny positive number. */
export function pageMax(page: FeaturePage): number {
  let max = page.maxActivation;
  for (const context of [...page.top, ...page.groups.flatMap((g) => g.contexts)]) for (const token of context.tokens) max = Math.max(max, token.activation);
  return max > 0 ? max : 1e-6;
}

export function describeSource(source: ContextSource): { short: string; full: string } {
  const name = source.file.split(/[\\/]/).at(-1) || source.file;
  const place = source.line !== undefined ? `:${source.line + 1}` : source.offset !== undefined ? ` @${source.offset}` : '';
  const full = source.line !== undefined ? `${source.file}, line ${source.line + 1}` : source.offset !== undefined ? `${source.file}, offset ${source.offset}` : source.file;
  return { short: `${name}${place}`, full };
}

function tokenSpan(token: FeatureContext['tokens'][number], shade: number, focus: boolean): HTMLElement {
  const span = text('span', '', 'tok');
  for (const piece of tokenPieces(token.text)) span.append(piece.mark ? text('span', piece.text, 'ws') : document.createTextNode(piece.text));
  span.style.setProperty('--a', shade.toFixed(3));
  span.classList.toggle('active', shade > 0);
  span.classList.toggle('focus', focus);
  span.title = `${tokenLiteral(token.text)} · activation ${formatActivation(token.activation)}`;
  return span;
}

export function contextRow(context: FeatureContext, max: number, open: (source: ContextSource) => void): HTMLButtonElement {
  const row = text('button', '', 'context');
  row.type = 'button';
  const where = describeSource(context.source);
  row.title = `Open ${where.full}`;
  const tokens = text('span', '', 'ctx-tokens');
  tokens.append(...context.tokens.map((token, i) => tokenSpan(token, intensity(token.activation, max), i === context.focus)));
  const meta = text('span', `${formatValue(context.activation)} · ${where.short}`, 'ctx-meta');
  row.append(tokens, meta);
  row.addEventListener('click', () => open(context.source));
  return row;
}

export function contextList(contexts: readonly FeatureContext[], max: number, open: (source: ContextSource) => void): HTMLElement {
  const list = text('div', '', 'context-list');
  if (contexts.length === 0) list.append(text('p', 'No examples.', 'muted'));
  list.append(...contexts.map((context) => contextRow(context, max, open)));
  return list;
}

export function groupSection(group: ActivationGroup, max: number, open: (source: ContextSource) => void): HTMLElement {
  const section = text('section', '', 'group');
  section.append(text('h3', group.title), text('p', `activations ${formatValue(group.from)} to ${formatValue(group.to)} · ${formatPercent(group.share)} of the feature's activations`, 'muted'), contextList(group.contexts, max, open));
  return section;
}
