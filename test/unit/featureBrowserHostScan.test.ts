import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EngineMethod } from '../../src/protocol/engineProtocol';
import type { IndexStatus } from '../../src/protocol/featureIndex';
import { EngineRequestError } from '../../src/extension/engineClient';
import type { EngineRequest } from '../../src/extension/features/engineRequest';
import { isIndexed } from '../../src/extension/features/glob';
import { EMPTY_STATUS, runScan, STEP_BUDGET_MS } from '../../src/extension/features/scanLoop';
import { ScanScheduler, type ScanRequest } from '../../src/extension/features/scanScheduler';

/** The host side of feature-index scans, with a fake engine: plan, steps, cancel, errors, re-plans on save. */

const status = (state: IndexStatus['state'], filesDone: number, filesTotal: number): IndexStatus => ({ ...EMPTY_STATUS, state, filesDone, filesTotal, storagePath: '/store/feature-index' });

interface Call {
  method: EngineMethod;
  params: unknown;
}

/** An engine whose plan queues `files` files and whose steps each scan one; `failAt` makes that step fail. */
function fakeEngine(options: { files: number; failAt?: number; onStep?: (step: number) => void }) {
  const calls: Call[] = [];
  let done = 0;
  let steps = 0;
  let total = 0;
  const request = (async (method: EngineMethod, params: unknown) => {
    calls.push({ method, params });
    await new Promise((resolve) => setImmediate(resolve)); // answers come later, as over IPC
    if (method === 'index/plan') {
      total = options.files;
      done = 0;
      return status(total > 0 ? 'scanning' : 'ready', 0, total);
    }
    if (method === 'index/step') {
      steps++;
      options.onStep?.(steps);
      if (steps === options.failAt) throw new EngineRequestError('cannot read /w/broken.txt: permission denied', true);
      done = Math.min(total, done + 1);
      return status(done < total ? 'scanning' : 'ready', done, total);
    }
    throw new Error(`unexpected ${method}`);
  }) as EngineRequest;
  return { request, calls, methods: () => calls.map((c) => c.method) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the scan loop', () => {
  test('plans the files, then steps with a short budget while the engine is scanning, reporting every status', async () => {
    const engine = fakeEngine({ files: 3 });
    const seen: IndexStatus[] = [];
    const final = await runScan(engine.request, { storageDir: '/store/feature-index', files: ['/w/a.txt', '/w/b.md', '/w/c.jsonl'] }, { signal: new AbortController().signal, onStatus: (s) => seen.push(s) });
    assert.deepEqual(engine.methods(), ['index/plan', 'index/step', 'index/step', 'index/step']);
    assert.deepEqual(engine.calls[0].params, { storageDir: '/store/feature-index', files: ['/w/a.txt', '/w/b.md', '/w/c.jsonl'] }, 'no rebuild flag unless asked');
    assert.deepEqual(engine.calls[1].params, { budgetMs: STEP_BUDGET_MS });
    assert.ok(STEP_BUDGET_MS <= 500, 'steps are short, so hovers get in between');
    assert.deepEqual(
      seen.map((s) => [s.state, s.filesDone]),
      [
        ['scanning', 0],
        ['scanning', 1],
        ['scanning', 2],
        ['ready', 3],
      ],
    );
    assert.equal(final.state, 'ready');
  });

  test('a rebuild asks the plan to drop what is stored; nothing to scan means no step', async () => {
    const engine = fakeEngine({ files: 0 });
    await runScan(engine.request, { storageDir: '/s', files: [], rebuild: true }, { signal: new AbortController().signal, onStatus: () => {} });
    assert.deepEqual(engine.calls, [{ method: 'index/plan', params: { storageDir: '/s', files: [], rebuild: true } }]);
  });

  test('cancel stops the loop after the step under way, and the status says how many files are left', async () => {
    const controller = new AbortController();
    const engine = fakeEngine({ files: 10, onStep: (step) => step === 2 && controller.abort() });
    const seen: IndexStatus[] = [];
    const final = await runScan(engine.request, { storageDir: '/s', files: [] }, { signal: controller.signal, onStatus: (s) => seen.push(s) });
    assert.deepEqual(engine.methods(), ['index/plan', 'index/step', 'index/step'], 'no step after the cancel');
    assert.equal(final.state, 'cancelled');
    assert.equal(final.filesDone, 2);
    assert.match(final.message ?? '', /8 of 10 files left/);
    assert.equal(seen.at(-1), final, 'the view is told');
  });

  test('a scan cancelled before it starts asks the engine nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const engine = fakeEngine({ files: 3 });
    const final = await runScan(engine.request, { storageDir: '/s', files: [] }, { signal: controller.signal, onStatus: () => {} });
    assert.equal(engine.calls.length, 0);
    assert.equal(final.state, 'cancelled');
  });

  test('a failed step stops the loop: the status says why and the error is rethrown', async () => {
    const engine = fakeEngine({ files: 5, failAt: 2 });
    const seen: IndexStatus[] = [];
    await assert.rejects(runScan(engine.request, { storageDir: '/s', files: [] }, { signal: new AbortController().signal, onStatus: (s) => seen.push(s) }), /permission denied/);
    assert.deepEqual(engine.methods(), ['index/plan', 'index/step', 'index/step']);
    const last = seen.at(-1)!;
    assert.equal(last.state, 'error');
    assert.equal(last.filesDone, 1, 'what was scanned before the failure still shows');
    assert.match(last.message ?? '', /The scan stopped: cannot read \/w\/broken\.txt/);
  });

  test('a failed plan reports an error status too', async () => {
    const request = (async () => {
      throw new Error('no model loaded');
    }) as EngineRequest;
    const seen: IndexStatus[] = [];
    await assert.rejects(runScan(request, { storageDir: '/s', files: [] }, { signal: new AbortController().signal, onStatus: (s) => seen.push(s) }), /no model loaded/);
    assert.deepEqual(
      seen.map((s) => s.state),
      ['error'],
    );
  });
});

/** A scheduler whose scans are recorded and finish when `finish` is called (or at once). */
function scheduler(options: { covers?: (path: string) => boolean; indexExists?: () => boolean; fail?: boolean; manual?: boolean } = {}) {
  const runs: { request: ScanRequest; signal: AbortSignal }[] = [];
  const errors: unknown[] = [];
  const running: boolean[] = [];
  const finishers: (() => void)[] = [];
  const s = new ScanScheduler({
    execute: async (request, signal) => {
      runs.push({ request, signal });
      if (options.manual) await new Promise<void>((resolve) => finishers.push(resolve));
      if (options.fail) throw new Error('engine down');
    },
    onError: (error) => errors.push(error),
    covers: options.covers ?? (() => true),
    indexExists: options.indexExists ?? (() => true),
    onRunning: (r) => running.push(r),
    debounceMs: 20,
  });
  return { s, runs, errors, running, finish: () => finishers.shift()?.() };
}

describe('the scan scheduler', () => {
  test('one scan at a time: scans asked for meanwhile merge into one that runs after it', async () => {
    const { s, runs, running, finish } = scheduler({ manual: true });
    const first = s.scan({ rebuild: false, background: true });
    await tick();
    assert.ok(s.scanning);
    void s.scan({ rebuild: false, background: true });
    void s.scan({ rebuild: true, background: false });
    assert.equal(runs.length, 1);
    finish();
    await tick();
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[1].request, { rebuild: true, background: false }, 'a rebuild wins, and a user scan shows its progress');
    finish();
    await first;
    assert.equal(runs.length, 2);
    assert.ok(!s.scanning);
    assert.deepEqual(running, [true, false]);
  });

  test('cancel aborts the scan under way and drops the queued one; a scan asked for after the cancel still runs', async () => {
    const { s, runs, finish } = scheduler({ manual: true });
    const done = s.scan({ rebuild: false, background: false });
    void s.scan({ rebuild: false, background: true });
    await tick();
    s.cancel();
    assert.ok(runs[0].signal.aborted);
    finish();
    await done;
    assert.equal(runs.length, 1, 'the queued scan was dropped');
    const again = s.scan({ rebuild: false, background: false });
    s.cancel();
    void s.scan({ rebuild: false, background: false });
    finish();
    await tick();
    finish();
    await again;
    assert.equal(runs.length, 3);
    assert.ok(!runs[2].signal.aborted);
  });

  test('a failed scan is reported and the scheduler goes on', async () => {
    const { s, errors, runs } = scheduler({ fail: true });
    await s.scan({ rebuild: false, background: false });
    await s.scan({ rebuild: false, background: false });
    assert.equal(runs.length, 2);
    assert.equal(errors.length, 2);
    assert.ok(!s.scanning);
  });

  test('saves of covered files re-plan once, after a pause', async () => {
    const include = '**/*.{txt,md,prompts,jsonl}';
    const exclude = ['**/node_modules/**', '**/.git/**', '**/.mechlens/**'];
    const { s, runs } = scheduler({ covers: (path) => isIndexed(path, include, exclude) });
    s.fileSaved('notes/a.md');
    s.fileSaved('notes/b.txt');
    s.fileSaved('src/code.ts');
    s.fileSaved('node_modules/pkg/readme.md');
    assert.equal(runs.length, 0, 'debounced');
    await sleep(150);
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0].request, { rebuild: false, background: true });
    s.fileSaved('src/code.ts');
    s.fileSaved('.mechlens/labels.json');
    await sleep(150);
    assert.equal(runs.length, 1, 'files the index does not cover change nothing');
  });

  test('saves re-plan only when an index exists; cancel and dispose drop a pending re-plan', async () => {
    let exists = false;
    const { s, runs } = scheduler({ indexExists: () => exists });
    s.fileSaved('a.txt');
    await sleep(120);
    assert.equal(runs.length, 0);
    exists = true;
    s.fileSaved('a.txt');
    s.cancel();
    await sleep(120);
    assert.equal(runs.length, 0);
    s.fileSaved('a.txt');
    s.dispose();
    await sleep(120);
    assert.equal(runs.length, 0);
    await s.scan({ rebuild: false, background: false });
    assert.equal(runs.length, 0, 'a disposed scheduler scans no more');
  });

  test('with the real loop and a fake engine: a save during a scan re-plans once it ends', async () => {
    let scansDuringSave = 0;
    const s: ScanScheduler = new ScanScheduler({
      execute: (_request, signal) => runScan(engine.request, { storageDir: '/s', files: ['/w/a.txt'] }, { signal, onStatus: () => {} }),
      onError: (error) => assert.fail(String(error)),
      covers: () => true,
      indexExists: () => {
        if (s.scanning) scansDuringSave++;
        return true;
      },
      debounceMs: 0,
    });
    const engine = fakeEngine({ files: 3, onStep: (step) => step === 1 && s.fileSaved('a.txt') });
    await s.scan({ rebuild: false, background: false });
    while (s.scanning) await tick();
    await sleep(20);
    while (s.scanning) await tick();
    assert.equal(scansDuringSave, 1, 'the save came while the first scan ran');
    assert.deepEqual(engine.methods(), ['index/plan', 'index/step', 'index/step', 'index/step', 'index/plan', 'index/step', 'index/step', 'index/step']);
  });
});
