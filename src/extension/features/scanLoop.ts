import type { IndexStatus } from '../../protocol/featureIndex';
import { describeError } from '../engineClient';
import type { EngineRequest } from './engineRequest';

/**
 * One scan of the feature index: 'index/plan' (queue new and changed files), then short
 * 'index/step's while the engine says it is scanning. The engine answers one request at a time, so
 * each step's small budget lets hovers and other requests in between. Pure (no vscode).
 */

/** Milliseconds of scanning per step: short enough that a hover waits at most about this long. */
export const STEP_BUDGET_MS = 300;

export const EMPTY_STATUS: IndexStatus = { state: 'empty', filesTotal: 0, filesDone: 0, failures: [], tokens: 0, documents: 0, partialFeatures: 0, storagePath: '' };

export interface ScanPlan {
  storageDir: string;
  files: string[];
  rebuild?: boolean;
}

export interface ScanOptions {
  /** Aborting stops the loop after the step under way; the index keeps what that step committed. */
  signal: AbortSignal;
  /** Each status as it comes: after the plan, after every step, and the final one (cancelled, error). */
  onStatus: (status: IndexStatus) => void;
  budgetMs?: number;
}

/**
 * Plans and steps until the engine is no longer scanning, the signal aborts, or a request fails.
 * Resolves to the last status (state 'cancelled' when the loop was stopped with files left);
 * a failed request is reported as an 'error' status and rethrown.
 */
export async function runScan(request: EngineRequest, plan: ScanPlan, { signal, onStatus, budgetMs = STEP_BUDGET_MS }: ScanOptions): Promise<IndexStatus> {
  let status: IndexStatus | undefined;
  try {
    if (signal.aborted) return cancelled(EMPTY_STATUS, onStatus);
    status = await request('index/plan', { storageDir: plan.storageDir, files: plan.files, ...(plan.rebuild ? { rebuild: true } : {}) });
    onStatus(status);
    while (status.state === 'scanning') {
      if (signal.aborted) return cancelled(status, onStatus);
      status = await request('index/step', { budgetMs });
      onStatus(status);
    }
    return status;
  } catch (error) {
    onStatus({ ...(status ?? EMPTY_STATUS), state: 'error', message: `The scan stopped: ${describeError(error)}` });
    throw error;
  }
}

function cancelled(status: IndexStatus, onStatus: (status: IndexStatus) => void): IndexStatus {
  const left = status.filesTotal - status.filesDone;
  const result: IndexStatus = { ...status, state: 'cancelled', message: `Scan cancelled with ${left} of ${status.filesTotal} files left; the index keeps what was scanned. Scan again to go on.` };
  onStatus(result);
  return result;
}
