/**
 * Admission is asked only about pools the process has seen sold out, closed or paused: an open
 * pool's batches go straight to the lock path, without the extra round trip.
 */
import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../shared/ledger/ledger.js';
import type { Admission } from '../../shared/ledger/ledger-types.js';
import type { GrabResult } from '../../shared/queue/grab-job.js';
import { admittedDeduction } from '../../worker/admitted-deduction.js';
import { PoolPausedError } from '../../worker/deductions.js';
import type { PoolRef } from '../../worker/grab-request.js';

const pool: PoolRef = { campaignId: 'c', instance: 1, poolId: 'p1', stripe: 0, split: 'equal' };
const other: PoolRef = { ...pool, poolId: 'p2' };
const grab = [{ user: 'u', jobId: 'c.p1.u' }];

function setUp(admissions: Admission['decision'][]) {
  const calls = { admit: 0, deduct: 0 };
  const lockPath: Array<GrabResult | 'paused'> = [];
  const ledger = {
    admit: async (): Promise<Admission> => {
      calls.admit++;
      const decision = admissions.shift()!;
      return decision === 'settled'
        ? { decision, why: 'sold_out', added: 0, results: [{ outcome: 'sold_out' }] }
        : { decision };
    },
  } as unknown as Ledger;
  const deduct = admittedDeduction(
    ledger,
    async () => {
      calls.deduct++;
      const next = lockPath.shift()!;
      if (next === 'paused') throw new PoolPausedError('c/p1');
      return [next];
    },
    () => undefined,
  );
  return { calls, lockPath, deduct };
}

describe('admittedDeduction', () => {
  it('skips admission for an open pool, asks it once the lock path saw the pool sold out', async () => {
    const { calls, lockPath, deduct } = setUp(['settled']);
    lockPath.push({ outcome: 'granted', cents: 1 }, { outcome: 'sold_out' }, { outcome: 'granted', cents: 1 });
    await deduct(pool, grab);
    await deduct(pool, grab);
    expect(calls).toEqual({ admit: 0, deduct: 2 });
    await expect(deduct(pool, grab)).resolves.toEqual([{ outcome: 'sold_out' }]);
    expect(calls).toEqual({ admit: 1, deduct: 2 });
    // Another pool is not affected.
    await deduct(other, grab);
    expect(calls).toEqual({ admit: 1, deduct: 3 });
  });

  it('asks admission after a pause until it says proceed, then skips it again', async () => {
    const { calls, lockPath, deduct } = setUp(['wait', 'proceed']);
    lockPath.push('paused', { outcome: 'granted', cents: 1 }, { outcome: 'granted', cents: 1 });
    await expect(deduct(pool, grab)).rejects.toBeInstanceOf(PoolPausedError);
    await expect(deduct(pool, grab)).rejects.toBeInstanceOf(PoolPausedError);
    expect(calls).toEqual({ admit: 1, deduct: 1 });
    await deduct(pool, grab);
    await deduct(pool, grab);
    expect(calls).toEqual({ admit: 2, deduct: 3 });
  });
});
