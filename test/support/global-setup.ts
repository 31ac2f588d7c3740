/**
 * Vitest globalSetup: private Redis and ZooKeeper servers on free loopback ports, one pair per
 * test worker of the project (maxWorkers), so tests never touch (or depend on) servers already on
 * this machine, and files a project ran side by side would never share a server.
 * Tests read their addresses with testRedisUrl() / testZkConnect() from ./env.ts.
 */
import type { TestProject } from 'vitest/node';
import { startRedis, startZooKeeper, stopAll } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrls: string[];
    zkConnects: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pairs = Array.from({ length: project.config.maxWorkers }, () => Promise.all([startRedis(), startZooKeeper()]));
  const started = await Promise.allSettled(pairs);
  const values = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (values.length < started.length) {
    await stopAll();
    throw (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  }
  project.provide(
    'redisUrls',
    values.map(([redis]) => redis.url),
  );
  project.provide(
    'zkConnects',
    values.map(([, zk]) => zk.connect),
  );
  return stopAll;
}
