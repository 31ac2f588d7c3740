import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import type { GrabJob } from '../../shared/queue/grab-job.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { loadSettings } from '../../shared/config/settings.js';
import { testRedisUrl } from '../support/env.js';
import { campaignCreateArgs, grab, startGrab } from '../support/cli.js';
import type { CampaignReport } from '../../producer/campaign-report.js';

const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;

let redis: Redis;
let queue: ShardedQueue;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  queue = await ShardedQueue.open('grab', loadSettings({}).queueShards, redis);
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
});

async function report(campaign: string): Promise<{ code: number | null; report: CampaignReport }> {
  const result = await grab(['report', '--campaign', campaign, '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as CampaignReport };
}

/**
 * A hot pool: six grabs per packet, all at once, two worker processes racing for it. Without a
 * lock, the race needs enough grabs to show reliably; with one, fewer keep the lock handoffs short.
 */
async function runHotPool(lock: string, packets: number) {
  const id = newId(`hot-${lock}`);
  expect((await grab(campaignCreateArgs(id, 1, packets, '--amount-cents', String(packets * 10)))).code).toBe(0);
  expect((await grab(['produce', '--campaign', id, '--users', String(packets * 6)])).code).toBe(0);
  const fleet = startGrab(['fleet', '--workers', '2', '--lock', lock, '--concurrency', '50', '--max-batch', '1']);
  try {
    const waited = await grab(['wait', '--campaign', id, '--timeout', '120']);
    expect(waited.code, fleet.output()).toBe(0);
  } finally {
    expect(await fleet.stop()).toBe(0);
  }
  return report(id);
}

describe('a hot pool under each strategy', () => {
  it('with no lock, two workers overspend and the report fails, naming the violation', async () => {
    const { code, report: r } = await runHotPool('none', 500);
    expect(code).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.violations.join('\n')).toMatch(/overspent|grants/);
  });

  for (const lock of ['zk', 'zk-herd', 'redis', 'atomic']) {
    it(`with ${lock}, the same race keeps every invariant`, async () => {
      const { code, report: r } = await runHotPool(lock, 200);
      expect(r.violations).toEqual([]);
      expect(code).toBe(0);
      expect(r.outcomes).toEqual({ granted: 200, sold_out: 1000, duplicate: 0, expired: 0, rejected: 0, failed: 0 });
      expect(r.pools[0]).toMatchObject({
        totalCents: 2000,
        grantedCents: 2000,
        remainingCents: 0,
        packetsGranted: 200,
      });
    });
  }
});

describe('delivery faults and bad input', () => {
  it('one grab delivered twice leaves one grant, and the other job is a duplicate', async () => {
    const id = newId('twice');
    await grab(['campaign', 'create', '--id', id, '--pools', '1', '--packets', '10', '--amount-cents', '1000']);
    const ledger = new Ledger(redis);
    const record = (await ledger.getCampaign(id))!;
    const alice = { campaign: id, instance: record.instance, pool: 'p1', user: 'alice' };
    await queue.addBulk([
      { name: 'grab', data: alice, opts: { jobId: `${id}.p1.alice` } },
      { name: 'grab', data: alice, opts: { jobId: `${id}.p1.alice.again` } },
    ]);
    const worker = startGrab(['work', '--concurrency', '4']);
    try {
      expect((await grab(['wait', '--campaign', id, '--timeout', '60'])).code).toBe(0);
    } finally {
      await worker.stop();
    }
    const grants = [];
    for await (const g of ledger.scanGrants(poolAddress(record, 'p1'))) grants.push(g);
    expect(grants).toHaveLength(1);
    const { report: r } = await report(id);
    expect(r.outcomes).toMatchObject({ granted: 1, duplicate: 1 });
    expect(r.ok).toBe(true);
  });

  it('malformed and unknown grabs end rejected with a reason and change no balance', async () => {
    const id = newId('bad');
    await grab(['campaign', 'create', '--id', id, '--pools', '1', '--packets', '10', '--amount-cents', '1000']);
    const bad = [
      { campaign: id, pool: 'p1' },
      { campaign: id, pool: 'p1', user: 42 },
      { campaign: id, pool: 'nope', user: 'bob' },
      { campaign: id, pool: 'p1', user: 'x'.repeat(500) },
      { campaign: id, pool: 'p1', user: '../../etc' },
      { campaign: id, pool: 'p1', user: 'eve', extra: true },
    ];
    const jobs = await queue.addBulk(
      bad.map((data, i) => ({ name: 'grab', data: data as GrabJob, opts: { jobId: `${id}-bad-${i}` } })),
    );
    const worker = startGrab(['work', '--concurrency', '4']);
    try {
      expect((await grab(['wait', '--campaign', id, '--timeout', '60'])).code).toBe(0);
    } finally {
      await worker.stop();
    }
    for (const job of jobs) {
      const state = await job.getState();
      expect(state).toBe('failed');
      const failed = await queue.shardFor(job.data).getJob(job.id!);
      expect(failed!.failedReason).toMatch(/^rejected: /);
      expect(failed!.attemptsMade).toBe(1);
    }
    const { report: r } = await report(id);
    expect(r.outcomes.rejected).toBe(bad.length);
    expect(r.pools[0]).toMatchObject({ grantedCents: 0, remainingCents: 1000, packetsGranted: 0 });
  });

  it.each([
    [['--id', 'x', '--pools', '1', '--packets', '0', '--amount', '1'], /packets/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', '1.234'], /more than two decimals/],
    [['--id', 'x', '--pools', '1', '--packets', '500', '--amount', '1.00'], /at least 500 cents/],
    [['--id', 'a:b', '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', '123', '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', 'x', '--pools', '-1', '--packets', '1', '--amount', '1'], /--pools/],
  ])('refuses an invalid campaign spec %j with exit 2 and a clear message', async (args, message) => {
    const result = await grab(['campaign', 'create', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses to create an existing campaign and changes nothing', async () => {
    const id = newId('dup');
    expect(
      (await grab(['campaign', 'create', '--id', id, '--pools', '2', '--packets', '5', '--amount', '1'])).code,
    ).toBe(0);
    const again = await grab(['campaign', 'create', '--id', id, '--pools', '3', '--packets', '9', '--amount', '2']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const shown = JSON.parse((await grab(['campaign', 'show', '--id', id])).stdout) as { pools: unknown[] };
    expect(shown.pools).toHaveLength(2);
  });
});

describe('a campaign end to end', () => {
  it(
    '30,000 grabs over 10 pools of 2,000 packets settle under a 2-worker ' +
      'fleet, pass the report and export exactly',
    async () => {
      const id = newId('e2e');
      expect(
        (await grab(['campaign', 'create', '--id', id, '--pools', '10', '--packets', '2000', '--amount', '888.88']))
          .code,
      ).toBe(0);
      expect((await grab(['produce', '--campaign', id, '--users', '30000'])).code).toBe(0);
      const fleet = startGrab(['fleet', '--workers', '2']);
      try {
        expect((await grab(['wait', '--campaign', id, '--timeout', '180'])).code).toBe(0);
      } finally {
        expect(await fleet.stop()).toBe(0);
      }
      const { code, report: r } = await report(id);
      expect(r.violations).toEqual([]);
      expect(code).toBe(0);
      expect(r.jobs).toEqual({ enqueued: 30000, finished: 30000, pending: 0 });
      const exported = await grab(['export', '--campaign', id]);
      const perPool = new Map<string, number>();
      const lines = exported.stdout.trim().split('\n');
      for (const line of lines) {
        const g = JSON.parse(line) as { pool: string; cents: number };
        perPool.set(g.pool, (perPool.get(g.pool) ?? 0) + g.cents);
      }
      expect(lines).toHaveLength(r.outcomes.granted);
      for (const p of r.pools) expect(perPool.get(p.pool) ?? 0).toBe(p.grantedCents);
      expect(await grab(['campaign', 'delete', '--id', id])).toMatchObject({ code: 0 });
    },
  );
});
