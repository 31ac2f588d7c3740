/** Addresses of the private servers test/support/global-setup.ts started for this run. */
import { inject } from 'vitest';

/** redis://127.0.0.1:PORT of the run's private Redis (no persistence; shared by every test file). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** 127.0.0.1:PORT of the run's private ZooKeeper (shared by every test file). */
export function testZkConnect(): string {
  return inject('zkConnect');
}
