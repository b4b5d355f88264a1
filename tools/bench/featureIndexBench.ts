import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureIndex } from '../../src/engine/featureIndex/featureIndex';
import { featurePage } from '../../src/engine/featureIndex/featurePage';
import { HookedModel } from '../../src/engine/hookedModel';
import { DecoderNeighbours } from '../../src/engine/labels/decoderNeighbours';
import { decoderOf, LogitEffectRunner, unembeddingOf } from '../../src/engine/labels/logitEffects';
import { loadSae } from '../../src/engine/sae/loadSae';
import type { LoadedSae } from '../../src/engine/sae/sae';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { GPT2_PRESETS, writeRandomGpt2 } from '../../src/engine/synthetic/randomGpt2';
import { directionFacts, saeLabels } from '../../src/engineProcess/featureBrowser';
import { writeSaeLensV6 } from '../../test/fixtures/saeFixtures';

/**
 * `npm run bench:index`: the feature index. Scan throughput (tokens per second, wall clock, the
 * whole pipeline: reading, tokenizing, model, SAEs, aggregation, commits) on the embedded
 * default (4 SAEs of 2048) over 2 KB text files and over short JSONL documents (one sentence
 * each), and on GPT-2 small's shape with one 768 × 24576 SAE; feature-page
 * latency (index read, contexts, histogram, logit effects, neighbours); index size on disk: the
 * per-feature part is bounded (histogram, 28 top and 60 sampled examples with windows), the
 * per-token part is the documents' tokens and offsets.
 * Written to bench-results/bench-index.json.
 */
const OUT = 'bench-results';
const PAGE_QUERIES = 30;

function heldOutText(): string {
  return readFileSync(join(__dirname, '..', '..', 'media', 'default', 'eval', 'sae_heldout.txt'), 'utf8');
}

/** The default's held-out text as corpus files of about 2 KB, as many as `maxFiles`. */
function writeCorpus(dir: string, maxFiles: number): string[] {
  mkdirSync(dir, { recursive: true });
  const text = heldOutText();
  const files: string[] = [];
  for (let start = 0, i = 0; start < text.length && i < maxFiles; start += 2000, i++) {
    const path = join(dir, `part${String(i).padStart(4, '0')}.txt`);
    writeFileSync(path, text.slice(start, start + 2000));
    files.push(path);
  }
  return files;
}

/** Short documents: the held-out text's first `lines` lines (about 20 tokens each), each a JSONL document, 200 to a file. */
function writeShortDocuments(dir: string, lines: number): string[] {
  mkdirSync(dir, { recursive: true });
  const texts = heldOutText().split('\n').filter((line) => line.trim().length > 0).slice(0, lines);
  const files: string[] = [];
  for (let start = 0; start < texts.length; start += 200) {
    const path = join(dir, `lines${String(files.length).padStart(4, '0')}.jsonl`);
    writeFileSync(path, texts.slice(start, start + 200).map((text) => JSON.stringify({ text })).join('\n') + '\n');
    files.push(path);
  }
  return files;
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

function saes(loaded: LoadedSae[]): number {
  return loaded.reduce((n, s) => n + s.config.dSae, 0);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(name: string, modelDir: string, saeDirs: string[], writeFiles: (dir: string) => string[]): Promise<Record<string, unknown>> {
  const model = await HookedModel.load(modelDir);
  const loaded: LoadedSae[] = saeDirs.map((dir) => loadSae(dir));
  const runners = loaded.map((sae) => SaeRunner.create(sae, { threads: 1 }));
  const storage = join(tmpdir(), `mechlens-bench-index-${name}`);
  const files = writeFiles(join(tmpdir(), `mechlens-bench-corpus-${name}`));
  const index = FeatureIndex.open(storage, model, runners);
  await index.plan(files, { rebuild: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (index.status().state === 'scanning') await index.step(500);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const tokens = index.tokens;
  const documents = index.status().documents;
  const bytes = folderBytes(index.store.path);
  let liveBytes = 0;
  for (const [, record] of index.store.featureRecords()) liveBytes += record.length;
  let documentBytes = 0;
  for (let id = 0; ; id++) {
    const document = index.document(id);
    if (!document) break;
    documentBytes += 12 * document.ids.length;
  }

  const neighbours = new DecoderNeighbours(decoderOf(loaded[0]));
  const aggregate = index.aggregates[0];
  const active = Array.from({ length: aggregate.dSae }, (_, f) => f).filter((f) => aggregate.count(f) > 0);
  const latencies: number[] = [];
  const logits = new LogitEffectRunner(unembeddingOf(model));
  const labels = saeLabels(model, loaded[0], undefined);
  const sources = { document: (id: number) => index.document(id), tokenText: (id: number) => model.tokenizer.decode([id]), label: (i: number) => labels.get(i) };
  for (let q = 0; q < PAGE_QUERIES; q++) {
    const f = active[(q * 7919) % active.length];
    const start = performance.now();
    // As the engine process builds a page, labels included (provisional ones where the SAE ships none).
    featurePage('bench', loaded[0].config.hookName, aggregate, f, tokens, index.settings, sources, await directionFacts(model, loaded[0], f, logits, neighbours, labels));
    latencies.push(performance.now() - start);
  }
  await logits.dispose();
  await index.close();
  for (const runner of runners) await runner.dispose();
  await model.dispose();
  return {
    name,
    saes: loaded.map((s) => `${s.config.hookName} ${s.config.dIn}×${s.config.dSae}`),
    files: files.length,
    documents,
    tokens,
    scanSeconds: Number(seconds.toFixed(2)),
    tokensPerSecond: Math.round(tokens / seconds),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    pageMs: { p50: Number(percentile(latencies, 50).toFixed(1)), p95: Number(percentile(latencies, 95).toFixed(1)) },
    indexBytes: bytes,
    featureRecordBytes: liveBytes,
    bytesPerFeature: Math.round(liveBytes / saes(loaded)),
    documentBytesPerToken: Number((documentBytes / tokens).toFixed(1)),
    indexMBPerMillionTokens: Number(((bytes / 2 ** 20) * (1e6 / tokens)).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const root = join(__dirname, '..', '..', 'media', 'default');
  const defaultSaes = [0, 1, 2, 3].map((l) => join(root, 'saes', `blocks.${l}.hook_resid_post`));
  const defaults = await measure('default', join(root, 'model'), defaultSaes, (dir) => writeCorpus(dir, 1000));
  const shortDocuments = await measure('default-short-documents', join(root, 'model'), defaultSaes, (dir) => writeShortDocuments(dir, 4000));
  const small = join(tmpdir(), 'mechlens-bench-gpt2-small');
  if (!existsSync(join(small, 'config.json'))) writeRandomGpt2(small, { shape: GPT2_PRESETS['gpt2-small'], seed: 0, scale: 0.2 });
  const sae = join(tmpdir(), 'mechlens-bench-sae-24576');
  if (!existsSync(join(sae, 'cfg.json'))) writeSaeLensV6(sae, { architecture: 'topk', k: 32, dIn: 768, dSae: 24576, hookName: 'blocks.6.hook_resid_post', seed: 1 });
  const gpt2 = await measure('gpt2-small', small, [sae], (dir) => writeCorpus(dir, 12));
  const results = [defaults, shortDocuments, gpt2];
  for (const r of results) {
    console.log(`${String(r.name).padEnd(24)} ${r.documents} documents, ${r.tokens} tokens in ${r.scanSeconds} s: ${r.tokensPerSecond} tokens/s (CPU ${r.cpuSeconds} s); feature page p50 ${(r.pageMs as { p50: number }).p50} ms, p95 ${(r.pageMs as { p95: number }).p95} ms; index file ${(Number(r.indexBytes) / 2 ** 20).toFixed(1)} MB (feature records ${(Number(r.featureRecordBytes) / 2 ** 20).toFixed(1)} MB, ${r.bytesPerFeature} B per feature, bounded; documents ${r.documentBytesPerToken} B per token)`);
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'bench-index.json'), JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model }, results }, null, 2));
  console.log(`written to ${OUT}/bench-index.json`);
}

void main();
