import type { Ledger } from '../shared/ledger/ledger.js';
import { PoolPausedError } from './deductions.js';
import type { Deduction } from './grab-request.js';

/**
 * Admission before the lock path: one small script per batch settles the grabs of a closed,
 * expired or sold-out pool at once, recording their outcomes, with no lock and no read-compute-
 * commit; a paused pool's grabs wait; the rest go on to `deduct`. `onSettled` hears how many
 * grabs admission settled, for the metrics.
 */
export function admittedDeduction(
  ledger: Ledger,
  deduct: Deduction,
  onSettled: (why: 'expired' | 'sold_out', grabs: number) => void,
): Deduction {
  return async (pool, grabs) => {
    const admission = await ledger.admit(pool, grabs, { enqueue: false });
    switch (admission.decision) {
      case 'proceed':
        return deduct(pool, grabs);
      case 'wait':
        throw new PoolPausedError(`${pool.campaignId}/${pool.poolId}`);
      case 'settled':
        onSettled(admission.why, grabs.length);
        return admission.results;
    }
  };
}
