import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Deduction } from './grab-request.js';

/** Records each settled grab's outcome, one round trip per batch, before the jobs complete. */
export function recordingDeduction(deduct: Deduction, outcomes: OutcomeLog): Deduction {
  return async (pool, grabs) => {
    const results = await deduct(pool, grabs);
    await outcomes.record(
      pool.campaignId,
      pool.poolId,
      grabs.map((g, i) => [g.jobId, results[i]!.outcome] as const),
    );
    return results;
  };
}
