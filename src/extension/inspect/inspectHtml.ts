import { EXPORT_CONTROLS, type PageInput, webviewHtml } from '../webviewHtml';

/** The Inspect Features page (see webviewHtml for its policy, plus blob: images: plotly's PNG export draws through one): the skeleton its script fills. Pure (no vscode). */
export function inspectHtml(input: PageInput): string {
  return webviewHtml(input, {
    title: 'Inspect Features',
    extraImageSources: ['blob:'],
    loading: 'Waiting for the engine…',
    body: `
<p id="summary"></p>
${EXPORT_CONTROLS}
<section id="predictions-section">
<h2>Next token after the last token</h2>
<div id="predictions"></div>
</section>
<section id="heatmap-section">
<h2>Features × tokens</h2>
<vscode-single-select id="sae-select" aria-label="SAE" hidden></vscode-single-select>
<p id="cap-note"></p>
<div class="plot-scroll"><div id="heatmap"></div></div>
</section>
<section id="feature-section">
<h2 id="feature-title"></h2>
<p id="feature-note"></p>
<vscode-button id="clear-highlight" secondary hidden>Clear highlight</vscode-button>
<vscode-button id="use-as-subspace" secondary hidden title="Run a subspace intervention on this feature's decoder direction, with its illusion checks">Use as subspace…</vscode-button>
<vscode-button id="open-feature-page" secondary hidden title="This feature's page: its top contexts in the workspace, activation histogram and label">Open feature page</vscode-button>
<div class="plot-scroll"><div id="feature-plot"></div></div>
</section>
<section id="token-features-section">
<h2>Top features per token</h2>
<div id="token-features"></div>
</section>
`,
  });
}
