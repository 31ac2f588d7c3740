/**
 * Chaos scenario 5 (full mode only, `npm run chaos`): kill -9 Redis mid-campaign and restart it
 * from its append-only file. With appendfsync always every acknowledged write is on disk, so
 * nothing the fleet was told is done may be lost: the workers reconnect, BullMQ redelivers the
 * jobs that stalled, and the campaign finishes with every invariant, no grant lost (granted
 * outcomes = exported grants = packets handed out) and no overspend.
 */
import { describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { FULL, ms, recordRow, startHotPoolRun } from '../support/chaos.js';
import { sleep } from '../support/async.js';

const PACKETS = 5_000;
const GRABS = 30_000;
const RATE = 2_000;
const SESSION_MS = 2_000;
const DOWN_MS = 2_000;

describe.skipIf(!FULL)('chaos 5: kill -9 Redis mid-campaign, restart it from its append-only file', () => {
  const redis = privateRedis({ appendonly: true });

  it('the fleet reconnects, stalled grabs come back, no grant is lost and nothing overspent', {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const { id, fleet, metrics, progress } = await startHotPoolRun({
      tag: 'redis',
      packets: PACKETS,
      lock: 'zk',
      sessionMs: SESSION_MS,
      redisUrl: redis.url,
      env: redis.env,
    });
    let finishedBeforeKill = 0;
    let finishedAfterRestart = 0;
    let producerRuns = 0;
    try {
      const produce = () => {
        producerRuns++;
        return grab(
          ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', '--rate', String(RATE)],
          redis.env,
        );
      };
      const producing = produce();
      await sleep(5_000);
      finishedBeforeKill = await progress.sample();
      progress.fault();
      await redis.kill9();
      await sleep(DOWN_MS);
      await redis.restart();
      // What was acknowledged before the kill is still there.
      finishedAfterRestart = await progress.sample();
      let produced = await producing;
      // A producer whose Redis died under it exits non-zero; a re-run enqueues only what is missing.
      if (produced.code !== 0) {
        console.log(`producer exited ${produced.code} after the Redis kill: ${produced.stderr.slice(-500)}`);
        produced = await produce();
      }
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', '300'], redis.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    } finally {
      await metrics.stop();
      await progress.stop();
      expect(await fleet.stop(), fleet.output().slice(-3000)).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: redis.env,
      expectedGrabs: GRABS,
      lockWaitMs: SESSION_MS * 5,
    });
    const pool = check.report.pools[0]!;
    recordRow(
      {
        scenario: `5. kill -9 Redis, restart from its AOF (appendfsync always) after ${DOWN_MS / 1000} s`,
        grabs: GRABS,
        faults:
          `1 kill -9 (at ${finishedBeforeKill.toLocaleString('en-US')} outcomes; ` +
          `${producerRuns} producer run${producerRuns > 1 ? 's' : ''})`,
        fencedWrites: metrics.total('grab_fencing_rejections_total'),
        recovery: `${ms(progress.maxRecoveryMs())} to progress, ${ms(progress.drainMs(GRABS))} to drain`,
        startedAt: started,
      },
      check,
    );
    // The fault happened mid-campaign, and Redis came back with what it had acknowledged.
    expect(finishedBeforeKill).toBeGreaterThan(0);
    expect(finishedBeforeKill).toBeLessThan(GRABS);
    expect(finishedAfterRestart).toBeGreaterThanOrEqual(finishedBeforeKill);
    expect(check.violations).toEqual([]);
    // No grant lost: granted outcomes = exported grants = packets handed out; no overspend.
    expect(check.report.outcomes.granted).toBe(check.grants);
    expect(check.grants).toBe(pool.packetsGranted);
    expect(pool.packetsGranted).toBe(PACKETS);
    expect(pool).toMatchObject({ remainingCents: 0, grantedCents: PACKETS * 10, grants: PACKETS });
    expect(check.overspentCents).toBe(0);
    expect(check.duplicateGrants).toBe(0);
  });
});
