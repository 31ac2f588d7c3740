/**
 * Addresses of the private servers test/support/global-setup.ts started for this run: each
 * test worker (VITEST_POOL_ID 1, 2, …) has a Redis and a ZooKeeper of its own, which the files it
 * runs, one after the other, share.
 */
import { inject } from 'vitest';

function ofThisWorker(addresses: string[]): string {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1') - 1;
  const address = addresses[worker % addresses.length];
  if (!address) throw new Error('no private servers were started for this test run (see test/support/global-setup.ts)');
  return address;
}

/** redis://127.0.0.1:PORT of this worker's private Redis (no persistence). */
export const testRedisUrl = (): string => ofThisWorker(inject('redisUrls'));

/** 127.0.0.1:PORT of this worker's private ZooKeeper. */
export const testZkConnect = (): string => ofThisWorker(inject('zkConnects'));
