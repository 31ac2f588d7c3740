/**
 * Chaos scenario 6: kill -9 the producer half a second into enqueuing, then run it again. The
 * fleet settles the campaign with no grab enqueued twice and every grab one outcome.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { loadSettings } from '../../shared/config/settings.js';
import { grab, startGrab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { ProgressMonitor, ms, recordRow, scale, startChaosFleet } from '../support/chaos.js';
import { sleep } from '../support/async.js';

const server = privateRedis({ appendonly: true });

const GRABS = scale(20_000, 200_000);
const POOLS = 10;
const PACKETS = scale(2_000, 10_000);
const KILLS = scale(1, 3);

describe('chaos 6: kill -9 the producer mid-enqueue', () => {
  it('a re-run finishes the campaign with no duplicate grab and one outcome each', {
    timeout: scale(120_000, 900_000),
  }, async () => {
    const started = Date.now();
    const id = `chaos-prod-${randomUUID().slice(0, 8)}`;
    const created = await grab(
      ['campaign', 'create', '--id', id, '--pools', String(POOLS), '--packets', String(PACKETS), '--amount', '888.88'],
      server.env,
    );
    expect(created.code, created.stderr).toBe(0);
    const redis = new Redis(server.url);
    const queue = await ShardedQueue.open('grab', loadSettings({}).queueShards, redis);
    const fleet = await startChaosFleet(2, ['--concurrency', '100'], server.env);
    const progress = new ProgressMonitor(server.url, id);
    progress.start();
    const enqueuedAtKill: number[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        const producer = startGrab(
          ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'zipf'],
          server.env,
        );
        // Half a second in, and once it has enqueued something (Node itself takes a while to start).
        const enqueued = async () =>
          Object.values(
            await queue.jobCounts('completed', 'failed', 'wait', 'active', 'delayed', 'prioritized'),
          ).reduce((a, b) => a + b, 0);
        await sleep(500);
        const floor = enqueuedAtKill.at(-1) ?? 0;
        const until = Date.now() + 15_000;
        while ((await enqueued()) <= floor && producer.child.exitCode === null && Date.now() < until) await sleep(20);
        expect(producer.child.exitCode, `the producer finished before the kill:\n${producer.output()}`).toBe(null);
        producer.child.kill('SIGKILL');
        await producer.exited;
        progress.fault();
        expect(producer.child.signalCode).toBe('SIGKILL');
        enqueuedAtKill.push(await enqueued());
      }
      // It really was mid-enqueue: fewer jobs than grabs in the queue when it died.
      expect(enqueuedAtKill[0]!).toBeGreaterThan(0);
      expect(enqueuedAtKill.at(-1)!).toBeLessThan(GRABS);
      const again = await grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'zipf'],
        server.env,
      );
      expect(again.code, again.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', String(scale(120, 600))], server.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    } finally {
      await progress.stop();
      expect(await fleet.stop()).toBe(0);
    }
    // Every job id is a grab's deterministic id: as many jobs as grabs, none twice.
    const counts = await queue.jobCounts('completed', 'failed', 'wait', 'active', 'delayed', 'prioritized');
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
    await queue.close();
    redis.disconnect();

    const check = await checkCampaign({
      campaign: id,
      env: server.env,
      expectedGrabs: GRABS,
    });
    recordRow(
      {
        scenario: '6. kill -9 the producer mid-enqueue, re-run',
        grabs: GRABS,
        faults: `${KILLS} kill -9 (at ~${enqueuedAtKill.map((n) => n.toLocaleString('en-US')).join(', ')} jobs)`,
        duplicateGrants: check.duplicateGrants + check.report.outcomes.duplicate,
        fencedWrites: '–',
        recovery: `${ms(progress.drainMs(GRABS))} to drain`,
        startedAt: started,
      },
      check,
    );
    expect(check.violations).toEqual([]);
    expect(jobs).toBeLessThanOrEqual(GRABS);
    expect(check.report.outcomes.duplicate).toBe(0);
    expect(check.report.outcomes.rejected).toBe(0);
    expect(check.report.outcomes.granted + check.report.outcomes.sold_out).toBe(GRABS);
  });
});
