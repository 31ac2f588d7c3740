import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../shared/ledger/ledger.js';
import type { PoolRead } from '../../shared/ledger/ledger-types.js';
import type { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { seededRng } from '../../shared/ledger/prng.js';
import type { DistributedLock, LockHandle } from '../../shared/lock/lock-handle.js';
import { createLogger } from '../../shared/logging/logger.js';
import { MeasuredLock } from '../../shared/metrics/measured-lock.js';
import { grabMetrics, lockMetrics, poolMetrics } from '../../shared/metrics/metrics.js';
import { PoolGauges } from '../../shared/metrics/pool-gauges.js';
import { lockedDeduction, DeductionRefusedError } from '../../worker/deductions.js';
import type { Deduction, PoolRef } from '../../worker/grab-request.js';
import { measuredDeduction } from '../../worker/measured-deduction.js';

const logger = createLogger('test', 'silent');
const pool: PoolRef = { campaignId: 'c', instance: 1, poolId: 'p1', stripe: 0, split: 'equal' };
const grabs = (n: number) => Array.from({ length: n }, (_, i) => ({ user: `u${i}`, jobId: `c.p1.u${i}` }));

let registry: Registry;
let granted: string[];
let pools: PoolGauges;
beforeEach(() => {
  registry = new Registry();
  granted = [];
  pools = new PoolGauges(poolMetrics(registry), async () => [], logger);
  pools.granted = (campaignId, poolId) => void granted.push(`${campaignId}/${poolId}`);
});

/** label value (or '' for none) -> value, for a counter or gauge; a histogram's _count and _sum by name. */
async function values(name: string): Promise<Record<string, number>> {
  const { values: samples } = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(
    samples
      .filter((s) => !('metricName' in s) || !String(s.metricName).endsWith('_bucket'))
      .map((s) => [
        ['metricName' in s ? String(s.metricName) : '', ...Object.values(s.labels)].filter(Boolean).join(' '),
        s.value,
      ]),
  );
}

function fakeHandle(overrides: Partial<LockHandle> = {}): LockHandle {
  return {
    fencingToken: 7n,
    lost: new AbortController().signal,
    contenders: 3,
    isSafe: () => true,
    release: async () => undefined,
    ...overrides,
  };
}

function fakeLock(handle: () => LockHandle, acquireMs = 0): DistributedLock {
  return {
    strategy: 'zk',
    acquire: async () => {
      await new Promise((resolve) => setTimeout(resolve, acquireMs));
      return handle();
    },
    close: async () => undefined,
  };
}

describe('measured deduction', () => {
  it('counts a batch once: its size, each outcome, the cents granted, and flags the pool', async () => {
    const inner: Deduction = async () => [
      { outcome: 'granted', cents: 120 },
      { outcome: 'granted', cents: 80 },
      { outcome: 'duplicate', cents: 50 },
      { outcome: 'sold_out' },
    ];
    const deduct = measuredDeduction(inner, grabMetrics(registry), pools);
    await deduct(pool, grabs(4));
    expect(await values('grab_grabs_total')).toEqual({
      granted: 2,
      duplicate: 1,
      sold_out: 1,
      expired: 0,
      rejected: 0,
      failed: 0,
      error: 0,
      postponed: 0,
      discarded: 0,
    });
    expect(await values('grab_granted_cents_total')).toEqual({ '': 200 });
    expect(await values('grab_batch_size')).toMatchObject({ grab_batch_size_count: 1, grab_batch_size_sum: 4 });
    expect(granted).toEqual(['c/p1']);
  });

  it('does not flag a pool that granted nothing', async () => {
    const deduct = measuredDeduction(async () => [{ outcome: 'sold_out' }], grabMetrics(registry), pools);
    await deduct(pool, grabs(1));
    expect(granted).toEqual([]);
  });

  it('counts a fenced-out commit from lockedDeduction as a fencing rejection, and its grabs as errors', async () => {
    const read: PoolRead = {
      remainingCents: 1000,
      remainingPackets: 10,
      version: 1,
      token: 1n,
      closed: false,
      grants: new Map(),
    };
    const ledger = {
      readPool: async () => read,
      commitGrants: async () => ({ status: 'fenced', storedToken: 9n }),
    } as unknown as Ledger;
    const locked = lockedDeduction(
      fakeLock(() => fakeHandle()),
      ledger,
      {} as OutcomeLog,
      seededRng(1),
      1000,
      logger,
    );
    const deduct = measuredDeduction(locked, grabMetrics(registry), pools);
    await expect(deduct(pool, grabs(3))).rejects.toBeInstanceOf(DeductionRefusedError);
    expect(await values('grab_fencing_rejections_total')).toEqual({ '': 1 });
    expect(await values('grab_grabs_total')).toMatchObject({ error: 3, granted: 0 });
  });

  it('counts other failures as errors only', async () => {
    const deduct = measuredDeduction(
      async () => {
        throw new DeductionRefusedError('lost', 'lock on c/p1 lost before commit (session_expired)');
      },
      grabMetrics(registry),
      pools,
    );
    await expect(deduct(pool, grabs(2))).rejects.toThrow('lost before commit');
    expect(await values('grab_fencing_rejections_total')).toEqual({ '': 0 });
    expect(await values('grab_grabs_total')).toMatchObject({ error: 2 });
  });
});

describe('measured lock', () => {
  it('times wait and hold, reports contenders, and counts a loss by reason', async () => {
    const lost = new AbortController();
    let released = 0;
    const seen: [string, number][] = [];
    const lock = new MeasuredLock(
      fakeLock(() => fakeHandle({ lost: lost.signal, release: async () => void released++ }), 20),
      lockMetrics(registry),
      (key, contenders) => void seen.push([key, contenders]),
    );
    const handle = await lock.acquire('c/p1', { timeoutMs: 1000 });
    expect(seen).toEqual([['c/p1', 3]]);
    expect(handle.fencingToken).toBe(7n);
    expect(handle.isSafe()).toBe(true);
    lost.abort('session_expired');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([handle.release(), handle.release()]);
    expect(released).toBe(1);
    const wait = await values('grab_lock_wait_seconds');
    expect(wait['grab_lock_wait_seconds_count zk']).toBe(1);
    expect(wait['grab_lock_wait_seconds_sum zk']).toBeGreaterThanOrEqual(0.015);
    const hold = await values('grab_lock_hold_seconds');
    expect(hold['grab_lock_hold_seconds_count zk']).toBe(1);
    expect(hold['grab_lock_hold_seconds_sum zk']).toBeGreaterThanOrEqual(0.005);
    expect(await values('grab_lock_lost_total')).toEqual({ session_expired: 1 });
  });
});
