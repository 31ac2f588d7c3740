import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { parseToken } from '../ledger/fencing-token.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import { once, type AcquireOptions, type DistributedLock, type LockHandle } from './lock-handle.js';
import { LockTimeoutError } from './zk-errors.js';

export interface RedisLockOptions {
  /** Lease length; a watchdog renews it every third of that while the lock is held. */
  leaseMs?: number;
  /** Longest pause between attempts while the lock is held by someone else. */
  maxRetryDelayMs?: number;
}

const lockKey = (key: string) => `grab:lock:{${key}}`;
const fenceKey = (key: string) => `grab:lock-fence:{${key}}`;

/**
 * Until when a holder may act on a lease granted by a request sent at `sentAt`: the lease started
 * no earlier than the request was sent; a fifth of it is kept as a margin for clock drift.
 */
export const leaseSafeUntil = (sentAt: number, leaseMs: number): number => sentAt + leaseMs - Math.floor(leaseMs / 5);

/** The pause before retry number `attempt` (from 0): random, growing by 1 ms an attempt up to the cap. */
export const retryDelayMs = (attempt: number, maxRetryDelayMs: number, random: () => number = Math.random): number =>
  random() * Math.min(maxRetryDelayMs, 1 + attempt);

/**
 * The seed article's Redis lock done right: SET NX PX with a random owner token, a Lua
 * compare-and-delete release, a renewing watchdog, and a fencing token from INCR so that a
 * holder whose lease ran out during a pause is refused by the ledger.
 */
export class RedisLock implements DistributedLock {
  readonly strategy = 'redis';
  private readonly scripts;
  private readonly leaseMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(redis: RedisClient, options: RedisLockOptions = {}) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), [
      'redisLockAcquire',
      'redisLockRelease',
      'redisLockExtend',
    ]);
    this.leaseMs = options.leaseMs ?? 10_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 8;
  }

  async acquire(key: string, { timeoutMs, signal }: AcquireOptions): Promise<LockHandle> {
    const owner = randomBytes(16).toString('hex');
    const keys = [lockKey(key), fenceKey(key)];
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      const token = (await this.scripts.redisLockAcquire(keys, [owner, this.leaseMs])) as string | null;
      if (token) return this.handle(key, owner, parseToken(token), sentAt);
      if (signal?.aborted) throw new LockTimeoutError('lock acquisition aborted');
      if (Date.now() >= deadline) throw new LockTimeoutError('lock not acquired before the timeout');
      await sleep(retryDelayMs(attempt, this.maxRetryDelayMs));
    }
  }

  private handle(key: string, owner: string, fencingToken: bigint, sentAt: number): LockHandle {
    const lost = new AbortController();
    let safeUntil = leaseSafeUntil(sentAt, this.leaseMs);
    const expiry = () => setTimeout(() => lost.abort('lease_expired'), Math.max(0, safeUntil - Date.now()));
    let expiryTimer = expiry();
    const watchdog = setInterval(
      () => {
        const renewedAt = Date.now();
        this.scripts.redisLockExtend([lockKey(key)], [owner, this.leaseMs]).then(
          (renewed) => {
            if (renewed !== 1) return lost.abort('lease_lost');
            safeUntil = leaseSafeUntil(renewedAt, this.leaseMs);
            clearTimeout(expiryTimer);
            expiryTimer = expiry();
          },
          () => undefined,
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    const release = once(async () => {
      clearInterval(watchdog);
      clearTimeout(expiryTimer);
      await this.scripts.redisLockRelease([lockKey(key)], [owner]);
    });
    return {
      fencingToken,
      contenders: 1,
      lost: lost.signal,
      isSafe: () => !lost.signal.aborted && Date.now() < safeUntil,
      release,
    };
  }

  async close(): Promise<void> {}
}
