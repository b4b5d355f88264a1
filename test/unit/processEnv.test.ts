import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ENGINE_PROCESS_ENV, withEngineEnv } from '../../src/engine/processEnv';

test('the CLI launcher sets the same malloc threshold as the engine environment', () => {
  const launcher = readFileSync('bin/mechlens.js', 'utf8');
  const match = /const MMAP_THRESHOLD = '(\d+)'/.exec(launcher);
  assert.ok(match, 'bin/mechlens.js names its MMAP_THRESHOLD');
  assert.equal(match[1], ENGINE_PROCESS_ENV.MALLOC_MMAP_THRESHOLD_);
});

test('withEngineEnv keeps the caller environment and adds the engine settings', () => {
  const env = withEngineEnv({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '1' });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, ENGINE_PROCESS_ENV.MALLOC_MMAP_THRESHOLD_);
});
