import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging/logger.js';
import { poolMetrics } from '../../shared/metrics/metrics.js';
import { PoolGauges, type PoolBalance } from '../../shared/metrics/pool-gauges.js';

const limits = { maxPools: 2, idleMs: 60_000, refreshMs: 1000 };

let registry: Registry;
let balances: Map<string, PoolBalance | Error>;
/** The pools of each read, one entry per round trip. */
let reads: string[][];
let logLines: string[];
let gauges: PoolGauges;

beforeEach(() => {
  registry = new Registry();
  balances = new Map();
  reads = [];
  logLines = [];
  const logger = createLogger('test', 'warn', { destination: { write: (line: string) => void logLines.push(line) } });
  gauges = new PoolGauges(
    poolMetrics(registry),
    async (pools) => {
      const keys = pools.map(({ campaign, pool }) => `${campaign}/${pool}`);
      reads.push(keys);
      return keys.map((key) => {
        const balance = balances.get(key);
        if (balance instanceof Error) throw balance;
        return balance;
      });
    },
    logger,
    limits,
  );
});

/** pool -> value of one gauge, as a scrape would see it. */
async function series(name: string): Promise<Record<string, number>> {
  const { values } = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(values.map((v) => [`${v.labels.campaign}/${v.labels.pool}`, v.value]));
}

describe('pool gauges', () => {
  it('export a pool once it grants: its balance at the next refresh, its contenders from then on', async () => {
    balances.set('c/p1', { remainingCents: 900, remainingPackets: 9 });
    gauges.contenders('c/p1', 3);
    gauges.granted('c', 'p1', 0);
    expect(await series('grab_pool_remaining_cents')).toEqual({});
    await gauges.refresh(1);
    expect(await series('grab_pool_remaining_cents')).toEqual({ 'c/p1': 900 });
    expect(await series('grab_pool_remaining_packets')).toEqual({ 'c/p1': 9 });
    expect(await series('grab_lock_contenders')).toEqual({});
    gauges.contenders('c/p1', 4);
    expect(await series('grab_lock_contenders')).toEqual({ 'c/p1': 4 });
  });

  it('read only the pools that granted since the last refresh, all in one read', async () => {
    balances.set('c/p1', { remainingCents: 900, remainingPackets: 9 });
    balances.set('c/p2', { remainingCents: 500, remainingPackets: 5 });
    gauges.granted('c', 'p1', 0);
    gauges.granted('c', 'p2', 0);
    gauges.granted('c', 'p1', 0);
    await gauges.refresh(1);
    expect(reads).toEqual([['c/p1', 'c/p2']]);
    await gauges.refresh(2);
    expect(reads).toHaveLength(1);
    balances.set('c/p2', { remainingCents: 0, remainingPackets: 0 });
    gauges.granted('c', 'p2', 3);
    await gauges.refresh(4);
    expect(reads.slice(1)).toEqual([['c/p2']]);
    expect(await series('grab_pool_remaining_packets')).toEqual({ 'c/p1': 9, 'c/p2': 0 });
  });

  it('keep a sold-out pool at 0 for the idle period after its last grant, then drop all of its series', async () => {
    balances.set('c/p1', { remainingCents: 0, remainingPackets: 0 });
    gauges.granted('c', 'p1', 1000);
    await gauges.refresh(1000);
    gauges.contenders('c/p1', 2);
    await gauges.refresh(1000 + limits.idleMs - 1);
    expect(await series('grab_pool_remaining_packets')).toEqual({ 'c/p1': 0 });
    await gauges.refresh(1000 + limits.idleMs);
    for (const name of ['grab_pool_remaining_cents', 'grab_pool_remaining_packets', 'grab_lock_contenders'])
      expect(await series(name)).toEqual({});
    gauges.contenders('c/p1', 2);
    expect(await series('grab_lock_contenders')).toEqual({});
  });

  it('drop a pool at once when its campaign is found deleted', async () => {
    balances.set('c/p1', { remainingCents: 100, remainingPackets: 1 });
    gauges.granted('c', 'p1', 0);
    await gauges.refresh(1);
    balances.delete('c/p1');
    gauges.granted('c', 'p1', 2);
    await gauges.refresh(3);
    expect(await series('grab_pool_remaining_cents')).toEqual({});
  });

  it('read every pool of a failed read again at the next refresh', async () => {
    balances.set('c/p1', new Error('redis away'));
    balances.set('c/p2', { remainingCents: 200, remainingPackets: 2 });
    gauges.granted('c', 'p1', 0);
    gauges.granted('c', 'p2', 0);
    await gauges.refresh(1);
    expect(await series('grab_pool_remaining_cents')).toEqual({});
    balances.set('c/p1', { remainingCents: 100, remainingPackets: 1 });
    await gauges.refresh(2);
    expect(reads).toEqual([
      ['c/p1', 'c/p2'],
      ['c/p1', 'c/p2'],
    ]);
    expect(await series('grab_pool_remaining_cents')).toEqual({ 'c/p1': 100, 'c/p2': 200 });
  });

  it('export at most maxPools pools, and say so once', async () => {
    for (const pool of ['p1', 'p2', 'p3', 'p4']) {
      balances.set(`c/${pool}`, { remainingCents: 100, remainingPackets: 1 });
      gauges.granted('c', pool, 0);
    }
    await gauges.refresh(1);
    expect(reads).toEqual([['c/p1', 'c/p2']]);
    expect(Object.keys(await series('grab_pool_remaining_cents'))).toEqual(['c/p1', 'c/p2']);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toContain('pool gauges are full');
  });
});
