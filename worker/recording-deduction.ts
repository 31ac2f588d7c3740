import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Deduction } from './grab-request.js';

/** Records each settled grab's outcome, one round trip per batch, before the jobs complete. */
export function recordingDeduction(deduct: Deduction, outcomes: OutcomeLog): Deduction {
  return async (pool, grabs) => {
    const results = await deduct(pool, grabs);
    const recorded = await outcomes.record(
      pool,
      grabs.map((g, i) => ({ jobId: g.jobId, outcome: results[i]!.outcome })),
    );
    if (!recorded) throw new UnknownPoolError(pool.campaignId, pool.poolId);
    return results;
  };
}
