/**
 * What /metrics costs Redis, counted by a private Redis's INFO commandstats: scrapes read the
 * queue's counts at most once per max age, one command per shard, and the balances of the pools
 * a worker granted from, 10,000 of them, are read on a timer in one pipeline bounded by the cap,
 * never by a scrape.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSpec } from '../../shared/campaign/spec.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { MetricsServer } from '../../shared/metrics/metrics-server.js';
import { createRegistry, poolMetrics } from '../../shared/metrics/metrics.js';
import { PoolGauges } from '../../shared/metrics/pool-gauges.js';
import { QueueCounts } from '../../shared/metrics/queue-counts.js';
import { serveMetrics } from '../../shared/metrics/serve-metrics.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { createRedis } from '../../shared/redis/connection.js';
import { privateRedis } from '../support/private-redis.js';

const logger = createLogger('test', 'silent');
const SHARDS = 16;

const server = privateRedis();
let redis: Redis;

beforeAll(() => {
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, 'command') as Redis;
});

afterAll(() => {
  redis.disconnect();
});

/** Commands Redis ran while `during` ran, by name (scripts' own calls included), leaving out the counting itself. */
async function commandsDuring(during: () => Promise<void>): Promise<Record<string, number>> {
  await redis.config('RESETSTAT');
  await during();
  const calls: Record<string, number> = {};
  for (const [, name, count] of (await redis.info('commandstats')).matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) {
    if (!/^(config|info)\b/.test(name!)) calls[name!] = Number(count);
  }
  return calls;
}

describe('a /metrics scrape', () => {
  let queue: ShardedQueue;
  let metrics: MetricsServer;

  beforeAll(async () => {
    queue = await ShardedQueue.open('scrape-cost', SHARDS, redis, { dedicatedConnection: true });
    await queue.addBulk(
      Array.from({ length: 40 }, (_, i) => ({
        name: 'grab',
        data: { campaign: 'c', instance: 1, pool: `p${i}`, user: 'u' },
        opts: { jobId: `c.p${i}.u` },
      })),
    );
    // Loads BullMQ's count script, so what follows counts scrapes, not a first EVALSHA's fallback.
    await queue.jobCounts();
    const registry = createRegistry();
    metrics = (await serveMetrics({ metricsHost: '127.0.0.1', metricsPort: 0 }, new QueueCounts(queue), {
      registry,
      logger,
      readiness: () => ({}),
    }))!;
  });

  afterAll(async () => {
    await metrics.close();
    await queue.close();
  });

  it(
    'reads the queue counts once for 30 scrapes within the max age, 10 of ' + 'them at once: one command per shard',
    async () => {
      const scrape = () => fetch(metrics.url).then((r) => r.text());
      let texts: string[] = [];
      const calls = await commandsDuring(async () => {
        texts = await Promise.all(Array.from({ length: 10 }, scrape));
        for (let i = 0; i < 20; i++) await scrape();
      });
      expect(calls.evalsha).toBe(SHARDS);
      // And one read of the recorded shard count, which the counts follow (grab queue reshard).
      expect(calls.get).toBe(1);
      expect(
        Object.keys(calls).filter((name) => !['evalsha', 'get', 'llen', 'lindex', 'zcard'].includes(name)),
      ).toEqual([]);
      expect(texts[0]).toContain('bullmq_job_count{queue="scrape-cost",state="waiting"} 40');
      expect(texts[0]).toContain('bullmq_job_count{queue="scrape-cost",state="active"} 0');
    },
  );
});

describe('pool gauges at 10,000 pools', () => {
  const POOLS = 10_000;
  const MAX_POOLS = 1000;

  it('read the balances of every exported pool in one pipeline per refresh, and nothing at a scrape', async () => {
    const ledger = new Ledger(redis);
    const spec: CampaignSpec = {
      id: 'many-pools',
      split: 'equal',
      pools: Array.from({ length: POOLS }, (_, i) => ({ id: `p${i}`, amountCents: 1000 + i, packets: 10 })),
    };
    await ledger.createCampaign(spec);
    const record = (await ledger.getCampaign(spec.id))!;
    const registry = createRegistry();
    let roundTrips = 0;
    const gauges = new PoolGauges(
      poolMetrics(registry),
      (pools) => {
        roundTrips++;
        return ledger.poolBalances(pools.map((p) => poolAddress(record, p.pool)));
      },
      logger,
      { maxPools: MAX_POOLS, idleMs: 60_000, refreshMs: 1000 },
    );
    for (const pool of spec.pools) gauges.granted(spec.id, pool.id);

    const refresh = await commandsDuring(() => gauges.refresh());
    expect(roundTrips).toBe(1);
    expect(refresh).toEqual({ hmget: MAX_POOLS });

    let text = '';
    const scrape = await commandsDuring(async () => {
      text = await registry.metrics();
    });
    expect(scrape).toEqual({});
    expect(text.match(/^grab_pool_remaining_cents\{/gm)).toHaveLength(MAX_POOLS);
    expect(text).toContain('grab_pool_remaining_cents{campaign="many-pools",pool="p999"} 1999');

    const again = await commandsDuring(() => gauges.refresh());
    expect(again).toEqual({});
  });
});
