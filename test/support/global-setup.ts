/**
 * Vitest globalSetup: one private Redis and one private ZooKeeper for the whole run, on free
 * loopback ports, so tests never touch (or depend on) servers already on this machine.
 * Tests read their addresses with testRedisUrl() / testZkConnect() from ./env.ts.
 */
import type { TestProject } from 'vitest/node';
import { startRedis, startZooKeeper, stopAll } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    zkConnect: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis, zk] = await Promise.allSettled([startRedis(), startZooKeeper()]);
  if (redis.status === 'rejected' || zk.status === 'rejected') {
    await stopAll();
    throw redis.status === 'rejected' ? redis.reason : (zk as PromiseRejectedResult).reason;
  }
  project.provide('redisUrl', redis.value.url);
  project.provide('zkConnect', zk.value.connect);
  return stopAll;
}
