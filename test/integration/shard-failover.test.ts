/**
 * Pool affinity: the live `grab work` processes of a queue split its shards among themselves,
 * a newcomer takes its share, and the shards of a worker that stops answering (SIGSTOP) move to
 * the others, while every invariant holds.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { grab, startGrab } from '../support/cli.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { eventually } from '../support/async.js';

const SHARDS = loadSettings({}).queueShards;
const SESSION_MS = 2000;
const queueName = `shards-${randomUUID().slice(0, 8)}`;
const env = { GRAB_QUEUE: queueName, LOG_LEVEL: 'info', ZK_SESSION_TIMEOUT_MS: String(SESSION_MS) };
const all = Array.from({ length: SHARDS }, (_, i) => i);

let redis: Redis;
let queue: ShardedQueue;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  queue = await ShardedQueue.open(queueName, SHARDS, redis);
});
afterAll(async () => {
  await queue.obliterate();
  await queue.close();
  redis.disconnect();
});

/** The shards a worker said it consumes last, from its JSON log. */
function shardsOf(worker: ReturnType<typeof startGrab>): number[] | undefined {
  const lines = worker
    .output()
    .split('\n')
    .filter((l) => l.includes('"consuming shards"'));
  const last = lines.at(-1);
  return last ? (JSON.parse(last) as { shards: number[] }).shards : undefined;
}

const split = (a: number[] | undefined, b: number[] | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.length > 0 &&
  b.length > 0 &&
  [...a, ...b].sort((x, y) => x - y).join() === all.join();

describe('shards follow the fleet', () => {
  it('a lone worker consumes every shard; a second one takes half', async () => {
    const a = startGrab(['work', '--concurrency', '16'], env);
    let b: ReturnType<typeof startGrab> | undefined;
    try {
      await eventually(() => shardsOf(a)?.join() === all.join(), 20_000, 'the first worker to take every shard');
      b = startGrab(['work', '--concurrency', '16'], env);
      await eventually(() => split(shardsOf(a), shardsOf(b!)), 20_000, 'the two workers to split the shards');
      expect(Math.abs(shardsOf(a)!.length - shardsOf(b)!.length)).toBeLessThanOrEqual(1);
    } finally {
      expect(await a.stop()).toBe(0);
      if (b) expect(await b.stop()).toBe(0);
    }
  });

  it('the shards of a worker stopped with SIGSTOP move to the other; every grab still settles once', async () => {
    const id = `failover-${randomUUID().slice(0, 8)}`;
    const grabs = 6000;
    expect(
      (
        await grab(
          ['campaign', 'create', '--id', id, '--pools', '40', '--packets', '100', '--amount-cents', '10000'],
          env,
        )
      ).code,
    ).toBe(0);
    expect((await grab(['produce', '--campaign', id, '--users', String(grabs)], env)).code).toBe(0);
    const a = startGrab(['work', '--concurrency', '8'], env);
    const b = startGrab(['work', '--concurrency', '8'], env);
    try {
      await eventually(() => split(shardsOf(a), shardsOf(b)), 20_000, 'the two workers to split the shards');
      await eventually(
        async () => (await queue.waitingCount()) < grabs - 500,
        30_000,
        'the fleet to settle some grabs',
      );
      a.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      // Within the membership ttl (5 s) b takes every shard, and drains what a left waiting.
      await eventually(
        () => shardsOf(b)?.join() === all.join(),
        15_000,
        "the running worker to take the stopped one's shards",
      );
      const tookOverMs = Date.now() - stoppedAt;
      await eventually(
        async () => (await queue.waitingCount()) === 0,
        60_000,
        'the running worker to drain every shard',
      );
      expect(tookOverMs).toBeLessThan(10_000);
      a.child.kill('SIGCONT');
      const waited = await grab(['wait', '--campaign', id, '--timeout', '120'], env);
      expect(waited.code, waited.stdout + waited.stderr).toBe(0);
    } finally {
      a.child.kill('SIGCONT');
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: { REDIS_URL: testRedisUrl(), ZK_CONNECT: testZkConnect(), GRAB_QUEUE: queueName },
      expectedGrabs: grabs,
      lockWaitMs: SESSION_MS * 5,
    });
    expect(check.violations).toEqual([]);
  });
});
