/**
 * `grab queue reshard` on a live queue: a fleet settles one campaign's backlog while a producer
 * streams another's grabs; the queue goes from 4 shards to 16 and then down to 3 mid-run. The
 * workers and the producer follow the recorded count, waiting grabs move to their pool's new
 * shard, and every grab of both campaigns still ends in exactly one outcome.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardQueueName } from '../../shared/queue/queue-shards.js';
import { QUEUE_PREFIX } from '../../shared/queue/queue-names.js';
import { Queue } from 'bullmq';
import { checkCampaign } from '../support/chaos-checker.js';
import { grab, startGrab } from '../support/cli.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { eventually } from '../support/async.js';

const queueName = `reshard-${randomUUID().slice(0, 8)}`;
const env = { GRAB_QUEUE: queueName, GRAB_QUEUE_SHARDS: '4', LOG_LEVEL: 'info' };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.disconnect());

/** Every shard a worker's log says it consumes now, over the fleet. */
function consumedShards(workers: ReturnType<typeof startGrab>[]): string {
  const shards = workers.flatMap((w) => {
    const last = w
      .output()
      .split('\n')
      .filter((l) => l.includes('"consuming shards"'))
      .at(-1);
    return last ? (JSON.parse(last) as { shards: number[] }).shards : [];
  });
  return shards.sort((a, b) => a - b).join();
}

const moved = (stdout: string) => Number(/(\d+) waiting grabs moved/.exec(stdout)?.[1]);

async function createCampaign(id: string): Promise<void> {
  const created = await grab(
    ['campaign', 'create', '--id', id, '--pools', '30', '--packets', '100', '--amount-cents', '10000'],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
}

describe('grab queue reshard', () => {
  it('refuses a queue nothing was enqueued on, naming the setting to use', async () => {
    const r = await grab(['queue', 'reshard', '--to', '8'], { ...env, GRAB_QUEUE: `never-${queueName}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has no recorded shard count');
    expect(r.stderr).toContain('GRAB_QUEUE_SHARDS=8');
  });

  it('up and down mid-run: every grab reaches exactly one outcome, grab report is ok', async () => {
    const backlog = `reshard-a-${randomUUID().slice(0, 6)}`;
    const streamed = `reshard-b-${randomUUID().slice(0, 6)}`;
    await createCampaign(backlog);
    await createCampaign(streamed);
    expect((await grab(['produce', '--campaign', backlog, '--users', '2000'], env)).code).toBe(0);
    let codes: (number | null)[] = [];
    const workers = [0, 1].map(() => startGrab(['work', '--concurrency', '8', '--max-batch', '16'], env));
    const producer = grab(
      ['produce', '--campaign', streamed, '--users', '1000', '--rate', '250', '--chunk', '100'],
      env,
    );
    try {
      await eventually(() => consumedShards(workers) === range(4).join(), 20_000, 'the fleet to split 4 shards');
      const up = await grab(['queue', 'reshard', '--to', '16'], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain('4 -> 16 shards');
      expect(moved(up.stdout)).toBeGreaterThan(0);
      await eventually(() => consumedShards(workers) === range(16).join(), 10_000, 'the fleet to follow 16 shards');

      const down = await grab(['queue', 'reshard', '--to', '3'], env);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toContain('16 -> 3 shards');
      await eventually(() => consumedShards(workers) === range(3).join(), 10_000, 'the fleet to follow 3 shards');

      expect((await producer).code).toBe(0);
      for (const id of [backlog, streamed]) {
        const waited = await grab(['wait', '--campaign', id, '--timeout', '120'], env);
        expect(waited.code, waited.stdout + waited.stderr).toBe(0);
      }
      // Nothing is left behind in the shards the count dropped.
      for (const shard of range(16).slice(3)) {
        const queue = new Queue(shardQueueName(queueName, shard), { connection: redis, prefix: QUEUE_PREFIX });
        expect(await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active')).toEqual({
          waiting: 0,
          delayed: 0,
          prioritized: 0,
          active: 0,
        });
        await queue.close();
      }
    } finally {
      codes = await Promise.all(workers.map((w) => w.stop()));
    }
    expect(codes).toEqual([0, 0]);
    const cliEnv = { REDIS_URL: testRedisUrl(), ZK_CONNECT: testZkConnect(), ...env, GRAB_QUEUE_SHARDS: '3' };
    for (const [id, grabs] of [
      [backlog, 2000],
      [streamed, 1000],
    ] as const) {
      const check = await checkCampaign({ campaign: id, env: cliEnv, expectedGrabs: grabs });
      expect(check.violations).toEqual([]);
    }
    // A process started on the old count is refused: it would look at the wrong shards.
    const stale = await grab(['produce', '--campaign', streamed, '--users', '10'], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('split into 3 shards');
  }, 180_000);
});
