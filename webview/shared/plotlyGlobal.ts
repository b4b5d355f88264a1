/**
 * The part of plotly's API the panels use. Plotly (the strict-CSP build, no eval) is its own
 * script, loaded before each panel's and copied into dist/webview at build time; it sets
 * window.Plotly.
 */

export interface PlotlyClick {
  points: { x: number; y: number }[];
}

export interface PlotlyElement extends HTMLElement {
  on(event: 'plotly_click', handler: (event: PlotlyClick) => void): void;
  removeAllListeners(event: string): void;
}

export interface PlotlyApi {
  react(element: HTMLElement, data: object[], layout: object, config?: object): Promise<PlotlyElement>;
  purge(element: HTMLElement): void;
  /** The plot drawn as an image: a data URL (no network). */
  toImage(element: HTMLElement, options: { format: 'png'; width?: number; height?: number; scale?: number }): Promise<string>;
}

export function plotly(): PlotlyApi {
  const api = (window as unknown as { Plotly?: PlotlyApi }).Plotly;
  if (!api) throw new Error('plotly did not load');
  return api;
}

/** A drawn plot as a PNG data URL, at twice its size (for exports). */
export function plotPng(element: HTMLElement): Promise<string> {
  return plotly().toImage(element, { format: 'png', scale: 2 });
}
