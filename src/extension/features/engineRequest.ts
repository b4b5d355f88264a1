import type { EngineMethod, EngineRequests } from '../../protocol/engineProtocol';
import type { RequestOptions } from '../engineClient';

/**
 * What the feature browser needs of the engine: one typed request (EngineHost.request, or a fake in
 * tests). Pure (no vscode), so the browser's logic is tested in plain Node.
 */
export type EngineRequest = <M extends EngineMethod>(method: M, params: EngineRequests[M]['params'], options?: RequestOptions) => Promise<EngineRequests[M]['result']>;
