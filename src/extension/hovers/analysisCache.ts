import type { PromptPredictions, SaeSummary, TokenFeatureSummary, TokenSummary } from '../../protocol/engineProtocol';

/** What a hover needs of one prompt: tokens and predictions, and each SAE's features per token. */
export interface PromptAnalysis {
  predictions: PromptPredictions;
  features: { sae: SaeSummary; tokens: TokenFeatureSummary[] }[];
}

/**
 * Analyses by prompt text, most recently used kept: an edit re-analyses only the cases whose
 * text changed, and a hover over an analysed prompt answers without the engine. A failed
 * analysis is not kept, so the next hover tries again.
 */
export class AnalysisCache {
  private readonly entries = new Map<string, Promise<PromptAnalysis>>();

  constructor(
    private readonly analyse: (prompt: string) => Promise<PromptAnalysis>,
    private readonly capacity = 64,
  ) {}

  get(prompt: string): Promise<PromptAnalysis> {
    let entry = this.entries.get(prompt);
    if (entry) {
      this.entries.delete(prompt); // re-insert: most recently used last
    } else {
      entry = this.analyse(prompt);
      entry.catch(() => this.entries.get(prompt) === entry && this.entries.delete(prompt));
    }
    this.entries.set(prompt, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /** Forgets everything (the model or SAEs changed). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The index of the token covering a character offset of the prompt (a prepended BOS covers none). */
export function tokenIndexAt(tokens: readonly TokenSummary[], offset: number): number | undefined {
  let found: number | undefined;
  tokens.forEach((token, i) => {
    const [start, end] = token.span;
    if (start < end && offset >= start && offset < end && found === undefined) found = i;
  });
  return found;
}
