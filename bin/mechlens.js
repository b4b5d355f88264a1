#!/usr/bin/env node
'use strict';
// The mechlens CLI. In a checkout it runs the TypeScript sources through tsx (no build step);
// in a packaged extension it runs the esbuild bundle dist/cli.js.
// It first restarts itself once with the engine's memory setting (src/engine/processEnv.ts),
// which glibc reads only at process start.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const MMAP_THRESHOLD = '1048576'; // keep in step with ENGINE_PROCESS_ENV
if (process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD },
  });
  if (child.error) throw child.error;
  process.exit(child.status ?? 1);
}

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
