/**
 * How the feature browser writes a feature's label kind, density and counts, shared by the Features
 * view and the feature page. Pure: strings only (the callers put them in as textContent).
 */
import type { FeatureLabel, LabelKind } from '../../src/protocol/featureIndex';

/** A short marker before a label, so the kinds differ without colour. */
export const KIND_MARKER: Record<LabelKind, string> = { user: '✎', imported: '↓', 'sae-file': '◆', provisional: '≈' };

/** What a label's kind means, for tooltips and the feature page. */
export function kindDescription(label: FeatureLabel): string {
  switch (label.kind) {
    case 'user':
      return 'your label';
    case 'imported':
      return label.source ? `imported from ${label.source}` : 'imported';
    case 'sae-file':
      return 'from the SAE file';
    case 'provisional':
      return 'provisional: made from the top promoted tokens';
  }
}

/** A fraction as a percentage: 0%, <0.01%, 0.42%, 3.1%, 45%. */
export function formatPercent(fraction: number): string {
  const p = 100 * fraction;
  if (!Number.isFinite(p)) return '—';
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  if (p < 1) return `${p.toFixed(2)}%`;
  if (p < 10) return `${p.toFixed(1).replace(/\.0$/, '')}%`;
  return `${p.toFixed(0)}%`;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** A count for display: 950, 12K, 1.2M. */
export function formatCount(n: number): string {
  return n < 10_000 ? String(n) : compact.format(n);
}

/** `n thing` or `n things`, n in full (24,576). */
export function plural(n: number, thing: string, things = `${thing}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? thing : things}`;
}

/** An activation, short: 0.00, 3.21, 12.3, 140. */
export function formatValue(value: number): string {
  const size = Math.abs(value);
  const text = size >= 100 ? value.toFixed(0) : size >= 10 ? value.toFixed(1) : value.toFixed(2);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}
