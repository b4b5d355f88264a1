import { randomBytes } from 'node:crypto';

/**
 * The webview panels' page: a fixed skeleton (the panel's script fills it with textContent: #status
 * until it has its state, then #content under its #title; see webview/shared/page.ts), a
 * strict Content-Security-Policy with `default-src 'none'`, and scripts allowed only by a fresh
 * nonce. Styles and scripts come from the extension's dist/webview only; images may also be data:
 * URLs, because plotly draws a heatmap as a PNG data URL. Pure (no vscode): its tests run in Node.
 */

/** webview.asWebviewUri of each file in dist/webview the page loads. */
export interface PageAssets {
  plotlyScript: string;
  plotlyStyle: string;
  /** webview/shared/base.css: what every panel's page looks like. */
  baseStyle: string;
  script: string;
  style: string;
}

/** What a panel gives its page builder. */
export interface PageInput {
  /** webview.cspSource: the origin of the extension's own resources. */
  cspSource: string;
  nonce: string;
  uris: PageAssets;
}

/** What differs between the panels' pages. */
export interface PageContent {
  title: string;
  /** Image sources allowed beyond the extension's own and data: (e.g. blob:). */
  extraImageSources?: string[];
  /** The status shown until the panel's script has its state (plain text). */
  loading: string;
  /** What #content holds below the #title heading: trusted markup, no scripts or inline styles. */
  body: string;
}

/** 128 random bits, base64: a new one for every page. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The assets of the panel whose bundle is dist/webview/<entry>.js and <entry>.css, given how a file name becomes a URI. */
export function pageAssets(entry: string, uri: (file: string) => string): PageAssets {
  return { plotlyScript: uri('plotly-strict.min.js'), plotlyStyle: uri('plotly.css'), baseStyle: uri('base.css'), script: uri(`${entry}.js`), style: uri(`${entry}.css`) };
}

export function contentSecurityPolicy(cspSource: string, nonce: string, extraImageSources: string[] = []): string {
  return [`default-src 'none'`, [`img-src ${cspSource} data:`, ...extraImageSources].join(' '), `style-src ${cspSource}`, `font-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

export function webviewHtml({ cspSource, nonce, uris }: PageInput, { title, extraImageSources, loading, body }: PageContent): string {
  const a = escapeAttribute;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(contentSecurityPolicy(cspSource, nonce, extraImageSources))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link id="plotly.js-style-global" class="no-inline-styles" rel="stylesheet" href="${a(uris.plotlyStyle)}">
<link rel="stylesheet" href="${a(uris.baseStyle)}">
<link rel="stylesheet" href="${a(uris.style)}">
<title>${a(title)}</title>
</head>
<body data-state="loading">
<main>
<p id="status" role="status">${a(loading)}</p>
<div id="content" hidden>
<h1 id="title"></h1>
${body.trim()}
</div>
</main>
<script nonce="${a(nonce)}" src="${a(uris.plotlyScript)}"></script>
<script nonce="${a(nonce)}" src="${a(uris.script)}"></script>
</body>
</html>
`;
}

/** The export buttons of a results panel and the line that says where an export was saved (webview/shared/exports.ts wires them). */
export const EXPORT_CONTROLS = `<div class="controls">
<vscode-button id="export-png" secondary>Export PNG</vscode-button>
<vscode-button id="export-csv" secondary>Export CSV</vscode-button>
<vscode-button id="export-json" secondary>Export JSON</vscode-button>
<span id="export-note" role="status"></span>
</div>`;
