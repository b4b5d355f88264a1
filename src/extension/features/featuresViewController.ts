import type { SaeSummary } from '../../protocol/engineProtocol';
import { isFeaturesViewToHost, type FeatureList, type FeatureRef, type HostToFeaturesView, type IndexStatus, type SaeChoice } from '../../protocol/featureIndex';
import { describeError } from '../engineClient';
import type { EngineRequest } from './engineRequest';

/** What the Features view's logic needs from the extension (the vscode side, or fakes in tests). */
export interface FeaturesViewDeps {
  request: EngineRequest;
  post: (message: HostToFeaturesView) => void;
  /** Loads the model and SAEs when need be; resolves to the loaded SAEs. */
  loadSaes: () => Promise<SaeSummary[]>;
  openFeature: (feature: FeatureRef) => void;
  scan: () => void;
  cancelScan: () => void;
  /** Whether an index is stored on disk, so opening the view brings it up to date. */
  indexStored: () => boolean;
  scanning: () => boolean;
  warn: (message: string) => void;
}

/**
 * The Features view's host side, without vscode: what it is sent (`saes`, `status`, `list`,
 * search results, errors) and what its messages do. The view may be rebuilt at any time; its
 * `ready` gets everything again.
 */
export class FeaturesViewController {
  private saes: SaeChoice[] = [];
  private selected: string | undefined;
  private status: IndexStatus | undefined;
  private list: FeatureList | undefined;
  /** Whether the view has said `ready` (and is not disposed): only then is the list fetched. */
  private attached = false;
  /** Opening the view brings a stored index up to date once per session. */
  private planned = false;
  private listRequest = 0;
  private searchRequest = 0;

  constructor(private readonly deps: FeaturesViewDeps) {}

  get selectedSae(): string | undefined {
    return this.selected;
  }

  async receive(message: unknown): Promise<void> {
    if (!isFeaturesViewToHost(message)) {
      this.deps.warn('Features view: ignored a malformed message from the view');
      return;
    }
    switch (message.type) {
      case 'ready':
        return this.start();
      case 'selectSae':
        if (!this.saes.some((s) => s.saeId === message.saeId)) return this.deps.warn(`Features view: no loaded SAE has the id ${JSON.stringify(message.saeId)}`);
        if (message.saeId === this.selected) return;
        this.selected = message.saeId;
        this.list = undefined;
        return this.refreshList();
      case 'openFeature': {
        const sae = this.saes.find((s) => s.saeId === this.selected);
        if (!sae) return;
        if (message.index >= sae.dSae) return this.deps.post({ type: 'error', message: `The SAE at ${sae.hookName} has features 0 to ${sae.dSae - 1}; there is no #${message.index}.` });
        return this.deps.openFeature({ saeId: sae.saeId, index: message.index });
      }
      case 'scan':
        return this.deps.scan();
      case 'cancelScan':
        return this.deps.cancelScan();
      case 'searchText':
        return this.searchText(message.text);
    }
  }

  /** The view went away: nothing is fetched for it until it says `ready` again. */
  detach(): void {
    this.attached = false;
  }

  /**
   * The engine dropped its model and SAEs (settings changed): what the view showed is stale. An open
   * view loads the new ones and brings the index up to date again.
   */
  async reset(): Promise<void> {
    this.status = undefined;
    this.list = undefined;
    this.planned = false;
    this.listRequest++;
    this.searchRequest++;
    this.setSaes([]);
    if (this.attached) await this.start();
  }

  /** The engine loaded (or dropped, with []) its SAEs. */
  setSaes(saes: readonly SaeSummary[]): void {
    const previous = this.selected;
    this.saes = saes.map((s) => ({ saeId: s.id, hookName: s.hookName, dSae: s.dSae }));
    if (!this.saes.some((s) => s.saeId === this.selected)) this.selected = this.saes[0]?.saeId;
    if (this.selected !== previous || saes.length === 0) this.list = undefined;
    this.deps.post({ type: 'saes', saes: this.saes, ...(this.selected === undefined ? {} : { selected: this.selected }) });
  }

  /** A scan's status (so a plan has been made this session). */
  setStatus(status: IndexStatus): void {
    this.status = status;
    this.planned = true;
    this.deps.post({ type: 'status', status });
  }

  /** Fetches the selected SAE's list again (after a scan or a label change) when the view is open. */
  async refreshList(): Promise<void> {
    const saeId = this.selected;
    if (!this.attached || saeId === undefined) return;
    const request = ++this.listRequest;
    try {
      const list = await this.deps.request('index/list', { saeId });
      if (request !== this.listRequest || saeId !== this.selected) return; // a newer request or another SAE
      this.list = list;
      this.deps.post({ type: 'list', list });
    } catch (error) {
      if (request !== this.listRequest) return;
      if (this.status === undefined || this.status.state === 'empty') this.deps.warn(`Features view: no list yet (${describeError(error)})`);
      else this.deps.post({ type: 'error', message: `MechLens could not list the features: ${describeError(error)}` });
    }
  }

  private async start(): Promise<void> {
    this.attached = true;
    let saes: SaeSummary[];
    try {
      saes = await this.deps.loadSaes();
    } catch (error) {
      this.deps.post({ type: 'error', message: `MechLens could not load the model and its SAEs: ${describeError(error)}` });
      return;
    }
    this.setSaes(saes);
    if (!this.status) {
      try {
        this.status = await this.deps.request('index/status', {});
      } catch (error) {
        this.deps.warn(`Features view: no index status (${describeError(error)})`);
      }
    }
    if (this.status) this.deps.post({ type: 'status', status: this.status });
    if (!this.planned && !this.deps.scanning() && this.deps.indexStored()) {
      this.planned = true;
      this.deps.scan(); // its end refreshes the list
      return;
    }
    if (this.list && this.list.saeId === this.selected) this.deps.post({ type: 'list', list: this.list });
    else await this.refreshList();
  }

  private async searchText(text: string): Promise<void> {
    const saeId = this.selected;
    if (saeId === undefined) return this.deps.post({ type: 'error', message: 'No SAE is loaded: load a model with an SAE to search its features.' });
    if (text.trim() === '') return;
    const request = ++this.searchRequest;
    try {
      const result = await this.deps.request('index/searchText', { saeId, text });
      if (request === this.searchRequest) this.deps.post({ type: 'searchTextResult', result });
    } catch (error) {
      if (request === this.searchRequest) this.deps.post({ type: 'error', message: `MechLens could not run the text through the model: ${describeError(error)}` });
    }
  }
}
