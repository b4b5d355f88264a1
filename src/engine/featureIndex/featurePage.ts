import type { ActivationGroup, FeatureContext, FeatureLabel, FeaturePage, FeatureListRow, TokenEffect } from '../../protocol/featureIndex';
import { binEdges, BIN_COUNT } from './histogramBins';
import type { IndexSettings } from './indexSettings';
import type { StoredDocument } from './indexStore';
import type { RankedEntry } from './rankedLists';
import type { SaeAggregate } from './saeAggregate';

/** What a page needs beyond the index: documents, token texts, and the SAE's labels. */
export interface PageSources {
  document(id: number): StoredDocument | undefined;
  tokenText(id: number): string;
  label(index: number): FeatureLabel | undefined;
}

/** What a page shows of the feature's decoder direction (from the weights, not the index). */
export interface DirectionFacts {
  logitEffects: { promoted: TokenEffect[]; suppressed: TokenEffect[] };
  neighbours: { index: number; cosine: number }[];
}

/** Examples shown per quantile group. */
const GROUP_SIZE = 5;

/** Every feature's count, density, largest activation and label, in index order. */
export function featureRows(aggregate: SaeAggregate, tokens: number, label: (index: number) => FeatureLabel | undefined): FeatureListRow[] {
  return Array.from({ length: aggregate.dSae }, (_, index) => {
    const count = aggregate.count(index);
    const maxActivation = aggregate.top.length[index] > 0 ? aggregate.top.fields(index, 0).activation : 0;
    return { index, count, density: tokens > 0 ? count / tokens : 0, maxActivation, label: label(index) };
  });
}

/** A feature's page; without an index (nothing scanned yet) only its label and decoder facts. */
export function featurePage(saeId: string, hookName: string, aggregate: SaeAggregate | undefined, f: number, tokens: number, settings: IndexSettings, sources: PageSources, direction: DirectionFacts): FeaturePage {
  const about = {
    feature: { saeId, index: f },
    hookName,
    label: sources.label(f),
    logitEffects: direction.logitEffects,
    neighbours: direction.neighbours.map((n) => ({ ...n, label: sources.label(n.index) })),
  };
  if (!aggregate) return { ...about, tokens: 0, count: 0, density: 0, maxActivation: 0, meanActivation: 0, histogram: { edges: [], counts: [] }, top: [], groups: [], partial: false };
  const count = aggregate.count(f);
  const topExact = aggregate.top.entries(f).slice(0, aggregate.top.exactCount(f));
  const samples = aggregate.samples.entries(f).slice(0, aggregate.samples.exactCount(f));
  const maxActivation = topExact[0]?.activation ?? 0;
  const context = contextBuilder(settings, sources);
  return {
    ...about,
    tokens,
    count,
    density: tokens > 0 ? count / tokens : 0,
    maxActivation,
    meanActivation: count > 0 ? aggregate.sum[f] / count : 0,
    histogram: histogramOf(aggregate, f, maxActivation),
    top: topExact.slice(0, settings.topShown).map(context),
    groups: quantileGroups(aggregate, f, maxActivation, samples.slice(0, settings.samplesShown), topExact, settings.quantileGroups).map((group) => ({ ...group, contexts: group.entries.map(context) })),
    partial: aggregate.isPartial(f, settings.topShown),
  };
}

/** The bins from the first to the last that hold activations; the open-ended last bin ends at the largest activation. */
function histogramOf(aggregate: SaeAggregate, f: number, maxActivation: number): FeaturePage['histogram'] {
  const counts = Array.from(aggregate.histogram.subarray(f * BIN_COUNT, (f + 1) * BIN_COUNT));
  const first = counts.findIndex((c) => c > 0);
  if (first < 0) return { edges: [], counts: [] };
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  const edges = binEdges().slice(first, last + 2);
  if (!Number.isFinite(edges.at(-1)!)) edges[edges.length - 1] = Math.max(maxActivation, edges.at(-2)!);
  return { edges, counts: counts.slice(first, last + 1) };
}

type Group = Omit<ActivationGroup, 'contexts'> & { entries: RankedEntry[] };

/**
 * SAEDashboard's groups: equal bands of [0, max], highest first, each with the share of the
 * feature's activations in it and examples from it. Shares come from the log-binned histogram
 * (a bin that straddles a band edge is split in proportion to its log width); examples are the
 * random sample's members in the band, filled up with top examples where the sample has few (the
 * top bands hold few activations).
 */
function quantileGroups(aggregate: SaeAggregate, f: number, max: number, samples: RankedEntry[], top: RankedEntry[], groups: number): Group[] {
  if (max <= 0) return [];
  const count = aggregate.count(f);
  const edges = binEdges();
  const result: Group[] = [];
  for (let g = groups - 1; g >= 0; g--) {
    const from = (g * max) / groups;
    const to = ((g + 1) * max) / groups;
    const inBand = (a: number) => a > from && (a <= to || g === groups - 1);
    let share = 0;
    for (let b = 0; b < BIN_COUNT; b++) {
      const n = aggregate.histogram[f * BIN_COUNT + b];
      if (n > 0) share += n * overlap(edges[b], Math.min(edges[b + 1], max), from, to);
    }
    const entries = samples.filter((e) => inBand(e.activation)).slice(0, GROUP_SIZE);
    for (const e of top) {
      if (entries.length >= GROUP_SIZE) break;
      if (inBand(e.activation) && !entries.some((x) => x.doc === e.doc && x.pos === e.pos)) entries.push(e);
    }
    result.push({ title: `Interval ${from.toPrecision(3)} – ${to.toPrecision(3)}`, from, to, share: count > 0 ? share / count : 0, entries });
  }
  return result;
}

/** The fraction of bin [lo, hi) inside the band (from, to], measured in log scale (linear for the bin that starts at 0). */
function overlap(lo: number, hi: number, from: number, to: number): number {
  if (hi <= lo) return lo > from && lo <= to ? 1 : 0;
  const a = Math.max(lo, from);
  const b = Math.min(hi, to);
  if (b <= a) return 0;
  if (lo === 0) return (b - a) / (hi - lo);
  return Math.log(b / a) / Math.log(hi / lo);
}

/** Tokens of an example's window within its chunk, with the feature's activation at each. */
function contextBuilder(settings: IndexSettings, sources: PageSources): (entry: RankedEntry) => FeatureContext {
  const documents = new Map<number, StoredDocument | undefined>();
  const step = settings.chunkLength - 1;
  return (entry) => {
    if (!documents.has(entry.doc)) documents.set(entry.doc, sources.document(entry.doc));
    const document = documents.get(entry.doc);
    if (!document) return { source: { file: '(removed)' }, tokens: [], focus: 0, activation: entry.activation };
    const chunkStart = Math.floor(entry.pos / step) * step;
    const chunkEnd = Math.min(chunkStart + step, document.ids.length);
    const first = Math.max(chunkStart, entry.pos - settings.windowBefore);
    const last = Math.min(chunkEnd - 1, entry.pos + settings.windowAfter);
    const tokens = [];
    for (let p = first; p <= last; p++) tokens.push({ text: sources.tokenText(document.ids[p]), activation: entry.window[p - entry.pos + settings.windowBefore] });
    const source = document.line !== undefined ? { file: document.file, line: document.line } : { file: document.file, offset: document.starts[entry.pos] };
    return { source, tokens, focus: entry.pos - first, activation: entry.activation };
  };
}
