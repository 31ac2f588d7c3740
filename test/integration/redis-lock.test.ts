import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisLock } from '../../shared/lock/redis-lock.js';
import { LockTimeoutError } from '../../shared/lock/zk-errors.js';
import { testRedisUrl } from '../support/env.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** Where RedisLock keeps a lock: operators may look for it, so the layout is part of the contract. */
const lockKey = (key: string) => `grab:lock:{${key}}`;
const newKey = () => `pool-${randomUUID()}`;

let redis: Redis;
let lock: RedisLock;
let proxy: TcpProxy | undefined;
let proxied: Redis | undefined;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  lock = new RedisLock(redis);
});
afterEach(async () => {
  proxied?.disconnect();
  await proxy?.close();
  proxy = proxied = undefined;
});
afterAll(() => redis.disconnect());

/** A connection to the test Redis through a proxy the test can break. */
async function throughProxy(): Promise<Redis> {
  const url = new URL(testRedisUrl());
  proxy = await startTcpProxy(url.hostname, Number(url.port));
  proxied = new Redis({ host: '127.0.0.1', port: proxy.port });
  return proxied;
}

describe('Redis lock', () => {
  it('has one holder at a time; the next waits for the release and gets a higher fencing token', async () => {
    const key = newKey();
    const first = await lock.acquire(key, { timeoutMs: 5000 });
    expect(first.fencingToken).toBe(1n);
    let acquired = false;
    const next = lock.acquire(key, { timeoutMs: 5000 }).then((h) => {
      acquired = true;
      return h;
    });
    await sleep(200);
    expect(acquired).toBe(false);
    await first.release();
    const second = await next;
    expect(second.fencingToken).toBe(2n);
    await second.release();
    await expect(redis.exists(lockKey(key))).resolves.toBe(0);
  });

  it('gives up with a lock timeout once the timeout passes, or at once when aborted', async () => {
    const key = newKey();
    const held = await lock.acquire(key, { timeoutMs: 5000 });
    const startedAt = Date.now();
    await expect(lock.acquire(key, { timeoutMs: 300 })).rejects.toThrow(
      new LockTimeoutError('lock not acquired before the timeout'),
    );
    const waited = Date.now() - startedAt;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(3000);
    const abort = new AbortController();
    const aborted = lock.acquire(key, { timeoutMs: 60_000, signal: abort.signal });
    abort.abort();
    await expect(aborted).rejects.toThrow(new LockTimeoutError('lock acquisition aborted'));
    await held.release();
  });

  it('renews its lease while held, so a holder keeps the lock for longer than one lease', async () => {
    const key = newKey();
    const held = await new RedisLock(redis, { leaseMs: 300 }).acquire(key, { timeoutMs: 5000 });
    await sleep(1000);
    expect(held.lost.aborted).toBe(false);
    expect(held.isSafe()).toBe(true);
    await expect(redis.pttl(lockKey(key))).resolves.toBeGreaterThan(0);
    await held.release();
  });

  it(
    'a holder whose lock was taken over learns it at the next renewal; its ' + 'release leaves the new owner alone',
    async () => {
      const key = newKey();
      const held = await new RedisLock(redis, { leaseMs: 300 }).acquire(key, { timeoutMs: 5000 });
      await redis.set(lockKey(key), 'another-owner', 'PX', 60_000);
      await once(held.lost, 'abort');
      expect(held.lost.reason).toBe('lease_lost');
      expect(held.isSafe()).toBe(false);
      const release = held.release();
      expect(held.release()).toBe(release);
      await release;
      await expect(redis.get(lockKey(key))).resolves.toBe('another-owner');
      await redis.del(lockKey(key));
    },
  );

  it('when renewals cannot reach Redis, the holder stops being safe while its lease still stands', async () => {
    const key = newKey();
    const leaseMs = 3000;
    const held = await new RedisLock(await throughProxy(), { leaseMs }).acquire(key, { timeoutMs: 5000 });
    proxy!.pauseRequests();
    await once(held.lost, 'abort');
    expect(held.lost.reason).toBe('lease_expired');
    expect(held.isSafe()).toBe(false);
    // Nobody else can have the lock yet: the holder gave up before its lease ran out in Redis.
    await expect(redis.pttl(lockKey(key))).resolves.toBeGreaterThan(0);
    await expect(lock.acquire(key, { timeoutMs: 0 })).rejects.toThrow(LockTimeoutError);
    proxy!.resume();
    await held.release();
  });
});
