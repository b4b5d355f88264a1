import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

/**
 * A real VS Code for end-to-end tests: code-server (installed by setupCodeServer.sh) with the
 * packaged .vsix installed into a fresh profile, driven through Debian's Chromium by playwright-core.
 * Everything listens on 127.0.0.1 only.
 */

const REPO = join(__dirname, '..', '..');
export const ARTIFACTS = join(REPO, 'test-results', 'e2e');

export interface RunningCodeServer {
  page: Page;
  /** How many browser dialogs (alert, confirm, prompt) the page opened; each is dismissed. An injected script would show here. */
  dialogs(): number;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`code-server did not answer at ${url}:\n${log()}`);
}

/** Builds the .vsix and installs code-server once per run; returns their paths. */
export function prepare(): { codeServer: string; vsix: string } {
  const codeServer = execFileSync('bash', [join(__dirname, 'setupCodeServer.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  return { codeServer, vsix: join(REPO, 'mechlens-linux-x64.vsix') };
}

export async function startCodeServer(options: { codeServer: string; vsix: string; profile: string; workspace: string; settings: Record<string, unknown> }): Promise<RunningCodeServer> {
  const entry = join(options.codeServer, 'package', 'out', 'node', 'entry.js');
  const userData = join(options.profile, 'user-data');
  const extensions = join(options.profile, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const settingsPath = join(userData, 'User', 'settings.json');
  writeFileSync(settingsPath, JSON.stringify({ 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false, 'extensions.autoUpdate': false, ...options.settings }, null, 2));
  execFileSync(process.execPath, [entry, '--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', options.vsix], { stdio: 'ignore' });

  const port = await freePort();
  let output = '';
  const server = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userData, '--extensions-dir', extensions, options.workspace], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Its own process group, so stopping it also stops the extension host and the engine it started.
  const stop = () => {
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(`${url}healthz`, server, () => output);
  } catch (error) {
    stop();
    throw error;
  }

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await page.goto(`${url}?folder=${encodeURIComponent(options.workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    return {
      page,
      dialogs: () => dialogs,
      screenshot: async (name) => void (await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })),
      close: async () => {
        await browser?.close();
        stop();
        writeFileSync(join(ARTIFACTS, 'code-server.log'), output);
      },
    };
  } catch (error) {
    await browser?.close();
    stop();
    throw error;
  }
}

/** Opens a workspace file from the explorer and waits for the editor to show it. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
  await page.waitForSelector(`.tab.active[aria-label*="${name}"], .tab.active:has-text("${name}")`, { timeout: 30_000 });
  await page.waitForSelector('.view-line', { timeout: 30_000 });
}

/**
 * Hovers the first occurrence of `text` on the editor line containing `lineText`, re-hovering until
 * the hover's text contains `until` (or 40 s pass), and returns what the hover shows.
 */
export async function hoverText(page: Page, lineText: string, text: string, until: string): Promise<string> {
  let shown = '';
  // Close any earlier hover: a hidden hover's text would still be read otherwise.
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5);
  await page.locator('.monaco-hover-content:visible').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline && !shown.includes(until)) {
    // Measured anew each time: the editor's layout can still shift after a file opens.
    const target = await locateText(page, lineText, text);
    await page.mouse.move(target.x, target.y + 60);
    await page.waitForTimeout(200);
    for (let i = 0; i < 3; i++) {
      await page.mouse.move(target.x + i, target.y);
      await page.waitForTimeout(80);
    }
    for (let i = 0; i < 10 && !shown.includes(until); i++) {
      await page.waitForTimeout(400);
      shown = (await page.locator('.monaco-hover-content:visible').allInnerTexts().catch(() => [])).join('\n');
    }
  }
  return shown;
}

/** Where `text` is drawn on the line holding `lineText`; retried while the editor re-renders (e.g. when its grammar loads). */
async function locateText(page: Page, lineText: string, text: string): Promise<{ x: number; y: number }> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const spans = page.locator('.view-line', { hasText: lineText }).first().locator('span span');
    for (let i = 0; i < (await spans.count()); i++) {
      const span = spans.nth(i);
      const content = ((await span.textContent().catch(() => null)) ?? '').replace(/\u00a0/g, ' ');
      const column = content.indexOf(text);
      const box = column < 0 ? null : await span.boundingBox().catch(() => null);
      if (!box || box.width === 0) continue;
      const charWidth = box.width / content.length; // the editor font is monospaced
      return { x: box.x + (column + Math.min(1.5, text.length / 2)) * charWidth, y: box.y + box.height / 2 };
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no ${JSON.stringify(text)} drawn on the line with ${JSON.stringify(lineText)}`);
}

/**
 * The frame (a webview's inner iframe) holding `selector`, polled until it appears. Webviews run
 * under MechLens's strict CSP, which refuses playwright's string-evaluating waits, so this polls.
 * With `texts`, a frame counts only once the text of each of those selectors matches (a panel can
 * be reused for a new result, or show an earlier one while the new one is on its way).
 */
export async function frameWith(page: Page, selector: string, timeoutMs = 120_000, texts: Array<{ selector: string; matches: RegExp }> = []): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  const wanted = async (frame: Frame): Promise<boolean> => {
    if (!(await frame.$(selector).catch(() => null))) return false;
    for (const text of texts) {
      const element = await frame.$(text.selector).catch(() => null);
      if (!text.matches.test((await element?.textContent().catch(() => null)) ?? '')) return false;
    }
    return true;
  };
  while (Date.now() < deadline) {
    for (const frame of page.frames()) if (await wanted(frame)) return frame;
    await page.waitForTimeout(300);
  }
  const withTexts = texts.map((text) => ` with ${text.selector} matching ${text.matches}`).join('');
  throw new Error(`no webview frame shows ${selector}${withTexts} after ${timeoutMs} ms`);
}

/** How many editor elements carry MechLens's feature highlight (its orange background). */
export async function highlightedCount(page: Page): Promise<number> {
  return page.$$eval('.view-overlays div, .view-line span', (nodes) => nodes.filter((n) => n.ownerDocument.defaultView!.getComputedStyle(n).backgroundColor.startsWith('rgba(255, 140, 0')).length);
}

/**
 * Answers the quick pick whose title holds `step` (e.g. "(3/6)"): focuses its filter box (a pick
 * opened from a hover link can leave the keyboard in the editor), types `text` and accepts the
 * first match. On a timeout a screenshot `quick-pick-<step>` is kept.
 */
export async function answerQuickPick(running: RunningCodeServer, step: string, text: string, timeoutMs = 60_000): Promise<void> {
  const { page } = running;
  try {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: step }).waitFor({ timeout: timeoutMs });
  } catch (error) {
    await running.screenshot(`quick-pick-${step.replace(/\W/g, '')}`);
    throw error;
  }
  await page.locator('.quick-input-widget .quick-input-box input').click();
  await page.keyboard.type(text);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

/**
 * Accepts the editor's save dialog (code-server's simple file dialog) once it offers a path ending
 * in `suffix`, and returns that path. The dialog fills its box in steps (the folder, then the name).
 */
export async function acceptSaveDialog(page: Page, suffix: string, timeoutMs = 30_000): Promise<string> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: timeoutMs });
  let offered = '';
  for (const deadline = Date.now() + timeoutMs; !offered.endsWith(suffix) && Date.now() < deadline; ) {
    await page.waitForTimeout(250);
    offered = await input.inputValue();
  }
  if (!offered.endsWith(suffix)) throw new Error(`the save dialog offers ${JSON.stringify(offered)}, not a path ending in ${suffix}`);
  await input.press('Enter');
  return offered;
}

/** Waits for a panel's export note to say where it saved (after acceptSaveDialog); returns the note. */
export async function exportNote(frame: Frame, timeoutMs = 10_000): Promise<string> {
  let note = '';
  for (const deadline = Date.now() + timeoutMs; !note.startsWith('Saved') && Date.now() < deadline; ) {
    await frame.page().waitForTimeout(250);
    note = (await frame.textContent('#export-note')) ?? '';
  }
  return note;
}
