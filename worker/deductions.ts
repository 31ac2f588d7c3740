import type { Logger } from '../shared/logging/logger.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { Rng } from '../shared/ledger/prng.js';
import type { DistributedLock } from '../shared/lock/lock-handle.js';
import type { GrabResult } from '../shared/queue/grab-job.js';
import { allocate, existingGrantResult } from './allocate.js';
import type { Deduction } from './grab-request.js';

/** The lock was lost, or a newer holder's commit fenced this one out: the whole batch is retried. */
export class LostLockError extends Error {
  override readonly name = 'LostLockError';
  constructor(
    readonly reason: 'lost' | 'fenced' | 'unstable',
    message: string,
  ) {
    super(message);
  }
}

const MAX_STALE_READS = 5;

/**
 * The article's sequence under a distributed lock: lock, read, compute, fenced commit, release.
 * A stale read (an old holder's late write landed in between) is read and computed again.
 */
export function lockedDeduction(lock: DistributedLock, ledger: Ledger, rng: Rng, lockTimeoutMs: number, logger: Logger): Deduction {
  return async ({ campaignId, poolId, split }, grabs) => {
    const users = grabs.map((g) => g.user);
    const handle = await lock.acquire(`${campaignId}/${poolId}`, { timeoutMs: lockTimeoutMs });
    try {
      for (let reads = 1; ; reads++) {
        const read = await ledger.readPool(campaignId, poolId, users);
        const { results, grants } = allocate(read, split, grabs, rng);
        if (grants.length === 0) return results;
        if (!handle.isSafe()) throw new LostLockError('lost', `lock on ${campaignId}/${poolId} lost before commit (${String(handle.lost.reason ?? 'deadline')})`);
        const commit = await ledger.commitGrants(campaignId, poolId, handle.fencingToken, read.version, grants, Date.now());
        if (commit.status === 'ok') return results;
        if (commit.status === 'fenced') throw new LostLockError('fenced', `commit to ${campaignId}/${poolId} fenced out: token ${handle.fencingToken} < ${commit.storedToken}`);
        if (reads >= MAX_STALE_READS) throw new LostLockError('unstable', `pool ${campaignId}/${poolId} kept changing under the lock`);
      }
    } finally {
      handle.release().catch((err: unknown) => logger.warn({ err, pool: `${campaignId}/${poolId}` }, 'lock release failed'));
    }
  };
}

/** Lock-free: one Lua script per grab checks, computes and deducts inside Redis. The ceiling to compare against. */
export function atomicDeduction(ledger: Ledger): Deduction {
  return ({ campaignId, poolId }, grabs) =>
    Promise.all(
      grabs.map(async ({ user, jobId }): Promise<GrabResult> => {
        const result = await ledger.grabAtomic(campaignId, poolId, user, jobId, Date.now());
        if (result.outcome === 'sold_out') return result;
        return result.outcome === 'granted' ? { outcome: 'granted', cents: result.grant.cents } : existingGrantResult(result.grant, jobId);
      }),
    );
}

/** UNSAFE ON PURPOSE: no lock, no fence. Concurrent workers overwrite each other's deductions and overspend. */
export function unlockedDeduction(ledger: Ledger, rng: Rng): Deduction {
  return async ({ campaignId, poolId, split }, grabs) => {
    const read = await ledger.readPool(campaignId, poolId, grabs.map((g) => g.user));
    const { results, grants } = allocate(read, split, grabs, rng);
    if (grants.length > 0) await ledger.writeUnfenced(campaignId, poolId, read, grants, Date.now());
    return results;
  };
}
