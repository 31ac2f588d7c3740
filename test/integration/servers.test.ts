import { Redis } from 'ioredis';
import zookeeper from 'node-zookeeper-client';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis, startZooKeeper, stopAll } from '../support/servers.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';

afterAll(stopAll);

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {}); // connect() rejects with it
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function withZk<T>(connect: string, fn: (c: zookeeper.Client) => Promise<T>): Promise<T> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 5000, retries: 0 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ZooKeeper session at ${connect}`)), 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

const zkCreate = (c: zookeeper.Client, path: string, data: string) =>
  new Promise<void>((resolve, reject) =>
    c.create(path, Buffer.from(data), zookeeper.CreateMode.PERSISTENT, (err) => (err ? reject(err) : resolve())),
  );

const zkGet = (c: zookeeper.Client, path: string) =>
  new Promise<string>((resolve, reject) =>
    c.getData(path, (err, data) => (err ? reject(err) : resolve(data?.toString() ?? ''))),
  );

describe('private test servers', () => {
  it('the run has its own Redis and ZooKeeper', async () => {
    expect(testRedisUrl()).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(testRedisUrl()).not.toBe('redis://127.0.0.1:6379');
    expect(await withRedis(testRedisUrl(), (r) => r.ping())).toBe('PONG');
    expect(await withZk(testZkConnect(), async (c) => c.getSessionId().length)).toBeGreaterThan(0);
  });

  it('ZooKeeper keeps its data across restart() and kill9()', async () => {
    const zk = await startZooKeeper();
    expect(zk.connect).toBe(`127.0.0.1:${zk.port}`);
    await withZk(zk.connect, (c) => zkCreate(c, '/kept', 'v1'));

    const firstPid = zk.pid;
    await zk.restart();
    expect(zk.pid).not.toBe(firstPid);
    expect(await withZk(zk.connect, (c) => zkGet(c, '/kept'))).toBe('v1');

    await withZk(zk.connect, (c) => zkCreate(c, '/kept-after-crash', 'v2'));
    await zk.kill9();
    expect(zk.running).toBe(false);
    await zk.restart();
    expect(await withZk(zk.connect, (c) => zkGet(c, '/kept-after-crash'))).toBe('v2');

    await zk.stop();
    expect(zk.running).toBe(false);
  });

  it('Redis with appendonly survives kill9() and restart() on the same port', async () => {
    const redis = await startRedis({ appendonly: true });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    await withRedis(redis.url, (r) => r.set('k', 'v'));

    await redis.kill9();
    await expect(withRedis(redis.url, (r) => r.ping())).rejects.toThrow();
    await redis.restart();
    expect(await withRedis(redis.url, (r) => r.get('k'))).toBe('v');
    await redis.stop();
  });

  it('Redis without appendonly starts empty after a restart', async () => {
    const redis = await startRedis();
    await withRedis(redis.url, (r) => r.set('k', 'v'));
    await redis.restart();
    expect(await withRedis(redis.url, (r) => r.get('k'))).toBeNull();
  });
});
