/**
 * What a settled grab keeps in Redis once its job is gone: a grant for a granted grab, and half
 * a byte of outcome slot for every grab. Redelivered grabs and producer re-runs count once.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesPerSettledGrab } from '../../bench/settled-memory.js';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { poolChooser } from '../../shared/enqueue/distribution.js';
import { outcomesKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddresses } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { campaignJobIdPrefix, grabJobId } from '../../shared/queue/grab-job.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { campaignCreateArgs, grab, startGrab } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';

vi.setConfig({ testTimeout: 240_000 });

const queueName = `memory-${randomUUID().slice(0, 8)}`;
const env = { GRAB_QUEUE: queueName };
const id = `memory-${randomUUID().slice(0, 8)}`;
const POOLS = 4;
const PACKETS = 5;

let redis: Redis;
let queue: ShardedQueue;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  queue = await ShardedQueue.open(queueName, 16, redis);
});
afterAll(async () => {
  await grab(['campaign', 'delete', '--id', id, '--force'], env);
  await queue.close();
  redis.disconnect();
});

async function settledReport(): Promise<CampaignReport> {
  const waited = await grab(['wait', '--campaign', id, '--timeout', '120'], env);
  expect(waited.code, waited.stderr).toBe(0);
  const reported = await grab(['report', '--campaign', id, '--json'], env);
  const report = JSON.parse(reported.stdout) as CampaignReport;
  expect(report.violations).toEqual([]);
  expect(reported.code).toBe(0);
  return report;
}

// Past the producer's door: the grabs of sold-out pools still reach the queue and a worker.
const produce = async (users: number) => {
  const produced = await grab(['produce', '--campaign', id, '--users', String(users), '--admission', 'off'], env);
  expect(produced.code, produced.stderr).toBe(0);
  return produced.stdout;
};

describe('memory per settled grab', () => {
  it('a grab not granted keeps at most 16 bytes, and the report stays exact across redelivery and re-runs', async () => {
    const created = await grab(campaignCreateArgs(id, POOLS, PACKETS, '--amount-cents', String(PACKETS * 100)), env);
    expect(created.code, created.stderr).toBe(0);
    const record = (await new Ledger(redis).getCampaign(id))!;
    const prefix = campaignJobIdPrefix(id, record.instance);
    // Enqueued before any worker runs: a grab settled before it is marked would not be called new.
    expect(await produce(2000)).toMatch(/^enqueued 2000 new grabs for [^;]*\n$/);
    const worker = startGrab(['work', '--concurrency', '50'], env);
    try {
      const first = await settledReport();
      expect(first.jobs).toEqual({ enqueued: 2000, finished: 2000, pending: 0 });
      expect(first.outcomes).toMatchObject({ granted: POOLS * PACKETS, sold_out: 2000 - POOLS * PACKETS });

      // Every job gone, then the same users again: each grab is delivered a second time, under the
      // same id and slot, and settles without being counted again.
      await queue.removeJobs(prefix, redis);
      expect(await produce(2000)).toMatch(/enqueued 0 new grabs for .*; 2000 of the 2000 sent were already enqueued/);
      // A longer list, users appended: only the new ones are new grabs (the report counts them; the
      // message may count fewer as new, when the running worker settles some before they are marked).
      await produce(2500);
      const again = await settledReport();
      expect(again.jobs).toEqual({ enqueued: 2500, finished: 2500, pending: 0 });
      expect(again.outcomes).toMatchObject({ granted: POOLS * PACKETS, sold_out: 2500 - POOLS * PACKETS });

      // A redelivery that a worker records once more (it lost its job lock after recording).
      const outcomes = new OutcomeLog(redis);
      // u0 is the source's first user: the first slot of its pool.
      const pool = poolAddresses(record)[poolChooser('uniform', POOLS)('u0')]!;
      const settledJob = grabJobId({ campaign: id, instance: record.instance, pool: pool.poolId, user: 'u0', slot: 0 });
      const was = await outcomes.outcomeOf(pool, settledJob);
      expect(was === 'granted' || was === 'sold_out').toBe(true);
      await outcomes.record(pool, [{ jobId: settledJob, outcome: was as 'granted' | 'sold_out' }]);
      expect((await settledReport()).jobs).toEqual({ enqueued: 2500, finished: 2500, pending: 0 });
    } finally {
      await worker.stop();
    }

    await queue.removeJobs(prefix, redis);
    const pools = poolAddresses(record);
    const bytes = await bytesPerSettledGrab(redis, pools, { grabs: 2500, granted: POOLS * PACKETS });
    expect(bytes.notGranted).toBeGreaterThan(0);
    expect(bytes.notGranted).toBeLessThanOrEqual(16);
    // Produced grabs keep no per-job hash entry.
    for (const pool of pools) expect(await redis.exists(outcomesKey(pool))).toBe(0);

    // The measure sees a per-job entry: the old layout, a hash field per grab, is well over 16 bytes.
    const perJob = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`${prefix}p1.u${i}`, 's']));
    await redis.hset(outcomesKey(pools[0]!), perJob);
    const hashed = await bytesPerSettledGrab(redis, pools, { grabs: 2500, granted: POOLS * PACKETS });
    expect(hashed.notGranted).toBeGreaterThan(16);
  });
});
