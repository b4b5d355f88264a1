import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GPT2_PRESETS, writeRandomGpt2 } from '../../src/engine/synthetic/randomGpt2';
import { byteLevelTokenizer } from '../../src/engine/synthetic/byteLevelTokenizer';
import { writeSaeLensV6 } from '../fixtures/saeFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';
import { acceptSaveDialog, answerQuickPick, exportNote, frameWith, highlightedCount, hoverText, openFile, prepare, startCodeServer, type RunningCodeServer } from './codeServer';

/**
 * MechLens in a real VS Code (code-server in Chromium): the packaged .vsix installed, a workspace
 * of prompt files, hovers read from the page, and bad input seen as a message with the editor alive.
 */
const ATTACK = '<img src=x onerror=alert(1)>';

describe('MechLens in VS Code', { timeout: 15 * 60_000 }, () => {
  const temp = tempDir('mechlens-e2e-');
  let vscode: RunningCodeServer;
  const model = join(temp.dir, 'model');
  const sae = join(temp.dir, 'sae');
  const workspace = join(temp.dir, 'workspace');

  let installed: { codeServer: string; vsix: string };

  before(async () => {
    installed = prepare();
    // A small random GPT-2 whose tokenizer has one more token: the attack string, as an added token.
    const size = byteLevelTokenizer().size;
    writeRandomGpt2(model, { shape: { ...GPT2_PRESETS.small, vocabSize: size + 1 }, seed: 5 });
    const tokenizerPath = join(model, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(tokenizerPath, 'utf8'));
    tokenizer.added_tokens.push({ id: size, content: ATTACK, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
    writeFileSync(tokenizerPath, JSON.stringify(tokenizer));
    writeSaeLensV6(sae, { architecture: 'standard', dIn: 64, dSae: 128, hookName: 'blocks.2.hook_resid_post', seed: 3, inputScale: 4 });
    writeFileSync(join(sae, 'labels.json'), JSON.stringify(Object.fromEntries(Array.from({ length: 128 }, (_, i) => [String(i), `<b>label ${i}</b> <img src=x onerror=alert(2)>`]))));

    mkdirSync(workspace);
    copyFileSync(join(__dirname, '..', '..', 'samples', 'ioi.prompts'), join(workspace, 'ioi.prompts'));
    writeFileSync(join(workspace, 'html.prompts'), `[html]\nprompt: Mary went ${ATTACK} to the park\n`);
    vscode = await startCodeServer({ ...installed, profile: join(temp.dir, 'profile'), workspace, settings: { 'mechlens.model.path': model, 'mechlens.sae.paths': [sae] } });
  });

  after(async () => {
    await vscode?.close();
    temp.cleanup();
  });

  test('hovering a prompt token shows the token, its SAE features with labels as text, and predictions', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    const text = await hoverText(vscode.page, 'clean: When Mary and John', ' Mary', 'Next token');
    await vscode.screenshot('hover-features');
    assert.match(text, /" Mary" · id \d+ · position \d+/);
    assert.match(text, /Features at blocks\.2\.hook_resid_post/);
    assert.match(text, /#\d+\s+\d+\.\d\d/, 'feature rows with activations');
    assert.ok(text.includes('<b>label'), 'labels read as literal text');
    assert.match(text, /Next token/);
    assert.equal(await vscode.page.locator('.monaco-hover-content img, .monaco-hover-content b').count(), 0, 'no HTML from labels reaches the page');
  });

  test('a token whose text is HTML is shown literally, and nothing runs', async () => {
    await openFile(vscode.page, 'html.prompts');
    const text = await hoverText(vscode.page, 'prompt: Mary went', 'img', 'Next token');
    await vscode.screenshot('hover-html-token');
    assert.ok(text.includes(JSON.stringify(ATTACK)), text);
    assert.equal(await vscode.page.locator('.monaco-hover-content img').count(), 0);
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });

  test('Inspect Features from a case CodeLens: the heatmap renders in the webview, labels as text, and a feature click highlights the prompt', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    await vscode.page.locator('.codelens-decoration a', { hasText: 'Inspect clean' }).first().click({ timeout: 60_000 });
    const frame = await frameWith(vscode.page, '#heatmap .main-svg');
    assert.equal(await frame.getAttribute('body', 'data-state'), 'ready');
    assert.match((await frame.textContent('#title')) ?? '', /ioi-store · clean/);
    assert.ok((await frame.$$('#heatmap .ytick text')).length > 5, 'token labels on the heatmap');
    const features = await frame.$$('#token-features .feature-link[data-feature]');
    assert.ok(features.length > 0, 'each token lists its features');
    assert.ok(((await frame.textContent('#token-features')) ?? '').includes('<b>label'), 'labels read as literal text');
    assert.equal((await frame.$$('#token-features img, #token-features b, #heatmap img[src="x"]')).length, 0, 'no HTML from labels reaches the panel');
    await vscode.screenshot('inspect-panel');

    await features[0].click();
    await frame.waitForSelector('#feature-plot .main-svg', { timeout: 30_000 });
    let highlighted = 0;
    for (let i = 0; i < 20 && highlighted === 0; i++) {
      await vscode.page.waitForTimeout(250);
      highlighted = await highlightedCount(vscode.page);
    }
    assert.ok(highlighted > 0, 'the feature is highlighted over the prompt in the editor');
    await vscode.screenshot('inspect-highlight');
    await frame.click('#clear-highlight');
    await vscode.page.waitForTimeout(500);
    assert.equal(await highlightedCount(vscode.page), 0, 'cleared');

    // Export JSON: offered in the workspace's .mechlens/exports, named after the prompt file and line.
    await frame.click('#export-json');
    assert.match(await acceptSaveDialog(vscode.page, '.json'), /\.mechlens\/exports\/inspect-ioi\.prompts-line\d+-ioi-store_clean\.json$/);
    assert.match(await exportNote(frame), /^Saved .*\.json$/);
    const exported = readdirSync(join(workspace, '.mechlens', 'exports')).find((name) => name.endsWith('.json'))!;
    const json = JSON.parse(readFileSync(join(workspace, '.mechlens', 'exports', exported), 'utf8'));
    assert.equal(json.source.title, 'ioi-store · clean');
    assert.ok(json.result.tokens.length > 5 && json.result.saes.length > 0);
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });

  test('a feature in a hover links to Inspect Features with that feature selected', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    await hoverText(vscode.page, 'clean: When Anna and Peter', ' Anna', 'Next token');
    const link = vscode.page.locator('.monaco-hover-content:visible a', { hasText: /^#\d+$/ }).first();
    const feature = ((await link.textContent()) ?? '').slice(1);
    await link.click();
    // The Inspect panel is reused: it shows the previous test's result until this one arrives, so
    // wait for this prompt and this feature (a timeout fails the test).
    await frameWith(vscode.page, '#feature-plot .main-svg', 120_000, [
      { selector: '#title', matches: /ioi-park · clean/ },
      { selector: '#feature-title', matches: new RegExp(`^Feature #${feature}\\b`) },
    ]);
    await vscode.screenshot('hover-link-inspect');
  });

  test('Run Activation Patching from a case CodeLens: quick picks, progress, a heatmap of the saved run', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    await vscode.page.locator('.codelens-decoration a', { hasText: 'Run Activation Patching' }).first().click({ timeout: 60_000 });
    const answer = (step: string, text: string) => answerQuickPick(vscode, step, text);
    await answer('(2/4)', 'resid_pre');
    await answer('(3/4)', 'Logit difference');
    await answer('(4/4)', 'Denoising');
    const frame = await frameWith(vscode.page, '#details-table');
    await frame.waitForSelector('#heatmap .main-svg', { timeout: 120_000 });
    assert.equal(await frame.getAttribute('body', 'data-state'), 'ready');
    assert.match((await frame.textContent('#title')) ?? '', /resid_pre · denoising/);
    const ticks = await frame.$$eval('#heatmap .xtick text', (nodes) => nodes.map((n) => n.textContent ?? ''));
    assert.ok(ticks.some((t) => t.includes('" Mary"')), `token labels on the heatmap: ${ticks.join(' | ')}`);
    const runs = join(workspace, '.mechlens', 'runs');
    assert.ok(existsSync(runs) && readdirSync(runs).some((name) => name.endsWith('-resid_pre.jsonl')), 'the run is saved in the workspace');
    await vscode.screenshot('patching-results');
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });

  test('Run Subspace Intervention from a case CodeLens: quick picks, progress, a report with its badge, saved, exported as CSV through the save dialog', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    await vscode.page.locator('.codelens-decoration a', { hasText: 'Run Subspace Intervention' }).first().click({ timeout: 60_000 });
    const answer = (step: string, text: string) => answerQuickPick(vscode, step, text);
    await answer('(2/6)', 'blocks.1.mlp.hook_post');
    await answer('(3/6)', 'differ here');
    await answer('(4/6)', 'Difference of means');
    await answer('(5/6)', 'Subspace patch');
    const frame = await frameWith(vscode.page, '#effects .main-svg', 180_000);
    assert.equal(await frame.getAttribute('body', 'data-state'), 'ready');
    assert.match((await frame.textContent('#badge-label')) ?? '', /^(CONSISTENT|POSSIBLE ILLUSION)$/);
    assert.match((await frame.textContent('#title')) ?? '', /blocks\.1\.mlp\.hook_post · denoising/);
    const verdicts = await frame.$$eval('#checks .verdict', (nodes) => nodes.map((n) => n.textContent ?? ''));
    assert.ok(verdicts.length >= 4 && verdicts.every((v) => ['PASS', 'WARN', 'FAIL', 'SKIPPED'].includes(v)), verdicts.join(' | '));
    assert.match((await frame.textContent('#pairs-body')) ?? '', /ioi-store/);
    const runs = join(workspace, '.mechlens', 'runs');
    assert.ok(readdirSync(runs).some((name) => name.endsWith('-blocks.1.mlp.hook_post.subspace.jsonl')), 'the run is saved in the workspace');
    await vscode.screenshot('subspace-report');

    // Export CSV: the editor's save dialog offers the run's name with .csv; accept it.
    await frame.click('#export-csv');
    assert.match(await acceptSaveDialog(vscode.page, '.csv'), /-blocks\.1\.mlp\.hook_post\.subspace\.csv$/);
    const saved = await exportNote(frame);
    assert.match(saved, /^Saved .*\.subspace\.csv$/);
    const csv = readdirSync(runs).find((name) => name.endsWith('-blocks.1.mlp.hook_post.subspace.csv'));
    assert.ok(csv, 'the CSV is beside the run');
    assert.match(readFileSync(join(runs, csv), 'utf8'), /^section,name,verdict,quantity,value\r\nbadge,/);
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });

  test('"use as subspace" in a token hover runs the command with that SAE feature at the SAE\'s hook', async () => {
    await openFile(vscode.page, 'ioi.prompts');
    await hoverText(vscode.page, 'clean: When Mary and John', ' Mary', 'Next token');
    await vscode.page.locator('.monaco-hover-content:visible a', { hasText: 'use as subspace' }).first().click();
    const answer = (step: string, text: string) => answerQuickPick(vscode, step, text);
    await answer('(3/6)', 'differ here');
    await answer('(5/6)', 'Subspace patch');
    await answer('(6/6)', 'Every later head (queries)');
    // The previous test's report stays open in its own panel: wait for this run's.
    const frame = await frameWith(vscode.page, '#effects .main-svg', 180_000, [{ selector: '#title', matches: /blocks\.2\.hook_resid_post · denoising/ }]);
    assert.match((await frame.textContent('#summary')) ?? '', /decoder directions of SAE feature \d+/);
    assert.match((await frame.textContent('#badge-label')) ?? '', /^(CONSISTENT|POSSIBLE ILLUSION)$/);
    await vscode.screenshot('subspace-from-hover');
    assert.equal(vscode.dialogs(), 0, 'no alert ran');
  });

  test('a corrupt model folder gives a message naming the file, and the editor keeps working', async () => {
    const corrupt = join(temp.dir, 'corrupt-model');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'config.json'), '{ "model_type": "gpt2", ');
    // A fresh window whose settings name the corrupt folder (as after a user picks it and reloads).
    await vscode.close();
    vscode = await startCodeServer({ ...installed, profile: join(temp.dir, 'profile-corrupt'), workspace, settings: { 'mechlens.model.path': corrupt, 'mechlens.sae.paths': [] } });
    await openFile(vscode.page, 'ioi.prompts');
    const text = await hoverText(vscode.page, 'clean: When Mary and John', ' John', 'MechLens:');
    await vscode.screenshot('corrupt-model');
    assert.ok(text.includes('MechLens:') && text.includes(join(corrupt, 'config.json')) && text.includes('malformed JSON'), text);

    await vscode.page.mouse.move(10, 10);
    await vscode.page.locator('.view-line', { hasText: 'wrong: " John"' }).first().click();
    await vscode.page.keyboard.press('End');
    await vscode.page.keyboard.type('  # still editing');
    await vscode.page.waitForSelector('.view-line:has-text("still editing")', { timeout: 10_000 });
    await vscode.screenshot('editor-alive');
  });
});
