import { EXPORT_CONTROLS, type PageInput, webviewHtml } from '../webviewHtml';

/** The subspace report page, under the same policy as the patching results (blob: images too). Pure (no vscode). */
export function subspaceHtml(input: PageInput): string {
  return webviewHtml(input, {
    title: 'Subspace Intervention',
    extraImageSources: ['blob:'],
    loading: 'Loading the run…',
    body: `
<div id="badge" role="note"><span id="badge-label"></span> <span id="badge-sentence"></span></div>
<p id="summary"></p>
<div id="warnings" role="alert" hidden><strong>Warning</strong><ul id="warning-list"></ul></div>
<div id="report">
${EXPORT_CONTROLS}
<h2>Effect per variant</h2>
<p class="muted">Normalised: 0 = the unpatched run, 1 = the source run’s logit difference. The random subspaces are shown as their spread.</p>
<div class="plot-scroll"><div id="effects"></div></div>
<h2>Checks</h2>
<ul id="checks"></ul>
<h2>Projections on the subspace and its parts</h2>
<p class="muted">Clean vs corrupted activations projected on the subspace, its rowspace part (what the readers see) and its nullspace part; a part the classes do not separate is dormant.</p>
<div id="histograms"></div>
<h2>Prompt pairs</h2>
<table id="pairs" class="data-table"><thead><tr><th>case</th><th>clean</th><th>positions</th><th>answer vs wrong</th><th>LD clean</th><th>LD corrupted</th></tr></thead><tbody id="pairs-body"></tbody></table>
</div>
`,
  });
}
