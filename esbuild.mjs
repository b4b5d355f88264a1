// Bundles: the CLI, the extension host entry and the engine process (all node/cjs), and the
// webviews' browser code (dist/webview: each panel's <name>.js and <name>.css, which its main.ts
// imports, the shared base.css, and plotly's strict-CSP build copied beside them).
// onnxruntime-node and lmdb are native addons and stay external; vscode is provided by the editor.
import * as esbuild from 'esbuild';
import { webviewEntryPoints } from './webview/entryPoints.mjs';
import { writePlotlyAssets } from './webview/plotlyAssets.mjs';

const watch = process.argv.includes('--watch');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, external: ['vscode', 'onnxruntime-node', 'lmdb'], logLevel: 'info' };
const webview = { bundle: true, platform: 'browser', format: 'iife', target: 'chrome120', sourcemap: true, minify: true, logLevel: 'info' };
const builds = [
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/engineProcess/main.ts'], outfile: 'dist/engineProcess.js' },
  { ...webview, entryPoints: webviewEntryPoints(['inspect', 'patching', 'subspace', 'features', 'featurePage']), outdir: 'dist/webview' },
];
writePlotlyAssets('dist/webview');
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
