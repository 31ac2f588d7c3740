/**
 * Expiry with no operator, and sold-out admission, against real Redis, ZooKeeper and worker
 * processes: with several workers sweeping, each pool of an expired campaign is refunded exactly
 * once; a sold-out pool's redelivered grabs settle at admission, and a user who holds a grant
 * gets it back; the producer's door settles a sold-out or closed pool's grabs before the queue.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { parseGrabJobId } from '../../shared/queue/grab-job.js';
import { campaignJobIdPrefix } from '../../shared/queue/grab-job.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { checkEvidence, parseExport, type ExportedRefund } from '../support/chaos-checker.js';
import { metricSums } from '../support/chaos.js';
import { campaignCreateArgs, grab, startGrab } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';
import { eventually } from '../support/async.js';

vi.setConfig({ testTimeout: 60_000 });

const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;
const queueName = `exp-${randomUUID().slice(0, 8)}`;
const env = { GRAB_QUEUE: queueName };

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.disconnect());

const run = (args: string[]) => grab(args, env);

async function reportOf(id: string) {
  const reported = await run(['report', '--campaign', id, '--json']);
  return { code: reported.code, report: JSON.parse(reported.stdout) as CampaignReport };
}

/** The campaign's report, checked to pass every invariant (exit 0, no violation). */
async function passingReport(id: string): Promise<CampaignReport> {
  const { code, report } = await reportOf(id);
  expect(report.violations).toEqual([]);
  expect(code).toBe(0);
  return report;
}

/** A worker serving metrics on a port of its own choosing, which it logs. */
function startWorker() {
  const worker = startGrab(['work', '--concurrency', '20', '--metrics-port', '0'], { ...env, LOG_LEVEL: 'info' });
  let url: string | undefined;
  const metricsUrl = async () => {
    await eventually(
      () => {
        url = /"url":"([^"]+)"[^\n]*serving metrics/.exec(worker.output())?.[1];
        return url !== undefined;
      },
      30_000,
      'the worker to serve metrics',
    );
    return url!;
  };
  return { ...worker, metricsUrl };
}

async function scrape(worker: ReturnType<typeof startWorker>, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', await worker.metricsUrl()))).text();
  return metricSums(text, [name])[name]!;
}

describe('expiry', () => {
  it('runs by itself: with three workers sweeping, each pool is refunded exactly once', async () => {
    const id = newId('expire');
    const POOLS = 6;
    const created = await run(campaignCreateArgs(id, POOLS, 100, '--amount-cents', '10000', '--expires-in', '8s'));
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/expires at \d{4}-/);
    const workers = [startWorker(), startWorker(), startWorker()];
    try {
      expect((await run(['produce', '--campaign', id, '--users', '300'])).code).toBe(0);
      expect((await run(['wait', '--campaign', id, '--timeout', '40'])).code).toBe(0);
      // Nobody runs a command: the workers' sweeps record the expiry and refund the pools.
      await eventually(
        async () => {
          const { report } = await reportOf(id);
          return report.state === 'expired' && report.ok;
        },
        30_000,
        'the expired campaign to be refunded',
      );
      for (const w of workers) expect(w.child.exitCode, w.output()).toBeNull();
      // Each worker counts the refunds its own sweeps made: over the fleet, one per pool.
      const refunds = async () =>
        (await Promise.all(workers.map((w) => scrape(w, 'grab_refunds_total')))).reduce((sum, n) => sum + n, 0);
      await eventually(async () => (await refunds()) >= POOLS, 10_000, 'every refund to be counted');
      expect(await refunds()).toBe(POOLS);
      // Grabs after the expiry settle as expired, at admission.
      expect((await run(['produce', '--campaign', id, '--users', '400'])).code).toBe(0);
      expect((await run(['wait', '--campaign', id, '--timeout', '40'])).code).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const report = await passingReport(id);
    expect(report.state).toBe('expired');
    // The first 300 settled before or after the expiry, as the machine's load decided; the last 100 after it.
    expect(report.outcomes.granted + report.outcomes.expired).toBe(400);
    expect(report.outcomes.expired).toBeGreaterThanOrEqual(100);
    const grants = parseExport((await run(['export', '--campaign', id])).stdout);
    const refunded = parseExport<ExportedRefund>((await run(['export', '--campaign', id, '--refunds'])).stdout);
    expect(refunded).toHaveLength(POOLS);
    expect(checkEvidence({ report, grants, refunds: refunded, lockNodes: [], expectedGrabs: 400 })).toEqual([]);
    const show = JSON.parse((await run(['campaign', 'show', '--id', id])).stdout) as {
      state: string;
      expiresAt: string;
    };
    expect(show.state).toBe('expired');
    for (const r of refunded) expect(r.at).toBe(show.expiresAt);
  });
});

describe('sold-out admission', () => {
  it('settles a sold-out pool without the lock; a redelivered job of a user holding a grant gets it back', async () => {
    const id = newId('soldout');
    expect((await run(campaignCreateArgs(id, 1, 10, '--amount-cents', '1000'))).code).toBe(0);
    const worker = startWorker();
    const queue = await ShardedQueue.open(queueName, 16, redis);
    try {
      expect((await run(['produce', '--campaign', id, '--users', '100'])).code).toBe(0);
      expect((await run(['wait', '--campaign', id, '--timeout', '40'])).code).toBe(0);
      const first = await reportOf(id);
      expect(first.report.outcomes).toMatchObject({ granted: 10, sold_out: 90 });
      const grants = parseExport((await run(['export', '--campaign', id])).stdout);
      const settledBefore = await scrape(worker, 'grab_admission_settled_total');

      // Every job delivered again: removed from the queue, then enqueued anew under the same ids
      // (past the producer's door, which would settle them before the queue).
      const instance = first.report.instance;
      await queue.removeJobs(campaignJobIdPrefix(id, instance), redis);
      const again = await run(['produce', '--campaign', id, '--users', '100', '--admission', 'off']);
      expect(again.stdout).toMatch(/enqueued 0 new grabs/);
      await eventually(
        async () => (await scrape(worker, 'grab_admission_settled_total')) - settledBefore >= 100,
        30_000,
        'all 100 redelivered grabs to settle at admission',
      );
      // A produced grab's job id ends in its slot: find each grant holder's job among the completed.
      const shard = queue.shardFor({ campaign: id, instance, pool: 'p1', user: 'any' });
      const completedJobOf = async (user: string) =>
        (await shard.getJobs(['completed'])).find((j) => parseGrabJobId(id, instance, j.id ?? '')?.user === user);
      for (const g of grants) {
        await eventually(
          async () => (await completedJobOf(g.user)) !== undefined,
          10_000,
          `job of ${g.user} to complete`,
        );
        expect((await completedJobOf(g.user))?.returnvalue).toEqual({ outcome: 'granted', cents: g.cents });
      }
    } finally {
      await worker.stop();
      await queue.close();
    }
    const report = await passingReport(id);
    expect(report.outcomes).toMatchObject({ granted: 10, sold_out: 90 });
    expect(report.jobs).toEqual({ enqueued: 100, finished: 100, pending: 0 });
  });

  it("the producer settles a sold-out or closed pool's grabs at the door; with --admission off they reach the queue", async () => {
    const id = newId('door');
    expect((await run(campaignCreateArgs(id, 1, 10, '--amount-cents', '1000'))).code).toBe(0);
    const worker = startWorker();
    const queue = await ShardedQueue.open(queueName, 16, redis);
    const shard = queue.shardFor({ campaign: id, instance: 1, pool: 'p1', user: 'any' });
    const completed = async () => (await shard.getJobCounts('completed')).completed!;
    try {
      expect((await run(['produce', '--campaign', id, '--users', '50'])).code).toBe(0);
      expect((await run(['wait', '--campaign', id, '--timeout', '40'])).code).toBe(0);
      const completedBefore = await completed();

      // Sold out: the first 50 are the same grabs again, the next 100 new; none becomes a job.
      const soldOut = await run(['produce', '--campaign', id, '--users', '150']);
      expect(soldOut.code, soldOut.stderr).toBe(0);
      expect(soldOut.stdout).toMatch(
        /^enqueued 100 new grabs for .*; 50 of the 150 sent were already enqueued .*; 150 of the 150 sent were settled at once, without entering the queue: their pool was sold out, closed or expired/,
      );
      // Settled already, with no wait: the report counts every grab.
      let { report } = await reportOf(id);
      expect(report.jobs).toEqual({ enqueued: 150, finished: 150, pending: 0 });
      expect(report.outcomes).toMatchObject({ granted: 10, sold_out: 140 });

      expect((await run(['campaign', 'close', '--id', id])).code).toBe(0);
      expect((await run(['produce', '--campaign', id, '--users', '200'])).stdout).toMatch(
        /^enqueued 50 new grabs.*200 of the 200 sent were settled at once/,
      );
      ({ report } = await reportOf(id));
      expect(report.outcomes).toMatchObject({ granted: 10, sold_out: 140, expired: 50 });
      expect(await completed()).toBe(completedBefore);

      // The same check fails once the door is off: every grab goes through the queue and a worker.
      const pastDoor = await run(['produce', '--campaign', id, '--users', '220', '--admission', 'off']);
      expect(pastDoor.stdout).toMatch(
        /^enqueued 20 new grabs for [^;]*; 200 of the 220 sent were already enqueued[^;]*\n$/,
      );
      expect((await run(['wait', '--campaign', id, '--timeout', '40'])).code).toBe(0);
      // The 150 grabs settled at the door and the 20 new ones become jobs (the first 50 still are).
      await eventually(async () => (await completed()) === completedBefore + 170, 30_000, '170 more jobs to complete');
    } finally {
      await worker.stop();
      await queue.close();
    }
    const report = await passingReport(id);
    expect(report.outcomes).toMatchObject({ granted: 10, sold_out: 140, expired: 70 });
    expect(report.jobs).toEqual({ enqueued: 220, finished: 220, pending: 0 });
  });
});
