import { isFeaturePageToHost, type ContextSource, type FeatureLabel, type FeaturePage, type FeatureRef, type HostToFeaturePage } from '../../protocol/featureIndex';
import { findContext } from './contextLocation';
import { describeError } from '../engineClient';
import type { EngineRequest } from './engineRequest';

/** What one feature page's logic needs from the extension (the vscode side, or fakes in tests). */
export interface FeaturePageDeps {
  request: EngineRequest;
  post: (message: HostToFeaturePage) => void;
  setTitle: (title: string) => void;
  /** Opens the context's file at its token (`focusText`: the token's text) or line. */
  openContext: (source: ContextSource, focusText: string | undefined) => void;
  /** Highlights the feature's activations in the editor the user last worked in. */
  highlight: (feature: FeatureRef) => void;
  useAsSubspace: (feature: FeatureRef, hookName: string) => void;
  copy: (text: string) => void;
  openFeature: (feature: FeatureRef) => void;
  /** A label was saved: the list, hovers and other pages show it. */
  labelChanged: (feature: FeatureRef, label: FeatureLabel | undefined) => void;
  /** Before a label is written: the engine knows where labels are saved. */
  prepareLabels: () => Promise<void>;
  showError: (action: string, error: unknown) => void;
  warn: (message: string) => void;
}

const TITLE_LABEL_CHARS = 40;

/** The panel's title: the feature's number and, shortened, its label (plain text). */
export function featurePageTitle(index: number, label: FeatureLabel | undefined): string {
  const text = label?.text.replace(/\s+/g, ' ').trim() ?? '';
  if (text === '') return `Feature #${index}`;
  return `Feature #${index} · ${text.length > TITLE_LABEL_CHARS ? `${text.slice(0, TITLE_LABEL_CHARS - 1)}…` : text}`;
}

/**
 * One feature page's host side, without vscode: loads the page from the engine ('index/feature'),
 * keeps what the page shows so a rebuilt page gets it again on `ready`, and answers the page's
 * messages. Only contexts the page shows can be opened.
 */
export class FeaturePageController {
  private page: FeaturePage | undefined;
  private view: HostToFeaturePage | undefined;
  private loads = 0;

  constructor(
    readonly feature: FeatureRef,
    private readonly deps: FeaturePageDeps,
  ) {}

  get current(): FeaturePage | undefined {
    return this.page;
  }

  async load(): Promise<void> {
    const load = ++this.loads;
    this.show({ type: 'loading', feature: this.feature });
    try {
      const page = await this.deps.request('index/feature', this.feature);
      if (load !== this.loads) return;
      this.page = page;
      this.show({ type: 'page', page });
      this.deps.setTitle(featurePageTitle(this.feature.index, page.label));
    } catch (error) {
      if (load === this.loads) this.show({ type: 'error', message: `MechLens could not load feature #${this.feature.index}: ${describeError(error)}` });
    }
  }

  async receive(message: unknown): Promise<void> {
    if (!isFeaturePageToHost(message)) {
      this.deps.warn(`Feature page #${this.feature.index}: ignored a malformed message from the page`);
      return;
    }
    const page = this.page;
    switch (message.type) {
      case 'ready':
        if (this.view) this.deps.post(this.view);
        else await this.load();
        return;
      case 'openContext': {
        const context = page && findContext(page, message.source);
        if (!context) return this.deps.warn(`Feature page #${this.feature.index}: the page asked to open a context it does not show (${message.source.file})`);
        return this.deps.openContext(context.source, context.tokens[context.focus]?.text);
      }
      case 'editLabel':
        await this.saveLabel(message.text);
        return;
      case 'highlight':
        return this.deps.highlight(this.feature);
      case 'useAsSubspace':
        if (page) this.deps.useAsSubspace(this.feature, page.hookName);
        return;
      case 'copyJson':
        if (page) this.deps.copy(JSON.stringify(page, null, 2));
        return;
      case 'openFeature':
        return this.deps.openFeature({ saeId: this.feature.saeId, index: message.index });
    }
  }

  /** Saves the label (empty text removes it) and shows the label now in effect. */
  async saveLabel(text: string): Promise<FeatureLabel | undefined> {
    try {
      await this.deps.prepareLabels();
      const { label } = await this.deps.request('labels/set', { ...this.feature, text: text.trim() });
      this.labelUpdated(label);
      this.deps.labelChanged(this.feature, label);
      return label;
    } catch (error) {
      this.deps.showError(`saving the label of feature #${this.feature.index}`, error);
      this.deps.post({ type: 'label', ...(this.page?.label ? { label: this.page.label } : {}) }); // the page shows the label still in effect
      return this.page?.label;
    }
  }

  /** This feature's label changed (here or elsewhere). */
  labelUpdated(label: FeatureLabel | undefined): void {
    if (this.page) {
      this.page = { ...this.page, label };
      this.view = { type: 'page', page: this.page };
    }
    this.deps.post({ type: 'label', ...(label ? { label } : {}) });
    this.deps.setTitle(featurePageTitle(this.feature.index, label));
  }

  /** Another feature's label changed: if it is one of this page's neighbours, the page shows the new label. */
  neighbourLabelUpdated(feature: FeatureRef, label: FeatureLabel | undefined): void {
    const page = this.page;
    if (!page || feature.saeId !== this.feature.saeId || !page.neighbours.some((n) => n.index === feature.index)) return;
    this.page = { ...page, neighbours: page.neighbours.map((n) => (n.index === feature.index ? { index: n.index, cosine: n.cosine, ...(label ? { label } : {}) } : n)) };
    this.show({ type: 'page', page: this.page });
  }

  private show(view: HostToFeaturePage): void {
    this.view = view;
    this.deps.post(view);
  }
}
