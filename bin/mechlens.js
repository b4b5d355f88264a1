#!/usr/bin/env node
'use strict';
// The mechlens CLI. In a checkout it runs the TypeScript sources through tsx (no build step);
// in a packaged extension it runs the esbuild bundle dist/cli.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
let cli;
if (existsSync(source)) {
  require('tsx/cjs');
  cli = require(source);
} else {
  cli = require(join(__dirname, '..', 'dist', 'cli.js'));
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
