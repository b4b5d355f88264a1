/**
 * Draws the activation histogram (see histogramData) with plotly: bars on a log x axis in the theme's
 * colours, with no modebar button that downloads or sends the chart anywhere. The hover text holds
 * numbers only.
 */
import { PLOT_CONFIG, availableWidth, themeLayout } from '../shared/plotLayout';
import { plotly } from '../shared/plotlyGlobal';
import type { PlotTheme } from '../shared/theme';
import type { HistogramBars } from './histogramData';

export async function drawHistogram(element: HTMLElement, bars: HistogramBars, theme: PlotTheme): Promise<void> {
  const trace = {
    type: 'bar',
    x: bars.x,
    y: bars.y,
    width: bars.width,
    text: bars.hover,
    textposition: 'none',
    hovertemplate: '%{text}<extra></extra>',
    marker: { color: theme.accent, line: { color: theme.highContrast ? theme.foreground : theme.background, width: theme.highContrast ? 1 : 0.5 } },
  };
  const axis = { color: theme.foreground, gridcolor: theme.grid, zerolinecolor: theme.grid, automargin: true };
  const layout = {
    ...themeLayout(theme),
    width: Math.max(320, availableWidth(element, 640)),
    height: 240,
    bargap: 0,
    dragmode: 'zoom',
    xaxis: { ...axis, type: 'log', dtick: 'D2', title: { text: 'activation (log scale)' } },
    yaxis: { ...axis, title: { text: 'tokens' }, rangemode: 'tozero' },
  };
  await plotly().react(element, [trace], layout, PLOT_CONFIG);
}

export function clearHistogram(element: HTMLElement): void {
  plotly().purge(element);
}
