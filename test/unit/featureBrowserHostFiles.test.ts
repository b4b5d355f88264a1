import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { globToRegExp, isIndexed, joinGlobs, matchesGlob } from '../../src/extension/features/glob';
import { expandCorpusPaths } from '../../src/engine/featureIndex/corpusFiles';
import { checkIndexSettings, DEFAULT_INDEX_SETTINGS, labelsFilePath, selectIndexFiles } from '../../src/extension/features/indexSettings';
import { tempDir } from '../fixtures/tempCheckpoint';

/** Which files the feature index scans: glob patterns, the settings (checked), the size limit, the labels file. */

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
const properties = manifest.contributes.configuration.properties;

describe('glob patterns', () => {
  test('**, *, ?, braces and brackets match as in VS Code settings', () => {
    const include = DEFAULT_INDEX_SETTINGS.include;
    for (const path of ['a.txt', 'notes/b.md', 'deep/er/c.prompts', 'data/d.jsonl']) assert.ok(matchesGlob(path, include), path);
    for (const path of ['a.ts', 'a.txt.bak', 'notes/md', 'data/d.json']) assert.ok(!matchesGlob(path, include), path);
    assert.ok(matchesGlob('a.txt', '*.txt'));
    assert.ok(!matchesGlob('x/a.txt', '*.txt'), '* stays in one folder');
    assert.ok(matchesGlob('x/a.txt', 'x/?.txt'));
    assert.ok(!matchesGlob('x/ab.txt', 'x/?.txt'));
    assert.ok(matchesGlob('v1/a.txt', 'v[0-9]/*.txt'));
    assert.ok(!matchesGlob('va/a.txt', 'v[0-9]/*.txt'));
    assert.ok(matchesGlob('va/a.txt', 'v[!0-9]/*.txt'));
    assert.ok(matchesGlob('a/b/c/d.txt', 'a/**/d.txt'));
    assert.ok(matchesGlob('a/d.txt', 'a/**/d.txt'), '** may be no folder at all');
    assert.ok(matchesGlob('a.b(c)+$.txt', 'a.b(c)+$.txt'), 'regular-expression characters are literal');
    assert.ok(!matchesGlob('aXb', 'a.b'));
    assert.ok(matchesGlob('win\\path\\a.md', '**/*.md'), 'backslashes read as separators');
  });

  test('the default excludes cover node_modules, .git and .mechlens at any depth', () => {
    const { include, exclude } = DEFAULT_INDEX_SETTINGS;
    assert.ok(isIndexed('docs/readme.md', include, exclude));
    for (const path of ['node_modules/x/readme.md', 'pkg/node_modules/y.txt', '.git/description.txt', '.mechlens/runs/r.jsonl', 'sub/.mechlens/labels.jsonl']) assert.ok(!isIndexed(path, include, exclude), path);
  });

  test('malformed patterns throw, naming the pattern', () => {
    assert.throws(() => globToRegExp('**/*.{txt,md'), /"\*\*\/\*\.\{txt,md" has a \{ without its \}/);
    assert.throws(() => globToRegExp('a/[bc'), /has a \[ without its \]/);
  });

  test('excludes join into one findFiles pattern unless one has braces itself', () => {
    assert.equal(joinGlobs([]), undefined);
    assert.equal(joinGlobs(['  ']), undefined);
    assert.equal(joinGlobs(['**/a/**']), '**/a/**');
    assert.equal(joinGlobs(['**/a/**', ' **/b/** ']), '{**/a/**,**/b/**}');
    assert.equal(joinGlobs(['**/a/**', '**/*.{log,tmp}']), undefined);
  });
});

describe('feature index settings', () => {
  test('the defaults are the manifest defaults', () => {
    assert.equal(properties['mechlens.featureIndex.include'].default, DEFAULT_INDEX_SETTINGS.include);
    assert.deepEqual(properties['mechlens.featureIndex.exclude'].default, DEFAULT_INDEX_SETTINGS.exclude);
    assert.equal(properties['mechlens.featureIndex.maxFileKB'].default, DEFAULT_INDEX_SETTINGS.maxFileKB);
    assert.equal(properties['mechlens.labels.file'].default, DEFAULT_INDEX_SETTINGS.labelsFile);
    assert.deepEqual(properties['mechlens.featureIndex.files'].default, DEFAULT_INDEX_SETTINGS.files);
    assert.deepEqual(checkIndexSettings({}), { settings: DEFAULT_INDEX_SETTINGS, problems: [] });
  });

  test('good values are taken, trimmed', () => {
    const { settings, problems } = checkIndexSettings({ include: ' **/*.txt ', exclude: ['**/out/**'], maxFileKB: 64, labelsFile: 'labels/mine.json' });
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, { include: '**/*.txt', exclude: ['**/out/**'], maxFileKB: 64, files: [], labelsFile: 'labels/mine.json' });
  });

  test('a bad value falls back, with a problem naming the setting', () => {
    const { settings, problems } = checkIndexSettings({ include: '**/*.{txt', exclude: ['**/ok/**', 3, ''], maxFileKB: -1, labelsFile: '  ' });
    assert.equal(settings.include, DEFAULT_INDEX_SETTINGS.include);
    assert.deepEqual(settings.exclude, ['**/ok/**']);
    assert.equal(settings.maxFileKB, DEFAULT_INDEX_SETTINGS.maxFileKB);
    assert.equal(settings.labelsFile, DEFAULT_INDEX_SETTINGS.labelsFile);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0], /^mechlens\.featureIndex\.include is malformed/);
    assert.match(problems[1], /^mechlens\.featureIndex\.exclude\[1\] is not a glob pattern/);
    assert.match(problems[2], /^mechlens\.featureIndex\.exclude\[2\]/);
    assert.match(problems[3], /^mechlens\.featureIndex\.maxFileKB must be a number above 0/);
    assert.match(problems[4], /^mechlens\.labels\.file must be a file path/);
    assert.match(checkIndexSettings({ exclude: 'node_modules' }).problems[0], /mechlens\.featureIndex\.exclude is not a list/);
  });

  test('files over the size limit are left out and listed; each file once, sorted', () => {
    const { files, tooLarge } = selectIndexFiles(
      [
        { path: '/w/b.txt', size: 2048 },
        { path: '/w/a.txt', size: 10 },
        { path: '/w/big.jsonl', size: 2049 },
        { path: '/w/a.txt', size: 10 },
        { path: '/w/empty.md', size: 0 },
      ],
      2,
    );
    assert.deepEqual(files, ['/w/a.txt', '/w/b.txt', '/w/empty.md']);
    assert.deepEqual(tooLarge, ['/w/big.jsonl']);
  });

  test('the labels file is resolved against the workspace folder; an absolute one is kept', () => {
    assert.equal(labelsFilePath('/work/ws', '.mechlens/labels.json'), '/work/ws/.mechlens/labels.json');
    assert.equal(labelsFilePath('/work/ws', '/shared/labels.json'), '/shared/labels.json');
  });
});

describe('files outside the include pattern (mechlens.featureIndex.files)', () => {
  test('a list of paths is kept, anything else is reported and left out', () => {
    assert.deepEqual(checkIndexSettings({ files: [' /data/corpus.jsonl ', 'notes'] }).settings.files, ['/data/corpus.jsonl', 'notes']);
    const bad = checkIndexSettings({ files: ['ok.txt', 3, ''] });
    assert.deepEqual(bad.settings.files, ['ok.txt']);
    assert.deepEqual(bad.problems, ['mechlens.featureIndex.files[1] is not a path; it is left out', 'mechlens.featureIndex.files[2] is not a path; it is left out']);
    assert.deepEqual(checkIndexSettings({ files: 'a.txt' }).problems, ['mechlens.featureIndex.files is not a list of paths; using none']);
  });

  test('folders are searched for text files (dot-folders and node_modules skipped); missing paths come back apart', () => {
    const temp = tempDir();
    try {
      for (const dir of ['corpus/deep', 'corpus/.hidden', 'corpus/node_modules']) mkdirSync(join(temp.dir, dir), { recursive: true });
      for (const file of ['corpus/a.jsonl', 'corpus/deep/b.md', 'corpus/c.bin', 'corpus/.hidden/d.txt', 'corpus/node_modules/e.txt', 'single.log']) writeFileSync(join(temp.dir, file), 'x');
      const { files, missing } = expandCorpusPaths([join(temp.dir, 'corpus'), join(temp.dir, 'single.log'), join(temp.dir, 'nope')]);
      assert.deepEqual(files.map((f) => f.slice(temp.dir.length + 1)).sort(), ['corpus/a.jsonl', 'corpus/deep/b.md', 'single.log']);
      assert.deepEqual(missing, [join(temp.dir, 'nope')]);
    } finally {
      temp.cleanup();
    }
  });
});
