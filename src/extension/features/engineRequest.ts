import type { EngineMethod, EngineRequests } from '../../protocol/engineProtocol';
import { EngineRequestError, type RequestOptions } from '../engineClient';

/**
 * What the feature browser needs of the engine: one typed request (EngineHost.request, or a fake in
 * tests). Pure (no vscode), so the browser's logic is tested in plain Node.
 */
export type EngineRequest = <M extends EngineMethod>(method: M, params: EngineRequests[M]['params'], options?: RequestOptions) => Promise<EngineRequests[M]['result']>;

/** An error as the user reads it: the engine's message for bad input, marked internal for a bug (as describeError). */
export function errorText(error: unknown): string {
  if (error instanceof EngineRequestError) return error.userError ? error.message : `internal error: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
