/**
 * Chaos scenario 3 (full mode only, `npm run chaos`): cut one worker's link to ZooKeeper for
 * longer than its session timeout, then restore it. One worker of a `grab fleet --workers 1`
 * talks to ZooKeeper directly; a separate `grab work` reaches it through a TCP proxy, which is
 * cut for 4 s (session 2 s) mid-campaign. The cut worker loses its session (and its lock, if it
 * held it) and is not ready meanwhile; it opens a new session by itself once the link is back,
 * whether or not the shards it owns need the lock, is ready again, and every invariant holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grab, startGrab } from '../support/cli.js';
import { testZkConnect } from '../support/env.js';
import { privateRedis } from '../support/private-redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { checkCampaign } from '../support/chaos-checker.js';
import {
  FULL,
  MetricsTracker,
  ProgressMonitor,
  healthz,
  ms,
  readyz,
  recordRow,
  startChaosFleet,
  createHotPoolCampaign,
} from '../support/chaos.js';
import { sleep } from '../support/async.js';
import { freePortRange } from '../support/ports.js';

/** Packets enough that the pool is still paying out (under the lock) when the link is cut. */
const PACKETS = 25_000;
const GRABS = 30_000;
const RATE = 2_000;
const SESSION_MS = 2_000;
const CUT_MS = 4_000;
/** Outcomes before the cut: a few seconds into granting, with most of the pool still to pay out. */
const CUT_AT_OUTCOMES = 4_000;
/** How soon after the restore the cut worker must be connected and ready again. */
const RECONNECT_WITHIN_MS = 5_000;

describe.skipIf(!FULL)('chaos 3: cut one worker off ZooKeeper past its session timeout', () => {
  const redis = privateRedis({ appendonly: true });
  let proxy: TcpProxy;
  beforeAll(async () => {
    const [host, port] = testZkConnect().split(',')[0]!.split(':');
    proxy = await startTcpProxy(host!, Number(port));
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('the cut worker loses its session, reconnects, and every invariant holds', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const id = await createHotPoolCampaign('zkcut', PACKETS, redis.env);
    const flags = [
      '--lock',
      'zk',
      '--concurrency',
      '50',
      '--max-batch',
      '8',
      '--zk-session-timeout-ms',
      String(SESSION_MS),
    ];
    const fleet = await startChaosFleet(1, flags, redis.env);
    const cutPort = await freePortRange(1);
    const cutWorker = startGrab(['work', '--metrics-port', String(cutPort), ...flags], {
      ...redis.env,
      ZK_CONNECT: proxy.address,
    });
    const fleetMetrics = new MetricsTracker(fleet.ports);
    const cutMetrics = new MetricsTracker([cutPort]);
    const progress = new ProgressMonitor(redis.url, id);
    let dropped = 0;
    let finishedAtCut = 0;
    let readyDuringCut = true;
    let reconnectMs = Number.NaN;
    try {
      const until = Date.now() + 30_000;
      while (!(await healthz(cutPort)) || proxy.connections === 0) {
        if (cutWorker.child.exitCode !== null || Date.now() > until)
          throw new Error(`the proxied worker did not come up:\n${cutWorker.output().slice(-3000)}`);
        await sleep(100);
      }
      fleetMetrics.start();
      cutMetrics.start();
      progress.start();
      const producing = grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(RATE)],
        redis.env,
      );
      // Cut once granting is under way, however slowly the machine runs today.
      const granting = Date.now() + 60_000;
      for (
        finishedAtCut = await progress.sample();
        finishedAtCut < CUT_AT_OUTCOMES && Date.now() < granting;
        finishedAtCut = await progress.sample()
      ) {
        await sleep(100);
      }
      dropped = proxy.connections;
      proxy.cut();
      progress.fault();
      expect(proxy.connections).toBe(0);
      await sleep(CUT_MS);
      readyDuringCut = await readyz(cutPort);
      const restoredAt = Date.now();
      proxy.restore();
      // A new session through the proxy, and /readyz 200 again (a ready worker has a connected session).
      while (Date.now() - restoredAt < 30_000) {
        if (proxy.connections > 0 && (await readyz(cutPort))) {
          reconnectMs = Date.now() - restoredAt;
          break;
        }
        await sleep(50);
      }
      const produced = await producing;
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', '300'], redis.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${cutWorker.output().slice(-3000)}`).toBe(0);
      // The cut worker survived it: the same process runs on and serves /healthz.
      expect(cutWorker.child.exitCode).toBeNull();
      expect(await healthz(cutPort)).toBe(true);
    } finally {
      await fleetMetrics.stop();
      await cutMetrics.stop();
      await progress.stop();
      const fleetCode = await fleet.stop();
      const workCode = await cutWorker.stop();
      expect(fleetCode).toBe(0);
      expect(workCode, cutWorker.output().slice(-3000)).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: redis.env,
      expectedGrabs: GRABS,
      lockWaitMs: SESSION_MS * 5,
    });
    const disconnects = cutMetrics.total('grab_zk_disconnects_total');
    const expired = cutMetrics.total('grab_zk_session_expirations_total');
    const lost = cutMetrics.total('grab_lock_lost_total');
    const fenced =
      fleetMetrics.total('grab_fencing_rejections_total') + cutMetrics.total('grab_fencing_rejections_total');
    recordRow(
      {
        scenario: `3. cut one worker off ZooKeeper ${CUT_MS / 1000} s (session ${SESSION_MS / 1000} s), restore`,
        grabs: GRABS,
        faults:
          `1 cut at ${finishedAtCut.toLocaleString('en-US')} outcomes (${dropped} ` +
          `connections dropped): ${disconnects} disconnects, ${expired} sessions ` +
          `expired, ${lost} locks lost; ready again ${ms(reconnectMs)} after the ` +
          `restore`,
        fencedWrites: fenced,
        recovery: `${ms(progress.maxRecoveryMs())} to progress, ${ms(progress.drainMs(GRABS))} to drain`,
        startedAt: started,
      },
      check,
    );
    // The fault happened: the worker's ZooKeeper connection went through the proxy and was dropped,
    // the worker saw it, and it came back.
    expect(dropped).toBeGreaterThan(0);
    // ... while the pool still had packets, so the lock was in use (granted ≤ outcomes so far).
    expect(finishedAtCut).toBeGreaterThan(0);
    expect(finishedAtCut).toBeLessThan(PACKETS);
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(readyDuringCut).toBe(false);
    expect(reconnectMs).toBeLessThanOrEqual(RECONNECT_WITHIN_MS);
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(PACKETS);
    expect(check.grants).toBe(PACKETS);
    expect(check.report.pools[0]).toMatchObject({ remainingCents: 0, grantedCents: PACKETS * 10 });
  });
});
