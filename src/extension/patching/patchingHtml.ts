import { EXPORT_CONTROLS, type PageInput, webviewHtml } from '../webviewHtml';

/**
 * The activation-patching results page (see webviewHtml for its policy), plus blob: images: plotly's
 * PNG export draws the plot's SVG through a blob: URL the page itself made. Pure (no vscode).
 */
export function patchingHtml(input: PageInput): string {
  return webviewHtml(input, {
    title: 'Activation Patching',
    extraImageSources: ['blob:'],
    loading: 'Loading the run…',
    body: `
<p id="summary"></p>
<div id="warnings" role="alert" hidden><strong>Warning</strong><ul id="warning-list"></ul></div>
<div class="controls">
<label>Metric <select id="metric-select"></select></label>
<span id="slices"></span>
</div>
${EXPORT_CONTROLS}
<div class="plot-scroll"><div id="heatmap"></div></div>
<section id="details">
<h2 id="details-title">Click a cell to see that patch's details.</h2>
<p id="details-patch"></p>
<table id="details-table" class="data-table" hidden>
<thead><tr><th>metric</th><th>patched</th><th>clean (unpatched)</th><th>corrupted (unpatched)</th></tr></thead>
<tbody id="details-body"></tbody>
</table>
</section>
`,
  });
}
