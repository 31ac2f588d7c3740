import type { GrabMetrics } from '../shared/metrics/metrics.js';
import type { PoolGauges } from '../shared/metrics/pool-gauges.js';
import { DeductionRefusedError, PoolPausedError } from './deductions.js';
import type { Deduction } from './grab-request.js';

const isFencedOut = (err: unknown): boolean => err instanceof DeductionRefusedError && err.reason === 'fenced';

/**
 * Counts what each batch settled, once per batch: its size, its grabs by outcome, the cents
 * granted and any fencing rejection; and flags the pools that granted for the pool gauges.
 */
export function measuredDeduction(deduct: Deduction, metrics: GrabMetrics, pools: PoolGauges): Deduction {
  const granted = metrics.grabs.labels('granted');
  const soldOut = metrics.grabs.labels('sold_out');
  const duplicate = metrics.grabs.labels('duplicate');
  const expired = metrics.grabs.labels('expired');
  const failed = metrics.grabs.labels('error');
  return async (pool, grabs) => {
    metrics.batchSize.observe(grabs.length);
    let results: Awaited<ReturnType<Deduction>>;
    try {
      results = await deduct(pool, grabs);
    } catch (err) {
      // Paused grabs are put back, and counted as postponed there.
      if (!(err instanceof PoolPausedError)) failed.inc(grabs.length);
      if (isFencedOut(err)) metrics.fencingRejections.inc();
      throw err;
    }
    let grants = 0;
    let soldOuts = 0;
    let expireds = 0;
    let cents = 0;
    for (const result of results) {
      if (result.outcome === 'granted') {
        grants++;
        cents += result.cents;
      } else if (result.outcome === 'sold_out') {
        soldOuts++;
      } else if (result.outcome === 'expired') {
        expireds++;
      }
    }
    const duplicates = results.length - grants - soldOuts - expireds;
    if (grants > 0) {
      granted.inc(grants);
      metrics.grantedCents.inc(cents);
      pools.granted(pool.campaignId, pool.poolId);
    }
    if (soldOuts > 0) soldOut.inc(soldOuts);
    if (expireds > 0) expired.inc(expireds);
    if (duplicates > 0) duplicate.inc(duplicates);
    return results;
  };
}
