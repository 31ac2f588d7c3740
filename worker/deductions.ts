import type { Logger } from '../shared/logging/logger.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { PoolRead } from '../shared/ledger/ledger-types.js';
import type { Rng } from '../shared/ledger/prng.js';
import type { DistributedLock } from '../shared/lock/lock-handle.js';
import type { GrabResult } from '../shared/queue/grab-job.js';
import { allocate, existingGrantResult } from './allocate.js';
import type { Deduction } from './grab-request.js';
import { recordResults, settledGrabs } from './recording-deduction.js';
import { poolInstanceName, poolName } from '../shared/campaign/pool-name.js';

/** The lock was lost, or a newer holder's commit fenced this one out: the whole batch is retried. */
export class DeductionRefusedError extends Error {
  override readonly name = 'DeductionRefusedError';
  constructor(
    readonly reason: 'lost' | 'fenced' | 'unstable',
    message: string,
  ) {
    super(message);
  }
}

/** The pool is paused: the grabs wait, without spending an attempt, until it is resumed. */
export class PoolPausedError extends Error {
  override readonly name = 'PoolPausedError';
  constructor(key: string) {
    super(`pool ${key} is paused; its grabs wait for grab campaign resume`);
  }
}

const MAX_STALE_READS = 5;
/** Pools whose balance a process remembers at most; past it, it starts over. */
const MAX_REMEMBERED_POOLS = 10_000;

/** The balance a holder left after its last commit, and the lock token it held then. */
type Remembered = Omit<PoolRead, 'grants' | 'closed'>;

/**
 * The article's sequence under a distributed lock: lock, read, compute, fenced commit, release.
 * A stale read (an old holder's late write landed in between) is read and computed again. The
 * commit records the batch's outcomes in the same step; a batch that grants nothing only records.
 *
 * While this process holds the same lock node it committed under (a kept ZooKeeper node: the
 * same token), nobody else can have written the pool, so it computes from the balance it left
 * instead of reading it. The commit still checks the version and every user's grant, so a
 * remembered balance that is wrong after all costs a read, never a wrong grant.
 */
export function lockedDeduction(
  lock: DistributedLock,
  ledger: Ledger,
  outcomes: OutcomeLog,
  rng: Rng,
  lockTimeoutMs: number,
  logger: Logger,
): Deduction {
  const remembered = new Map<string, Remembered>();
  const recall = (key: string, token: bigint): PoolRead | undefined => {
    const known = remembered.get(key);
    // A sold-out pool is always read: a redelivered grab of a user who holds a grant gets it back.
    return known && known.token === token && known.remainingPackets > 0
      ? { ...known, closed: false, grants: new Map() }
      : undefined;
  };
  return async (ref, grabs) => {
    const key = poolName(ref.campaignId, ref.poolId);
    // A re-created campaign takes the same lock, possibly a kept node with the same token: its
    // pools are not the ones this process remembers.
    const memoryKey = poolInstanceName(ref);
    const read = () =>
      ledger.readPool(
        ref,
        grabs.map((g) => g.user),
      );
    const handle = await lock.acquire(key, { timeoutMs: lockTimeoutMs });
    try {
      let pool = recall(memoryKey, handle.fencingToken) ?? (await read());
      for (let reads = 1; ; reads++) {
        const { results, grants } = allocate(pool, ref.split, grabs, rng);
        if (grants.length === 0) {
          await recordResults(outcomes, ref, grabs, results);
          return results;
        }
        if (!handle.isSafe())
          throw new DeductionRefusedError(
            'lost',
            `lock on ${key} lost before commit (${String(handle.lost.reason ?? 'deadline')})`,
          );
        const commit = await ledger.commitGrants(
          ref,
          handle.fencingToken,
          pool.version,
          grants,
          settledGrabs(grabs, results),
        );
        if (commit.status === 'ok') {
          if (remembered.size >= MAX_REMEMBERED_POOLS) remembered.clear();
          remembered.set(memoryKey, {
            remainingCents: pool.remainingCents - grants.reduce((sum, g) => sum + g.cents, 0),
            remainingPackets: pool.remainingPackets - grants.length,
            version: commit.version,
            token: handle.fencingToken,
          });
          return results;
        }
        remembered.delete(memoryKey);
        if (commit.status === 'paused') throw new PoolPausedError(key);
        if (commit.status === 'expired') {
          // Closed since the read: the same batch again, granting nothing new.
          pool = { ...pool, closed: true };
          continue;
        }
        if (commit.status === 'fenced')
          throw new DeductionRefusedError(
            'fenced',
            `commit to ${key} fenced out: token ${handle.fencingToken} < ${commit.storedToken}`,
          );
        if (reads >= MAX_STALE_READS)
          throw new DeductionRefusedError('unstable', `pool ${key} kept changing under the lock`);
        pool = await read();
      }
    } finally {
      handle.release().catch((err: unknown) => logger.warn({ err, pool: key }, 'lock release failed'));
    }
  };
}

/** Lock-free: one Lua script per grab checks, computes and deducts inside Redis. The ceiling to compare against. */
export function atomicDeduction(ledger: Ledger): Deduction {
  return (pool, grabs) =>
    Promise.all(
      grabs.map(async ({ user, jobId }): Promise<GrabResult> => {
        const result = await ledger.grabAtomic(pool, user, jobId);
        if (result.outcome === 'paused') throw new PoolPausedError(`${pool.campaignId}/${pool.poolId}`);
        if (!('grant' in result)) return result;
        return result.outcome === 'granted'
          ? { outcome: 'granted', cents: result.grant.cents }
          : existingGrantResult(result.grant, jobId);
      }),
    );
}

/** UNSAFE ON PURPOSE: no lock, no fence. Concurrent workers overwrite each other's deductions and overspend. */
export function unlockedDeduction(ledger: Ledger, rng: Rng): Deduction {
  return async (pool, grabs) => {
    const read = await ledger.readPool(
      pool,
      grabs.map((g) => g.user),
    );
    const { results, grants } = allocate(read, pool.split, grabs, rng);
    if (grants.length > 0) await ledger.writeUnfenced(pool, read, grants, Date.now());
    return results;
  };
}
