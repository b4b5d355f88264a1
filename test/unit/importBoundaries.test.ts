import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

/** The layer rules of eslint.config.mjs, checked on small virtual files placed in each layer. */
async function lintAs(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('import boundaries', () => {
  test('src/engine may not import vscode', async () => {
    const messages = await lintAs('src/engine/boundaryProbe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.ok(messages.some((m) => m.startsWith('no-restricted-imports') && m.includes('never import vscode')), messages.join('\n'));
  });

  test('src/engine may not import the extension or CLI layers', async () => {
    const messages = await lintAs('src/engine/boundaryProbe.ts', "import { main } from '../cli/main';\nexport const x = main;\n");
    assert.ok(messages.some((m) => m.startsWith('no-restricted-imports')), messages.join('\n'));
  });

  test('src/protocol imports nothing', async () => {
    const messages = await lintAs('src/protocol/boundaryProbe.ts', "import { HookedModel } from '../engine/hookedModel';\nexport type X = HookedModel;\n");
    assert.ok(messages.some((m) => m.startsWith('no-restricted-imports')), messages.join('\n'));
  });

  test('src/extension may import vscode and the engine', async () => {
    const messages = await lintAs('src/extension/boundaryProbe.ts', "import * as vscode from 'vscode';\nimport { MechLensError } from '../engine/errors';\nexport const x = [vscode, MechLensError];\n");
    assert.deepEqual(messages.filter((m) => m.startsWith('no-restricted-imports')), []);
  });
});
