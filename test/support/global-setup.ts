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
  try {
    const [redis, zk] = await Promise.all([startRedis(), startZooKeeper()]);
    project.provide('redisUrl', redis.url);
    project.provide('zkConnect', zk.connect);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return async () => {
    await stopAll();
  };
}
