/**
 * Draws a patching heatmap with plotly in the theme's colours: diverging and centred at 0 for
 * signed metrics, sequential otherwise. Strings were escaped by heatmapShape.
 */
import { availableWidth, PLOT_CONFIG, themeLayout, tickAxis } from '../shared/plotLayout';
import { plotly, type PlotlyElement } from '../shared/plotlyGlobal';
import type { PlotTheme } from '../shared/theme';
import type { HeatmapShape } from './heatmapShape';

const CELL_PX = 22;
const NEGATIVE = '#3b82c4';

function axis(theme: PlotTheme, values: number[], text: string[], title: string, extra: object = {}): object {
  return { ...tickAxis(theme, values, text), title: { text: title }, showgrid: false, ...extra };
}

/** Draws the heatmap; a click on a cell reports the run's cell index. */
export async function drawPatchingHeatmap(element: HTMLElement, shape: HeatmapShape, metric: string, theme: PlotTheme, onCell: (cell: number) => void): Promise<void> {
  const colorscale = shape.signed
    ? [
        [0, NEGATIVE],
        [0.5, theme.background],
        [1, theme.accent],
      ]
    : [
        [0, theme.background],
        [1, theme.accent],
      ];
  const trace = {
    type: 'heatmap',
    z: shape.z,
    x: shape.x,
    y: shape.y,
    text: shape.hoverText,
    hovertemplate: '%{text}<extra></extra>',
    zmin: shape.zmin,
    zmax: shape.zmax,
    ...(shape.signed ? { zmid: 0 } : {}),
    colorscale,
    xgap: 1,
    ygap: 1,
    hoverongaps: false,
    colorbar: { title: { text: metric }, tickfont: { color: theme.foreground }, outlinecolor: theme.grid, thickness: 12 },
  };
  const layout = {
    ...themeLayout(theme),
    width: Math.max(availableWidth(element, 700), 220 + CELL_PX * shape.x.length),
    height: Math.max(320, 170 + CELL_PX * shape.y.length),
    plot_bgcolor: theme.grid,
    xaxis: axis(theme, shape.x, shape.xTickText, shape.xTitle, { tickangle: -60, side: 'bottom' }),
    yaxis: axis(theme, shape.y, shape.yTickText, shape.yTitle, { autorange: 'reversed' }),
  };
  const plot: PlotlyElement = await plotly().react(element, [trace], layout, PLOT_CONFIG);
  plot.removeAllListeners('plotly_click');
  plot.on('plotly_click', (event) => {
    const { x, y } = event.points[0] ?? {};
    const cell = Number.isInteger(x) && Number.isInteger(y) ? shape.cells[y]?.[x] : undefined;
    if (cell !== undefined) onCell(cell);
  });
}
