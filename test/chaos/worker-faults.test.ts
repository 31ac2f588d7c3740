/**
 * Worker faults, each run with a fleet and a queue of its own, side by side:
 *
 * 1. kill -9 a random worker every 1–2 s while a 2-worker fleet settles a hot pool; the fleet
 *    restarts it. Under the ZooKeeper lock every invariant holds. How long the killed workers'
 *    grabs stayed unsettled is measured (kill-recovery.test.ts holds one kill to 15 s).
 *    Honesty: the same run with --lock none must be caught by the checker.
 * 2. SIGSTOP a worker for longer than its ZooKeeper session timeout, then SIGCONT, a few times.
 *    The stopped worker's session expires and another takes the lock; when the stopped one
 *    wakes, its lock is lost and any late commit is fenced.
 */
import { describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { loadSettings } from '../../shared/config/settings.js';
import { InFlightTracker, ms, processState, randomInt, recordRow, scale, startHotPoolRun } from '../support/chaos.js';
import { sleep } from '../support/async.js';

const redis = privateRedis({ appendonly: true });

const PACKETS = scale(2_000, 5_000);
const GRABS = scale(8_000, 40_000);
const RATE = scale(2_000, 2_500); // grabs enqueued per second: the campaign lasts long enough to kill workers in it
const SESSION_MS = 2_000;
/** Kills happen in a window of the campaign, which then drains. */
const KILLS = scale(3, 12);

/** Scenario 2: grabs enqueued per second, how long a worker stays stopped, how often. */
const STOP_RATE = scale(1_000, 2_000);
const STOP_MS = SESSION_MS + 1_500;
const STOPS = scale(2, 6);

async function killWorkersDuring(lock: 'zk' | 'none') {
  const started = Date.now();
  // Each run has a queue of its own, so the zk and none runs go side by side.
  const runEnv = { ...redis.env, GRAB_QUEUE: `chaos-kill-${lock}` };
  const { id, fleet, metrics, progress } = await startHotPoolRun({
    tag: `kill-${lock}`,
    packets: PACKETS,
    lock,
    sessionMs: SESSION_MS,
    redisUrl: redis.url,
    env: runEnv,
  });
  const inFlight = new InFlightTracker(redis.url, runEnv.GRAB_QUEUE, loadSettings(runEnv).queueShards, id, 'p1');
  inFlight.start();
  let kills = 0;
  const pidsSeen = new Set<number>(fleet.workerPids());
  let settled = false;
  try {
    const run = (async () => {
      const produced = await grab(
        // Past the producer's door: every grab reaches the workers being killed, sold out or not.
        [
          ...['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(RATE)],
          ...['--admission', 'off'],
        ],
        runEnv,
      );
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', String(scale(150, 600))], runEnv);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    })().finally(() => (settled = true));
    while (!settled && kills < KILLS) {
      await sleep(scale(1_000 + randomInt(500), 1_000 + randomInt(1_000)));
      if (settled) break;
      const pids = fleet.workerPids();
      for (const p of pids) pidsSeen.add(p);
      if (pids.length === 0) continue;
      const victim = pids[randomInt(pids.length)]!;
      try {
        process.kill(victim, 'SIGKILL');
      } catch {
        continue; // it died on its own between pgrep and kill: not our fault to count
      }
      kills++;
      progress.fault();
      await inFlight.fault();
    }
    await run;
    // The fleet restarts what was killed: wait for both workers before stopping it.
    const until = Date.now() + 10_000;
    while (fleet.workerPids().length < 2 && Date.now() < until) await sleep(100);
    for (const p of fleet.workerPids()) pidsSeen.add(p);
  } finally {
    await metrics.stop();
    await progress.stop();
    await inFlight.stop();
    expect(await fleet.stop()).toBe(0);
  }
  const check = await checkCampaign({
    campaign: id,
    env: runEnv,
    expectedGrabs: GRABS,
    lockWaitMs: SESSION_MS * 5,
  });
  recordRow(
    {
      scenario: `1. kill -9 a worker every 1–2 s (--lock ${lock})`,
      grabs: GRABS,
      faults: `${kills} kill -9`,
      fencedWrites: metrics.total('grab_fencing_rejections_total'),
      recovery:
        `${ms(progress.maxRecoveryMs())} to progress, ${ms(inFlight.maxSettleMs())} ` +
        `to settle a killed worker's grabs (max), ${ms(progress.drainMs(GRABS))} ` +
        `to drain the ${(GRABS - progress.finishedAtLastFault()).toLocaleString('en-US')} ` +
        `left at the last kill`,
      startedAt: started,
    },
    check,
  );
  return { check, kills, pidsSeen };
}

describe.concurrent('chaos 1 and 2: worker faults during a hot-pool campaign', () => {
  it('chaos 1: kill -9 workers under the ZooKeeper lock: the fleet restarts them and every invariant holds', {
    timeout: scale(150_000, 900_000),
  }, async () => {
    const { check, kills, pidsSeen } = await killWorkersDuring('zk');
    expect(kills).toBe(KILLS);
    // every kill made the fleet start a new worker: 2 original pids + one per kill
    expect(pidsSeen.size).toBeGreaterThanOrEqual(2 + kills);
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(PACKETS);
    expect(check.report.pools[0]).toMatchObject({ remainingCents: 0, grantedCents: PACKETS * 10 });
  });

  it('chaos 1, honesty: the same run with --lock none is caught by the checker', {
    timeout: scale(150_000, 900_000),
  }, async () => {
    const { check, kills } = await killWorkersDuring('none');
    expect(kills).toBeGreaterThanOrEqual(1);
    expect(
      check.violations,
      JSON.stringify({ outcomes: check.report.outcomes, pool: check.report.pools[0] }),
    ).not.toEqual([]);
  });

  it('chaos 2: SIGSTOP a worker past its ZooKeeper session timeout, SIGCONT: every invariant holds', {
    timeout: scale(120_000, 900_000),
  }, async () => {
    const started = Date.now();
    const runEnv = { ...redis.env, GRAB_QUEUE: 'chaos-stop' };
    const { id, fleet, metrics, progress } = await startHotPoolRun({
      tag: 'stop',
      packets: PACKETS,
      lock: 'zk',
      sessionMs: SESSION_MS,
      redisUrl: redis.url,
      env: runEnv,
    });
    let stops = 0;
    let stoppedFor = 0;
    const stopped = new Set<number>();
    try {
      const producing = grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(STOP_RATE)],
        runEnv,
      );
      for (let s = 0; s < STOPS; s++) {
        await sleep(500 + randomInt(500));
        const pids = fleet.workerPids();
        const victim = pids[randomInt(pids.length)]!;
        process.kill(victim, 'SIGSTOP');
        stopped.add(victim);
        const t0 = Date.now();
        progress.fault();
        try {
          await sleep(200);
          expect(processState(victim), `worker ${victim} should be stopped`).toBe('T');
          stops++;
          await sleep(STOP_MS - 200);
        } finally {
          process.kill(victim, 'SIGCONT');
          stoppedFor += Date.now() - t0;
        }
      }
      const produced = await producing;
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', String(scale(100, 600))], runEnv);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
      // No worker died of it: the same processes run on.
      for (const pid of stopped) expect(processState(pid)).toMatch(/^[RSD]$/);
    } finally {
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone
        }
      }
      await metrics.stop();
      await progress.stop();
      expect(await fleet.stop()).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: runEnv,
      expectedGrabs: GRABS,
      lockWaitMs: SESSION_MS * 5,
    });
    const lost = metrics.total('grab_lock_lost_total');
    const fenced = metrics.total('grab_fencing_rejections_total');
    const expired = metrics.total('grab_zk_session_expirations_total');
    recordRow(
      {
        scenario: `2. SIGSTOP a worker ${STOP_MS / 1000} s (session ${SESSION_MS / 1000} s), SIGCONT`,
        grabs: GRABS,
        faults:
          `${stops} SIGSTOP (${(stoppedFor / 1000).toFixed(1)} s): ${expired} sessions ` +
          `expired, ${lost} locks lost`,
        fencedWrites: fenced,
        recovery: `${ms(progress.maxRecoveryMs())} to progress (max)`,
        startedAt: started,
      },
      check,
    );
    expect(stops).toBe(STOPS);
    expect(metrics.scrapes).toBeGreaterThan(0);
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(PACKETS);
  });
});
