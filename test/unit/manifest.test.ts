import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/** The extension manifest (package.json): every command, setting text and walkthrough file it names exists. */
const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
const contributes = manifest.contributes;
const declared = new Set<string>(contributes.commands.map((c: { command: string }) => c.command));

/** Commands the extension registers or runs: registerCommand('…') literals and the *_COMMAND constants in src/extension. */
function registeredCommands(): Set<string> {
  const found = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/registerCommand\('([\w.]+)'|_COMMAND = '([\w.]+)'/g)) found.add(m[1] ?? m[2]);
    }
  };
  visit(join(ROOT, 'src', 'extension'));
  return found;
}

describe('the extension manifest', () => {
  test('runs on the workspace side, so a remote window runs the engine beside the model', () => {
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });

  test('every command a menu, walkthrough or source file uses is declared', () => {
    const used = new Set<string>();
    for (const entries of Object.values(contributes.menus ?? {}) as { command: string }[][]) for (const entry of entries) used.add(entry.command);
    for (const walkthrough of contributes.walkthroughs) {
      for (const step of walkthrough.steps) {
        for (const match of (step.description as string).matchAll(/\(command:([\w.]+)\)/g)) used.add(match[1]);
        for (const event of step.completionEvents ?? []) if (event.startsWith('onCommand:')) used.add(event.slice('onCommand:'.length));
      }
    }
    for (const command of registeredCommands()) used.add(command);
    assert.ok(used.size >= 5, [...used].join(', '));
    for (const command of used) assert.ok(declared.has(command), `${command} is used but not declared`);
    const registered = registeredCommands();
    for (const command of declared) assert.ok(registered.has(command), `${command} is declared but never registered`);
  });

  test('the MechLens activity-bar container holds the Features webview view, and its icon is on disk', () => {
    const container = contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === 'mechlens');
    assert.ok(container, 'a mechlens container');
    assert.equal(container.title, 'MechLens');
    assert.ok(existsSync(join(ROOT, container.icon)), container.icon);
    assert.deepEqual(
      contributes.views.mechlens.map((v: { id: string; type?: string; name: string }) => [v.id, v.type, v.name]),
      [['mechlens.features', 'webview', 'Features']],
    );
    for (const command of ['mechlens.openFeaturePage', 'mechlens.scanFeatureIndex', 'mechlens.cancelFeatureScan', 'mechlens.rebuildFeatureIndex', 'mechlens.importLabels', 'mechlens.editFeatureLabel']) {
      assert.equal(contributes.commands.find((c: { command: string }) => c.command === command)?.category, 'MechLens', command);
    }
  });

  test('every setting has a description text, and every walkthrough step its media', () => {
    for (const [key, setting] of Object.entries(contributes.configuration.properties) as [string, { description: string }][]) {
      const id = /^%(.+)%$/.exec(setting.description)?.[1];
      assert.ok(id && nls[id], `${key} needs a description in package.nls.json`);
    }
    for (const step of contributes.walkthroughs[0].steps) assert.ok(existsSync(join(ROOT, step.media.markdown)), step.media.markdown);
    for (const grammar of contributes.grammars) assert.ok(existsSync(join(ROOT, grammar.path)), grammar.path);
  });
});
