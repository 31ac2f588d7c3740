/**
 * Chaos scenario 1b (full mode only, `npm run chaos`): recovery time after one kill -9, with the
 * default ZooKeeper session timeout (10 s). A 2-worker fleet settles a hot pool; the worker
 * consuming the pool's queue shard, which holds the pool's lock, is killed. Every grab it had
 * taken must be settled within 15 s of the kill: the shard moves to the other worker once the
 * killed one drops out of the fleet (membership ttl, 5 s), the grabs come back when their job
 * lock lapses and a stall check runs (GRAB_JOB_LOCK_MS, GRAB_STALLED_INTERVAL_MS), and the pool's
 * lock frees when the killed session expires. Also measured: how long until every grab enqueued
 * before the kill, and every grab, was settled (these include whatever backlog the fleet had).
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { membersKey } from '../../shared/queue/fleet-membership.js';
import { shardQueuePrefix } from '../../shared/queue/queue-names.js';
import { assignShards, shardOf, shardQueueName } from '../../shared/queue/queue-shards.js';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { checkCampaign } from '../support/chaos-checker.js';
import {
  FULL,
  InFlightTracker,
  MetricsTracker,
  ProgressMonitor,
  ms,
  recordRow,
  startChaosFleet,
  createHotPoolCampaign,
} from '../support/chaos.js';
import { sleep } from '../support/async.js';

const PACKETS = 10_000;
const GRABS = 6_000;
/** Well under what the fleet settles even on a busy machine, so no backlog stands before the kill. */
const RATE = 250;
/** Outcomes before the kill: mid-campaign, the pool still paying out under its lock. */
const KILL_AT_OUTCOMES = 2_500;
const SETTLED_WITHIN_MS = 15_000;

describe.skipIf(!FULL)('chaos 1b: kill -9 the worker holding a hot pool, once', () => {
  const redis = privateRedis({ appendonly: true }, { GRAB_QUEUE: 'chaos-kill-once' });

  /** The pid of the fleet member that consumes `shard`, from the membership list in Redis. */
  async function consumerOf(client: Redis, shard: number, shards: number): Promise<number> {
    // Scored by heartbeat; the fleet splits the shards in id order.
    const members = (await client.zrange(membersKey(redis.env.GRAB_QUEUE!), '0', '-1')).sort();
    const owner = members.find((m) => assignShards(members, m, shards).includes(shard));
    // A member id ends in "-<pid>-<random>" (FleetMembership).
    return Number(owner?.split('-').at(-2));
  }

  it('every grab the killed worker had taken is settled within 15 s of the kill, and every invariant holds', {
    timeout: 300_000,
  }, async () => {
    const started = Date.now();
    const id = await createHotPoolCampaign('kill-once', PACKETS, redis.env);
    const fleet = await startChaosFleet(2, ['--lock', 'zk', '--concurrency', '50', '--max-batch', '8'], redis.env);
    const metrics = new MetricsTracker(fleet.ports);
    const progress = new ProgressMonitor(redis.url, id);
    const { queueShards } = loadSettings(redis.env);
    const killedGrabs = new InFlightTracker(redis.url, redis.env.GRAB_QUEUE!, queueShards, id, 'p1');
    const enqueuedBefore = new InFlightTracker(redis.url, redis.env.GRAB_QUEUE!, queueShards, id, 'p1', [
      'active',
      'wait',
      'delayed',
    ]);
    let finishedAtKill = 0;
    let taken = 0;
    const client = new Redis(redis.url);
    const hot = shardOf(id, 'p1', queueShards);
    const activeKey = `${shardQueuePrefix(hot)}:${shardQueueName(redis.env.GRAB_QUEUE!, hot)}:active`;
    try {
      metrics.start();
      progress.start();
      const producing = grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(RATE)],
        redis.env,
      );
      const granting = Date.now() + 120_000;
      // Mid-campaign, at a moment the pool's worker has grabs in hand.
      for (;;) {
        finishedAtKill = await progress.sample();
        const inHand = (await client.llen(activeKey)) > 0;
        if ((finishedAtKill >= KILL_AT_OUTCOMES && inHand) || Date.now() >= granting) break;
        await sleep(20);
      }
      const victim = await consumerOf(client, hot, queueShards);
      expect(fleet.workerPids()).toContain(victim);
      process.kill(victim, 'SIGKILL');
      progress.fault();
      [taken] = await Promise.all([killedGrabs.fault(), enqueuedBefore.fault()]);
      killedGrabs.start();
      enqueuedBefore.start();
      const produced = await producing;
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', '120'], redis.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    } finally {
      client.disconnect();
      await metrics.stop();
      await progress.stop();
      await killedGrabs.stop();
      await enqueuedBefore.stop();
      expect(await fleet.stop()).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: redis.env,
      expectedGrabs: GRABS,
      lockWaitMs: 20_000,
    });
    const killedSettledMs = killedGrabs.maxSettleMs();
    recordRow(
      {
        scenario: '1b. kill -9 the worker holding the hot pool, once (session 10 s)',
        grabs: GRABS,
        faults: `1 kill -9 at ${finishedAtKill.toLocaleString('en-US')} outcomes, ${taken} grabs in its hands`,
        fencedWrites: metrics.total('grab_fencing_rejections_total'),
        recovery:
          `${ms(killedSettledMs)} to settle the killed worker's grabs, ${ms(enqueuedBefore.maxSettleMs())} ` +
          `every grab enqueued before the kill, ${ms(progress.drainMs(GRABS))} to ` +
          `drain`,
        startedAt: started,
      },
      check,
    );
    expect(finishedAtKill).toBeGreaterThanOrEqual(KILL_AT_OUTCOMES);
    expect(taken).toBeGreaterThan(0);
    expect(killedSettledMs).toBeLessThanOrEqual(SETTLED_WITHIN_MS);
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(GRABS);
    expect(check.grants).toBe(GRABS);
  });
});
