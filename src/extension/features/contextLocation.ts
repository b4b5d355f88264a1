import type { ContextSource, FeatureContext, FeaturePage } from '../../protocol/featureIndex';

/**
 * Where a feature page's context is in its file: the page's own context for a source the page
 * posts (the host opens only files the page shows), and the characters to select there. Pure.
 */

function sameSource(a: ContextSource, b: ContextSource): boolean {
  return a.file === b.file && a.offset === b.offset && a.line === b.line;
}

/** The page's context at this source (top examples first, then the quantile groups'), if it shows one. */
export function findContext(page: FeaturePage, source: ContextSource): FeatureContext | undefined {
  return [...page.top, ...page.groups.flatMap((g) => g.contexts)].find((c) => sameSource(c.source, source));
}

/** [start, end) in the file's text to select; `stale` when the file no longer has the token there (edited since the scan). */
export interface ContextRange {
  start: number;
  end: number;
  stale: boolean;
}

/**
 * A text file's context: the focus token at its offset (a leading space the token carries may be
 * left out); a JSONL context: its whole line (0-based).
 */
export function locateContext(text: string, source: ContextSource, focusText: string | undefined): ContextRange {
  if (source.offset !== undefined) {
    const start = Math.min(source.offset, text.length);
    for (const candidate of [focusText, focusText?.trimStart()]) {
      if (candidate && start === source.offset && text.startsWith(candidate, start)) return { start, end: start + candidate.length, stale: false };
    }
    return { start, end: start, stale: true };
  }
  if (source.line !== undefined) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    if (source.line >= starts.length) return { start: text.length, end: text.length, stale: true };
    const start = starts[source.line];
    let end = source.line + 1 < starts.length ? starts[source.line + 1] - 1 : text.length;
    if (end > start && text[end - 1] === '\r') end--;
    return { start, end, stale: false };
  }
  return { start: 0, end: 0, stale: true };
}
