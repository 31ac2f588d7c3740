import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import type { OutcomeLog, SettledGrab } from '../shared/ledger/outcome-log.js';
import type { GrabResult } from '../shared/queue/grab-job.js';
import type { Deduction, GrabRequest, PoolRef } from './grab-request.js';

/** Each grab's outcome, as the outcome log records it. */
export const settledGrabs = (grabs: readonly GrabRequest[], results: readonly GrabResult[]): SettledGrab[] =>
  grabs.map((g, i) => ({ jobId: g.jobId, outcome: results[i]!.outcome }));

/** Records a batch's outcomes in one round trip; throws if the campaign instance is gone. */
export async function recordResults(
  outcomes: OutcomeLog,
  pool: PoolRef,
  grabs: readonly GrabRequest[],
  results: readonly GrabResult[],
): Promise<void> {
  if (!(await outcomes.record(pool, settledGrabs(grabs, results))))
    throw new UnknownPoolError(pool.campaignId, pool.poolId);
}

/**
 * Records each settled grab's outcome, one round trip per batch, before the jobs complete: for
 * the strategies whose deduction does not record them itself (the locked one records in its commit).
 */
export function recordingDeduction(deduct: Deduction, outcomes: OutcomeLog): Deduction {
  return async (pool, grabs) => {
    const results = await deduct(pool, grabs);
    await recordResults(outcomes, pool, grabs, results);
    return results;
  };
}
