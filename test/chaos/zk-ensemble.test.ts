/**
 * Chaos scenario 4 (full mode only, `npm run chaos`): ZooKeeper itself fails under a campaign.
 * A 2-worker fleet runs against a private 3-node ensemble (ZK_CONNECT = all three nodes). Mid-
 * campaign the leader is stopped (the two others elect a new one), then started again; later in
 * the same campaign the whole ensemble is stopped and started again. Every invariant holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { startZkEnsemble, type EnsembleNode, type ZkEnsemble } from '../support/zk-ensemble.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { FULL, ms, recordRow, startHotPoolRun } from '../support/chaos.js';
import { sleep } from '../support/async.js';

/** Packets enough that the pool is still paying out (under the lock) through both faults. */
const PACKETS = 40_000;
const GRABS = 45_000;
const RATE = 1_500;
const SESSION_MS = 2_000;

describe.skipIf(!FULL)('chaos 4: the ZooKeeper leader dies, then the whole ensemble restarts', () => {
  const redis = privateRedis({ appendonly: true });
  let zk: ZkEnsemble;
  let env: Record<string, string>;
  beforeAll(async () => {
    zk = await startZkEnsemble();
    env = { REDIS_URL: redis.url, ZK_CONNECT: zk.connect };
  }, 120_000);
  afterAll(async () => {
    await zk?.stopAll();
  }, 120_000);

  it('a new leader is elected, the ensemble comes back, and every invariant holds', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const { id, fleet, metrics, progress } = await startHotPoolRun({
      tag: 'zkens',
      packets: PACKETS,
      lock: 'zk',
      sessionMs: SESSION_MS,
      redisUrl: redis.url,
      env,
    });
    let oldLeader: EnsembleNode | undefined;
    let newLeader: EnsembleNode | undefined;
    let electionMs = Number.NaN;
    let outageMs = Number.NaN;
    let pendingAtRestart = 0;
    let finishedAtElection = 0;
    let finishedAtRestart = 0;
    try {
      const producing = grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(RATE)],
        env,
      );
      await sleep(4_000);
      finishedAtElection = await progress.sample();

      // 1. Stop the leader; the two others elect a new one.
      oldLeader = await zk.leader();
      expect(oldLeader, 'a leader before the fault').toBeDefined();
      const t0 = Date.now();
      progress.fault();
      await oldLeader!.stop();
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        newLeader = await zk.leader();
        if (newLeader && newLeader.id !== oldLeader!.id) break;
        await sleep(200);
      }
      electionMs = Date.now() - t0;
      await oldLeader!.start();

      // 2. Later in the same campaign: stop every node, then start them all again.
      await sleep(2_000);
      finishedAtRestart = await progress.sample();
      pendingAtRestart = GRABS - finishedAtRestart;
      const t1 = Date.now();
      progress.fault();
      for (const node of zk.nodes) await node.stop();
      await sleep(1_000);
      await Promise.all(zk.nodes.map((node) => node.start()));
      outageMs = Date.now() - t1;

      const produced = await producing;
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', '300'], env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    } finally {
      await metrics.stop();
      await progress.stop();
      expect(await fleet.stop(), fleet.output().slice(-3000)).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env,
      expectedGrabs: GRABS,
      lockWaitMs: SESSION_MS * 5,
    });
    const disconnects = metrics.total('grab_zk_disconnects_total');
    const expired = metrics.total('grab_zk_session_expirations_total');
    const lost = metrics.total('grab_lock_lost_total');
    recordRow(
      {
        scenario: '4. stop the ZooKeeper leader, later restart the whole ensemble',
        grabs: GRABS,
        faults:
          `leader node ${oldLeader?.id} → node ${newLeader?.id} in ${ms(electionMs)} ` +
          `(at ${finishedAtElection.toLocaleString('en-US')} outcomes); all 3 nodes ` +
          `down and back in ${ms(outageMs)} (at ${finishedAtRestart.toLocaleString('en-US')} ` +
          `outcomes): ${disconnects} disconnects, ${expired} sessions expired, ${lost} ` +
          `locks lost`,
        fencedWrites: metrics.total('grab_fencing_rejections_total'),
        recovery: `${ms(progress.maxRecoveryMs())} to progress (max), ${ms(progress.drainMs(GRABS))} to drain`,
        startedAt: started,
      },
      check,
    );
    // The faults happened: the leader changed, and the ensemble restart caught grabs still pending.
    expect(newLeader).toBeDefined();
    expect(newLeader!.id).not.toBe(oldLeader!.id);
    expect(pendingAtRestart).toBeGreaterThan(0);
    // Both faults came while the pool still had packets, so the lock was in use (granted ≤ outcomes).
    expect(finishedAtElection).toBeGreaterThan(0);
    expect(finishedAtRestart).toBeLessThan(PACKETS);
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(PACKETS);
    expect(check.grants).toBe(PACKETS);
    expect(check.report.pools[0]).toMatchObject({ remainingCents: 0, grantedCents: PACKETS * 10 });
  });
});
