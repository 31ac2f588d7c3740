/**
 * Chaos scenarios 8 and 9: ZooKeeper, then Redis, unreachable mid-campaign for longer than a
 * grab's whole retry budget. The workers pause their shards, stay alive, and resume by
 * themselves once the service is back; every grab settles and none fails.
 *
 * In CI (short form) the grabs get a retry budget of a fraction of a second and the outage lasts
 * 12 s. `npm run chaos` keeps the default budget (10 attempts, about 100 s of backoff) and makes
 * the outages longer than it: 3 minutes of ZooKeeper, 2.5 minutes of Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { ms, recordRow, scale, startHotPoolRun } from '../support/chaos.js';
import { testRedisUrl } from '../support/env.js';
import { privateRedis } from '../support/private-redis.js';
import { startZooKeeper, type RedisServer, type ZkServer } from '../support/servers.js';
import { sleep } from '../support/async.js';

const PACKETS = scale(3_000, 10_000);
const GRABS = scale(12_000, 60_000);
const SESSION_MS = 2_000;
const ZK_DOWN_MS = scale(12_000, 180_000);
const REDIS_DOWN_MS = scale(12_000, 150_000);
/** Short form: a budget far below the outage. Full form: the producer's default. */
const RETRY_FLAGS = scale(['--attempts', '2', '--backoff-ms', '100'], []);

async function produceAll(id: string, env: Record<string, string>) {
  const produced = await grab(
    ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'hot', ...RETRY_FLAGS],
    env,
  );
  expect(produced.code, produced.stderr).toBe(0);
}

describe('chaos 8 and 9: outages longer than the retry budget', () => {
  const redis = privateRedis({ appendonly: true });
  let zk: ZkServer;
  beforeAll(async () => {
    zk = await startZooKeeper();
  });
  afterAll(async () => {
    await zk?.stop();
  });

  /** One outage of `server` mid-campaign, then the checks every outage must pass. */
  async function runOutage(o: {
    scenario: string;
    tag: string;
    server: ZkServer | RedisServer;
    downMs: number;
    env: Record<string, string>;
    redisUrl: string;
  }) {
    const started = Date.now();
    const { id, fleet, metrics, progress } = await startHotPoolRun({
      tag: o.tag,
      packets: PACKETS,
      lock: 'zk',
      sessionMs: SESSION_MS,
      redisUrl: o.redisUrl,
      env: o.env,
    });
    let atFault = 0;
    try {
      await produceAll(id, o.env);
      for (atFault = await progress.sample(); atFault < GRABS / 10; atFault = await progress.sample()) await sleep(100);
      expect(atFault, 'the outage must come mid-campaign').toBeLessThan(GRABS);
      const pids = fleet.workerPids().sort();
      progress.fault();
      await o.server.stop();
      await sleep(o.downMs);
      await o.server.restart();
      const waited = await grab(['wait', '--campaign', id, '--timeout', '300'], o.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
      expect(fleet.workerPids().sort(), fleet.output().slice(-4000)).toEqual(pids);
    } finally {
      await metrics.stop();
      await progress.stop();
      expect(await fleet.stop(), fleet.output().slice(-3000)).toBe(0);
    }
    const check = await checkCampaign({
      campaign: id,
      env: o.env,
      expectedGrabs: GRABS,
      lockWaitMs: SESSION_MS * 5,
    });
    recordRow(
      {
        scenario: `${o.scenario} down ${ms(o.downMs)} mid-campaign, longer than the retry budget`,
        grabs: GRABS,
        faults: `1 outage (at ${atFault.toLocaleString('en-US')} outcomes)`,
        fencedWrites: metrics.total('grab_fencing_rejections_total'),
        recovery: `${ms(progress.drainMs(GRABS) - o.downMs)} to drain after the restart`,
        startedAt: started,
      },
      check,
    );
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.failed).toBe(0);
    expect(check.report.pools[0]!.packetsGranted).toBe(PACKETS);
  }

  it(
    'ZooKeeper down mid-campaign: the workers pause, stay up, resume, and every grab settles',
    { timeout: scale(240_000, 900_000) },
    () =>
      runOutage({
        scenario: '8. ZooKeeper',
        tag: 'zk-outage',
        server: zk,
        downMs: ZK_DOWN_MS,
        env: { REDIS_URL: testRedisUrl(), ZK_CONNECT: zk.connect },
        redisUrl: testRedisUrl(),
      }),
  );

  it(
    'Redis down mid-campaign: the workers stay up, reconnect, and every grab settles',
    { timeout: scale(240_000, 900_000) },
    () =>
      runOutage({
        scenario: '9. Redis',
        tag: 'redis-outage',
        server: redis,
        downMs: REDIS_DOWN_MS,
        env: redis.env,
        redisUrl: redis.url,
      }),
  );
});
