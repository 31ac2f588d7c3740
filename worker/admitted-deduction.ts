import type { Ledger } from '../shared/ledger/ledger.js';
import type { GrabResult } from '../shared/queue/grab-job.js';
import { PoolPausedError } from './deductions.js';
import type { Deduction } from './grab-request.js';
import { poolInstanceName } from '../shared/campaign/pool-name.js';

/** Pools a process remembers as needing admission at most; past it, it starts over. */
const MAX_REMEMBERED_POOLS = 10_000;

const settlesWithoutLock = (result: GrabResult): boolean =>
  result.outcome === 'sold_out' || result.outcome === 'expired';

/**
 * Admission before the lock path: one small script per batch settles the grabs of a closed,
 * expired or sold-out pool at once, recording their outcomes, with no lock and no read-compute-
 * commit; a paused pool's grabs wait; the rest go on to `deduct`. `onSettled` hears how many
 * grabs admission settled, for the metrics.
 *
 * Admission is asked only about pools this process has seen sold out, closed or paused (a batch
 * of the lock path that settled a grab as sold out or expired, or met a pause): an open pool's
 * batch goes straight to `deduct`, without the extra round trip. Correctness does not depend on
 * it: the commit refuses a closed or paused pool, and a sold-out one has no packet to grant.
 */
export function admittedDeduction(
  ledger: Ledger,
  deduct: Deduction,
  onSettled: (why: 'expired' | 'sold_out', grabs: number) => void,
): Deduction {
  const needsAdmission = new Set<string>();
  const remember = (key: string) => {
    if (needsAdmission.size >= MAX_REMEMBERED_POOLS) needsAdmission.clear();
    needsAdmission.add(key);
  };
  const deductNoting = async (key: string, ...[pool, grabs]: Parameters<Deduction>): Promise<GrabResult[]> => {
    try {
      const results = await deduct(pool, grabs);
      if (results.some(settlesWithoutLock)) remember(key);
      return results;
    } catch (err) {
      if (err instanceof PoolPausedError) remember(key);
      throw err;
    }
  };
  return async (pool, grabs) => {
    const key = poolInstanceName(pool);
    if (!needsAdmission.has(key)) return deductNoting(key, pool, grabs);
    const admission = await ledger.admit(pool, grabs, { enqueue: false });
    switch (admission.decision) {
      case 'proceed':
        needsAdmission.delete(key);
        return deductNoting(key, pool, grabs);
      case 'wait':
        throw new PoolPausedError(`${pool.campaignId}/${pool.poolId}`);
      case 'settled':
        onSettled(admission.why, grabs.length);
        return admission.results;
    }
  };
}
