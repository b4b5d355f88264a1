/**
 * The activation histogram's bars, from the page's log-spaced bins: each bar spans its bin's edges
 * (plotly places a bar in data units, on a log axis too: midpoint ± width / 2). Bins with an edge at
 * or below zero cannot sit on a log axis and are left out. Pure.
 */
import type { FeaturePage } from '../../src/protocol/featureIndex';
import { formatValue, plural } from '../shared/featureText';

export interface HistogramBars {
  /** Each bin's midpoint and width (so the bar spans its edges), its count and its hover text. */
  x: number[];
  width: number[];
  y: number[];
  hover: string[];
}

export function histogramBars({ edges, counts }: FeaturePage['histogram']): HistogramBars {
  const bars: HistogramBars = { x: [], width: [], y: [], hover: [] };
  counts.forEach((count, i) => {
    const [lower, upper] = [edges[i], edges[i + 1]];
    if (!(lower > 0 && upper > lower)) return;
    bars.x.push((lower + upper) / 2);
    bars.width.push(upper - lower);
    bars.y.push(count);
    bars.hover.push(`${formatValue(lower)} to ${formatValue(upper)}: ${plural(count, 'activation')}`);
  });
  return bars;
}
