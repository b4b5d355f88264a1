import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EngineMethod, SaeSummary } from '../../src/protocol/engineProtocol';
import type { FeatureLabel, FeatureList, FeaturePage, FeatureRef, HostToFeaturePage, HostToFeaturesView, IndexStatus } from '../../src/protocol/featureIndex';
import { EngineRequestError } from '../../src/extension/engineClient';
import type { EngineRequest } from '../../src/extension/features/engineRequest';
import { FeaturePageController, featurePageTitle, type FeaturePageDeps } from '../../src/extension/features/featurePageController';
import { FeaturesViewController, type FeaturesViewDeps } from '../../src/extension/features/featuresViewController';
import { EMPTY_STATUS } from '../../src/extension/features/scanLoop';

/** The Features view's and the feature page's host logic, with a fake engine and fake editor actions. */

const SAES: SaeSummary[] = [
  { id: 'sae-0', path: '/saes/l0', hookName: 'blocks.0.hook_resid_post', architecture: 'relu', dIn: 8, dSae: 32 },
  { id: 'sae-1', path: '/saes/l1', hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 8, dSae: 64 },
];
const READY: IndexStatus = { ...EMPTY_STATUS, state: 'ready', filesTotal: 2, filesDone: 2, tokens: 100, documents: 2, storagePath: '/store/feature-index' };
const ATTACK = '<img src=x onerror=alert(1)>';

function list(saeId: string): FeatureList {
  return { saeId, hookName: 'h', dSae: 2, tokens: 100, rows: [{ index: 0, count: 3, density: 0.03, maxActivation: 2 }, { index: 1, count: 0, density: 0, maxActivation: 0, label: { text: ATTACK, kind: 'user' } }] };
}

type Handler = (params: never) => unknown;

/** A fake engine: `handlers` answer by method (a thrown error fails the request); every call is recorded. */
function fakeEngine(handlers: Partial<Record<EngineMethod, Handler>>) {
  const calls: { method: EngineMethod; params: unknown }[] = [];
  const request = (async (method: EngineMethod, params: never) => {
    calls.push({ method, params });
    await Promise.resolve();
    const handler = handlers[method];
    if (!handler) throw new Error(`unexpected ${method}`);
    return handler(params);
  }) as EngineRequest;
  return { request, calls, methods: () => calls.map((c) => c.method) };
}

function viewController(handlers: Partial<Record<EngineMethod, Handler>>, overrides: Partial<FeaturesViewDeps> = {}) {
  const engine = fakeEngine(handlers);
  const posted: HostToFeaturesView[] = [];
  const opened: FeatureRef[] = [];
  const warnings: string[] = [];
  const actions: string[] = [];
  const controller = new FeaturesViewController({
    request: engine.request,
    post: (m) => posted.push(m),
    loadSaes: async () => SAES,
    openFeature: (f) => opened.push(f),
    scan: () => actions.push('scan'),
    cancelScan: () => actions.push('cancel'),
    indexStored: () => false,
    scanning: () => false,
    warn: (m) => warnings.push(m),
    ...overrides,
  });
  return { controller, engine, posted, opened, warnings, actions, types: () => posted.map((m) => m.type) };
}

describe('the Features view (host side)', () => {
  test('ready: the loaded SAEs (first selected), the index status and the selected SAE’s list', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) });
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.posted[0], { type: 'saes', saes: [{ saeId: 'sae-0', hookName: 'blocks.0.hook_resid_post', dSae: 32 }, { saeId: 'sae-1', hookName: 'blocks.1.hook_resid_post', dSae: 64 }], selected: 'sae-0' });
    assert.deepEqual(v.posted[1], { type: 'status', status: READY });
    assert.deepEqual(v.posted[2], { type: 'list', list: list('sae-0') });
    assert.deepEqual(v.engine.calls.at(-1), { method: 'index/list', params: { saeId: 'sae-0' } });
  });

  test('a stored index is brought up to date once when the view first opens (the scan refreshes the list)', async () => {
    const v = viewController({ 'index/status': () => EMPTY_STATUS }, { indexStored: () => true });
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.actions, ['scan']);
    assert.ok(!v.engine.methods().includes('index/list'));
    v.controller.setStatus(READY);
    v.controller.detach();
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.actions, ['scan'], 'not again');
  });

  test('no index yet: the list is not an error; a failed list with an index is', async () => {
    const v = viewController({
      'index/status': () => EMPTY_STATUS,
      'index/list': () => {
        throw new EngineRequestError('no feature index is open', true);
      },
    });
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.types(), ['saes', 'status']);
    assert.equal(v.warnings.length, 1);
    v.controller.setStatus(READY);
    await v.controller.refreshList();
    assert.deepEqual(v.posted.at(-1), { type: 'error', message: 'MechLens could not list the features: no feature index is open' });
  });

  test('a model that cannot load is said in the view', async () => {
    const v = viewController({}, { loadSaes: async () => Promise.reject(new EngineRequestError('no config.json in /m', true)) });
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.posted, [{ type: 'error', message: 'MechLens could not load the model and its SAEs: no config.json in /m' }]);
  });

  test('selectSae lists that SAE; an unknown SAE and malformed messages are ignored', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) });
    await v.controller.receive({ type: 'ready' });
    await v.controller.receive({ type: 'selectSae', saeId: 'sae-1' });
    assert.deepEqual(v.posted.at(-1), { type: 'list', list: list('sae-1' ) });
    const before = v.posted.length;
    await v.controller.receive({ type: 'selectSae', saeId: 'nope' });
    await v.controller.receive({ type: 'openFeature', index: -1 });
    await v.controller.receive({ type: 'searchText' });
    await v.controller.receive('scan');
    assert.equal(v.posted.length, before);
    assert.equal(v.warnings.length, 4);
    assert.deepEqual(v.actions, []);
  });

  test('openFeature opens the selected SAE’s feature; an index past dSae is refused in the view', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) });
    await v.controller.receive({ type: 'ready' });
    await v.controller.receive({ type: 'openFeature', index: 7 });
    assert.deepEqual(v.opened, [{ saeId: 'sae-0', index: 7 }]);
    await v.controller.receive({ type: 'openFeature', index: 32 });
    assert.equal(v.opened.length, 1);
    assert.match((v.posted.at(-1) as { message: string }).message, /features 0 to 31; there is no #32/);
  });

  test('scan and cancelScan start and stop scans', async () => {
    const v = viewController({});
    await v.controller.receive({ type: 'scan' });
    await v.controller.receive({ type: 'cancelScan' });
    assert.deepEqual(v.actions, ['scan', 'cancel']);
  });

  test('searchText asks the engine for the selected SAE; only the latest answer is shown; errors are said', async () => {
    let fail = false;
    const v = viewController({
      'index/status': () => READY,
      'index/list': (p: { saeId: string }) => list(p.saeId),
      'index/searchText': (p: { saeId: string; text: string }) => {
        if (fail) throw new EngineRequestError('the text is longer than the model’s context', true);
        return { saeId: p.saeId, text: p.text, tokens: [p.text], features: [{ index: 3, maxActivation: 1, token: 0 }] };
      },
    });
    await v.controller.receive({ type: 'ready' });
    const first = v.controller.receive({ type: 'searchText', text: 'old' });
    const second = v.controller.receive({ type: 'searchText', text: 'Mary' });
    await Promise.all([first, second]);
    const results = v.posted.filter((m) => m.type === 'searchTextResult');
    assert.equal(results.length, 1, 'the older answer is dropped');
    assert.deepEqual(v.engine.calls.at(-1), { method: 'index/searchText', params: { saeId: 'sae-0', text: 'Mary' } });
    await v.controller.receive({ type: 'searchText', text: '   ' });
    assert.equal(v.engine.methods().filter((m) => m === 'index/searchText').length, 2, 'blank text is not sent');
    fail = true;
    await v.controller.receive({ type: 'searchText', text: 'long' });
    assert.deepEqual(v.posted.at(-1), { type: 'error', message: 'MechLens could not run the text through the model: the text is longer than the model’s context' });
  });

  test('the engine reloading other SAEs keeps the selection when it still exists, else selects the first', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) });
    await v.controller.receive({ type: 'ready' });
    await v.controller.receive({ type: 'selectSae', saeId: 'sae-1' });
    v.controller.setSaes(SAES);
    assert.equal(v.controller.selectedSae, 'sae-1');
    v.controller.setSaes([SAES[0]]);
    assert.equal(v.controller.selectedSae, 'sae-0');
    v.controller.setSaes([]);
    assert.equal(v.controller.selectedSae, undefined);
    assert.deepEqual(v.posted.at(-1), { type: 'saes', saes: [] });
  });

  test('after the engine drops its model, an open view loads again and re-plans a stored index', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) }, { indexStored: () => true });
    await v.controller.receive({ type: 'ready' });
    assert.deepEqual(v.actions, ['scan']);
    v.controller.setStatus(READY);
    await v.controller.reset();
    assert.deepEqual(v.actions, ['scan', 'scan'], 'the new model gets its index brought up to date');
    assert.deepEqual(v.posted.filter((m) => m.type === 'saes').map((m) => (m as { saes: unknown[] }).saes.length), [2, 0, 2]);
    v.controller.detach();
    await v.controller.reset();
    assert.deepEqual(v.actions, ['scan', 'scan'], 'a closed view loads nothing');
  });

  test('the list is fetched only while the view is open', async () => {
    const v = viewController({ 'index/status': () => READY, 'index/list': (p: { saeId: string }) => list(p.saeId) });
    v.controller.setSaes(SAES);
    await v.controller.refreshList();
    assert.deepEqual(v.engine.calls, []);
  });
});

const CONTEXT = { source: { file: '/w/notes.md', offset: 6 }, tokens: [{ text: 'Hello', activation: 0 }, { text: ' Mary', activation: 2.5 }], focus: 1, activation: 2.5 };
const LINE_CONTEXT = { source: { file: '/w/data.jsonl', line: 1 }, tokens: [{ text: ATTACK, activation: 1 }], focus: 0, activation: 1 };

function page(label?: FeatureLabel): FeaturePage {
  return {
    feature: { saeId: 'sae-0', index: 5 },
    hookName: 'blocks.0.hook_resid_post',
    ...(label ? { label } : {}),
    tokens: 100,
    count: 2,
    density: 0.02,
    maxActivation: 2.5,
    meanActivation: 1.75,
    histogram: { edges: [0, 1, 2, 4], counts: [0, 1, 1] },
    top: [CONTEXT],
    groups: [{ title: 'Interval 1', from: 0, to: 1, share: 0.5, contexts: [LINE_CONTEXT] }],
    partial: false,
    logitEffects: { promoted: [{ text: ' Mary', effect: 1 }], suppressed: [] },
    neighbours: [{ index: 9, cosine: 0.8 }],
  };
}

function pageController(handlers: Partial<Record<EngineMethod, Handler>>, feature: FeatureRef = { saeId: 'sae-0', index: 5 }) {
  const engine = fakeEngine(handlers);
  const posted: HostToFeaturePage[] = [];
  const events: unknown[][] = [];
  const titles: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) =>
      void events.push([name, ...args]);
  const deps: FeaturePageDeps = {
    request: engine.request,
    post: (m) => posted.push(m),
    setTitle: (t) => titles.push(t),
    openContext: record('openContext'),
    highlight: record('highlight'),
    useAsSubspace: record('useAsSubspace'),
    copy: record('copy'),
    openFeature: record('openFeature'),
    labelChanged: record('labelChanged'),
    prepareLabels: async () => void events.push(['prepareLabels']),
    showError: (action, error) => void events.push(['showError', action, (error as Error).message]),
    warn: record('warn'),
  };
  return { controller: new FeaturePageController(feature, deps), engine, posted, events, titles };
}

describe('a feature page (host side)', () => {
  test('loads the engine’s page, titles the panel, and gives a rebuilt page its state again on ready', async () => {
    const p = pageController({ 'index/feature': () => page({ text: 'names', kind: 'user' }) });
    await p.controller.load();
    assert.deepEqual(p.engine.calls, [{ method: 'index/feature', params: { saeId: 'sae-0', index: 5 } }]);
    assert.deepEqual(p.posted, [{ type: 'loading', feature: { saeId: 'sae-0', index: 5 } }, { type: 'page', page: page({ text: 'names', kind: 'user' }) }]);
    assert.deepEqual(p.titles, ['Feature #5 · names']);
    await p.controller.receive({ type: 'ready' });
    assert.deepEqual(p.posted.at(-1), { type: 'page', page: page({ text: 'names', kind: 'user' }) });
    assert.equal(p.engine.calls.length, 1, 'not fetched again');
  });

  test('a page that cannot load says why', async () => {
    const p = pageController({
      'index/feature': () => {
        throw new EngineRequestError('feature 5 is past the SAE’s 4 features', true);
      },
    });
    await p.controller.receive({ type: 'ready' });
    assert.deepEqual(p.posted.at(-1), { type: 'error', message: 'MechLens could not load feature #5: feature 5 is past the SAE’s 4 features' });
  });

  test('openContext opens only contexts the page shows, with the focus token’s text', async () => {
    const p = pageController({ 'index/feature': () => page() });
    await p.controller.load();
    await p.controller.receive({ type: 'openContext', source: { file: '/w/notes.md', offset: 6 } });
    await p.controller.receive({ type: 'openContext', source: { file: '/w/data.jsonl', line: 1 } });
    await p.controller.receive({ type: 'openContext', source: { file: '/etc/passwd', offset: 0 } });
    assert.deepEqual(
      p.events.filter((e) => e[0] === 'openContext'),
      [
        ['openContext', { file: '/w/notes.md', offset: 6 }, ' Mary'],
        ['openContext', { file: '/w/data.jsonl', line: 1 }, ATTACK],
      ],
    );
    assert.match(String(p.events.find((e) => e[0] === 'warn')?.[1]), /does not show \(\/etc\/passwd\)/);
  });

  test('editLabel saves through the engine (labels file first), shows the label in effect and tells the others', async () => {
    const p = pageController({ 'index/feature': () => page(), 'labels/set': (params: { text: string }) => ({ label: { text: params.text, kind: 'user' } }) });
    await p.controller.load();
    await p.controller.receive({ type: 'editLabel', text: '  a name  ' });
    assert.deepEqual(p.engine.calls.at(-1), { method: 'labels/set', params: { saeId: 'sae-0', index: 5, text: 'a name' } });
    assert.deepEqual(p.events.map((e) => e[0]), ['prepareLabels', 'labelChanged']);
    assert.deepEqual(p.events[1], ['labelChanged', { saeId: 'sae-0', index: 5 }, { text: 'a name', kind: 'user' }]);
    assert.deepEqual(p.posted.at(-1), { type: 'label', label: { text: 'a name', kind: 'user' } });
    assert.equal(p.titles.at(-1), 'Feature #5 · a name');
    assert.deepEqual(p.controller.current?.label, { text: 'a name', kind: 'user' });
    await p.controller.receive({ type: 'ready' });
    assert.deepEqual((p.posted.at(-1) as { page: FeaturePage }).page.label, { text: 'a name', kind: 'user' }, 'a rebuilt page shows the new label');
  });

  test('a label that cannot be saved is reported, and the page shows the label still in effect', async () => {
    const p = pageController({
      'index/feature': () => page({ text: 'old', kind: 'imported', source: 'neuronpedia' }),
      'labels/set': () => {
        throw new EngineRequestError('cannot write /w/.mechlens/labels.json: read-only file system', true);
      },
    });
    await p.controller.load();
    await p.controller.receive({ type: 'editLabel', text: 'new' });
    assert.deepEqual(p.events.at(-1), ['showError', 'saving the label of feature #5', 'cannot write /w/.mechlens/labels.json: read-only file system']);
    assert.deepEqual(p.posted.at(-1), { type: 'label', label: { text: 'old', kind: 'imported', source: 'neuronpedia' } });
    assert.ok(!p.events.some((e) => e[0] === 'labelChanged'));
  });

  test('highlight, useAsSubspace, copyJson and openFeature act on this feature', async () => {
    const p = pageController({ 'index/feature': () => page() });
    await p.controller.receive({ type: 'copyJson' });
    await p.controller.receive({ type: 'useAsSubspace' });
    assert.deepEqual(p.events, [], 'nothing to copy or use before the page loads');
    await p.controller.load();
    await p.controller.receive({ type: 'highlight' });
    await p.controller.receive({ type: 'useAsSubspace' });
    await p.controller.receive({ type: 'copyJson' });
    await p.controller.receive({ type: 'openFeature', index: 9 });
    assert.deepEqual(p.events[0], ['highlight', { saeId: 'sae-0', index: 5 }]);
    assert.deepEqual(p.events[1], ['useAsSubspace', { saeId: 'sae-0', index: 5 }, 'blocks.0.hook_resid_post']);
    assert.equal(p.events[2][0], 'copy');
    assert.deepEqual(JSON.parse(p.events[2][1] as string), page(), 'the page as JSON, model text included verbatim');
    assert.deepEqual(p.events[3], ['openFeature', { saeId: 'sae-0', index: 9 }]);
  });

  test('a neighbour’s new label shows on the page; other features’ labels change nothing', async () => {
    const p = pageController({ 'index/feature': () => page() });
    await p.controller.load();
    const posts = p.posted.length;
    p.controller.neighbourLabelUpdated({ saeId: 'sae-1', index: 9 }, { text: 'x', kind: 'user' });
    p.controller.neighbourLabelUpdated({ saeId: 'sae-0', index: 4 }, { text: 'x', kind: 'user' });
    assert.equal(p.posted.length, posts);
    p.controller.neighbourLabelUpdated({ saeId: 'sae-0', index: 9 }, { text: 'Marys', kind: 'user' });
    assert.deepEqual((p.posted.at(-1) as { page: FeaturePage }).page.neighbours, [{ index: 9, cosine: 0.8, label: { text: 'Marys', kind: 'user' } }]);
  });

  test('the panel title is plain and short', () => {
    assert.equal(featurePageTitle(3, undefined), 'Feature #3');
    assert.equal(featurePageTitle(3, { text: ' ', kind: 'user' }), 'Feature #3');
    assert.equal(featurePageTitle(3, { text: 'a\nb', kind: 'provisional' }), 'Feature #3 · a b');
    const long = featurePageTitle(3, { text: 'x'.repeat(100), kind: 'user' });
    assert.equal(long, `Feature #3 · ${'x'.repeat(39)}…`);
  });
});
