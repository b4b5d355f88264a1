/**
 * The label a feature shows, from the first source that has one:
 *   1. the workspace labels file (labelStore.ts): a user-written label, else an imported one (the
 *      file holds one entry per feature, and an import never overwrites a user's);
 *   2. the SAE folder's labels.json (kind 'sae-file');
 *   3. a provisional label (top promoted tokens): the SAE folder's provisional_labels.json, else
 *      computed on demand by the given function and kept.
 * A source that does not read is left out and its error kept in `problems`, so a bad labels file
 * hides only its own labels.
 */
import type { FeatureLabel } from '../../protocol/featureIndex';
import { MechLensError } from '../errors';
import { PROVISIONAL_LABELS_FILE, readLabels } from '../sae/labels';
import { readLabelStore, type StoredLabel } from './labelStore';

/** A feature's provisional label text, e.g. from provisionalLabeler (provisionalLabels.ts). */
export type ProvisionalLabelFn = (index: number) => string | undefined;

export interface FeatureLabelSources {
  /** The SAE's folder (or file), where labels.json and provisional_labels.json are looked for. */
  saePath: string;
  /** The SAE's key in the workspace file (saeLabelKey). */
  saeKey: string;
  /** The workspace labels file; without one there are no user or imported labels. */
  workspaceFile?: string;
  /** Computes a provisional label for a feature the shipped file does not cover. */
  provisional?: ProvisionalLabelFn;
}

export class FeatureLabels {
  /** Why a source was left out at the last (re)load. */
  problems: MechLensError[] = [];
  private workspace = new Map<number, StoredLabel>();
  private saeFile = new Map<number, string>();
  private shipped = new Map<number, string>();
  /** Computed provisional texts: they depend only on the weights, so a reload keeps them. */
  private readonly computed = new Map<number, string | undefined>();

  constructor(private readonly sources: FeatureLabelSources) {
    this.reload();
  }

  /** Points at another workspace labels file (the user changed the setting or opened another folder) and reloads. */
  setWorkspaceFile(path: string | undefined): void {
    this.sources.workspaceFile = path;
    this.reload();
  }

  /** Reads the files again (after setLabel or an import, or when a file changed on disk). */
  reload(): void {
    const problems: MechLensError[] = [];
    const attempt = <T>(read: () => T, fallback: T): T => {
      try {
        return read();
      } catch (e) {
        if (!(e instanceof MechLensError)) throw e;
        problems.push(e);
        return fallback;
      }
    };
    const { saePath, saeKey, workspaceFile } = this.sources;
    this.workspace = workspaceFile ? attempt(() => readLabelStore(workspaceFile).saes.get(saeKey) ?? new Map(), new Map()) : new Map();
    this.saeFile = attempt(() => readLabels(saePath), new Map());
    this.shipped = attempt(() => readLabels(saePath, PROVISIONAL_LABELS_FILE), new Map());
    this.problems = problems;
  }

  /** Keeps a provisional text computed elsewhere (e.g. from logit effects a page computed anyway), so get() need not compute it. */
  learnProvisional(index: number, text: string): void {
    if (!this.computed.has(index)) this.computed.set(index, text);
  }

  /** The feature's label, computing a provisional one when no file has one. */
  get(index: number): FeatureLabel | undefined {
    if (!Number.isSafeInteger(index) || index < 0) throw new MechLensError(`feature index ${index} is not a non-negative integer`);
    const stored = this.stored(index);
    if (stored) return stored;
    if (!this.sources.provisional) return undefined;
    if (!this.computed.has(index)) this.computed.set(index, this.sources.provisional(index));
    const text = this.computed.get(index);
    return text === undefined ? undefined : { text, kind: 'provisional' };
  }

  /**
   * Labels of features 0 … dSae−1 for lists. Provisional labels come only from the shipped file
   * (and those already computed): computing them for every feature of a large SAE would take
   * minutes, so features without one are undefined here.
   */
  all(dSae: number): (FeatureLabel | undefined)[] {
    if (!Number.isSafeInteger(dSae) || dSae < 0) throw new MechLensError(`d_sae ${dSae} is not a non-negative integer`);
    return Array.from({ length: dSae }, (_, index) => {
      const stored = this.stored(index);
      if (stored) return stored;
      const text = this.computed.get(index);
      return text === undefined ? undefined : { text, kind: 'provisional' };
    });
  }

  /** The feature's label from the files alone (shipped provisional labels included); never computes one. For hot paths such as hovers. */
  stored(index: number): FeatureLabel | undefined {
    const stored = this.workspace.get(index);
    if (stored) return { ...stored };
    const saeText = this.saeFile.get(index);
    if (saeText?.trim()) return { text: saeText, kind: 'sae-file' };
    const shippedText = this.shipped.get(index);
    return shippedText?.trim() ? { text: shippedText, kind: 'provisional' } : undefined;
  }
}

/** A label as one line of text for hovers and tables: provisional labels say so. */
export function labelLine(label: FeatureLabel | undefined): string | undefined {
  if (!label) return undefined;
  return label.kind === 'provisional' ? `${label.text} (provisional)` : label.text;
}
