/**
 * The benchmarks' Redis figures on a real Redis Cluster (3 masters, 3 replicas): INFO summed over
 * the masters, and MEMORY USAGE of each key asked of the master holding it, so a campaign whose
 * pools spread over the masters weighs what it weighs on one Redis.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedClients, usedCpuSeconds, usedMemory } from '../../bench/redis-info.js';
import { bytesPerSettledGrab } from '../../bench/settled-memory.js';
import { loadSettings } from '../../shared/config/settings.js';
import {
  claimsKey,
  failuresKey,
  grantsKey,
  outcomeSlotsKey,
  outcomesKey,
  type PoolAddress,
  slotBlocksKey,
} from '../../shared/ledger/keys.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { createRedis, type RedisClient } from '../../shared/redis/connection.js';
import { testRedisUrl } from '../support/env.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';

let cluster: RedisCluster;
let onCluster: RedisClient;
let single: Redis;
/** A client of each master of the cluster, straight to it. */
let masters: Redis[];

beforeAll(async () => {
  cluster = await startRedisCluster();
  onCluster = createRedis(loadSettings({ ...process.env, REDIS_CLUSTER_NODES: cluster.nodes }), 'command');
  await onCluster.ping();
  single = new Redis(testRedisUrl());
  const roles = await Promise.all(cluster.members.map(async (m) => [m.port, await m.role()] as const));
  masters = roles.filter(([, role]) => role === 'master').map(([port]) => new Redis(port, '127.0.0.1'));
  expect(masters).toHaveLength(3);
}, 120_000);

afterAll(async () => {
  onCluster?.disconnect();
  single?.disconnect();
  for (const master of masters ?? []) master.disconnect();
  await cluster?.stop();
});

const infoField = async (node: Redis, section: string, name: string) =>
  Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(await node.info(section))?.[1]);
const overMasters = async (section: string, ...names: string[]) =>
  (await Promise.all(masters.flatMap((m) => names.map((name) => infoField(m, section, name))))).reduce((a, b) => a + b);

/** A settled campaign's per-grab keys. */
async function settle(redis: RedisClient, pools: readonly PoolAddress[]): Promise<void> {
  for (const [i, pool] of pools.entries()) {
    await redis.bitfield(outcomeSlotsKey(pool), 'SET', 'u4', '#300', 2);
    await redis.set(slotBlocksKey(pool), 'x'.repeat(8 + i));
    await redis.hset(outcomesKey(pool), `c.1.${pool.poolId}.http-user`, 'g');
    await redis.hset(failuresKey(pool), `c.1.${pool.poolId}.u9.3`, 'worker crashed');
    await redis.hset(grantsKey(pool), 'u1', `${100 + i}|1|2|job`, 'u2', `${200 + i}|1|2|job`);
    await redis.hset(claimsKey(pool), 'u1', '1', 'u2', '1');
  }
}

describe('the Redis figures of the benchmarks, on a cluster', () => {
  it('MEMORY USAGE of a campaign spread over the masters: each key asked of the master that holds it', async () => {
    const record = { campaignId: `bench-mem-${randomUUID().slice(0, 8)}`, instance: 1, stripes: 16 };
    const pools = Array.from({ length: 24 }, (_, i) => poolAddress(record, `p${i}`));
    const outcomeKeys = pools.flatMap((p) => [outcomesKey(p), outcomeSlotsKey(p), slotBlocksKey(p), failuresKey(p)]);
    const grantKeys = pools.flatMap((p) => [grantsKey(p), claimsKey(p)]);
    await settle(onCluster, pools);
    try {
      // Straight to each master: only the one holding the key answers (the others reply MOVED).
      const owners = new Set<Redis>();
      const bytesOf = async (keys: string[]) => {
        let bytes = 0;
        for (const key of keys)
          for (const master of masters) {
            const reply = await master.memory('USAGE', key, 'SAMPLES', 0).catch(() => undefined);
            if (reply === undefined) continue;
            owners.add(master);
            bytes += Number(reply);
          }
        return bytes;
      };
      const [outcomeBytes, grantBytes] = [await bytesOf(outcomeKeys), await bytesOf(grantKeys)];
      expect(owners.size).toBe(3);
      const round = (n: number) => Math.round(n * 100) / 100;
      expect(await bytesPerSettledGrab(onCluster, pools, { grabs: 96, granted: 48 })).toEqual({
        granted: round(grantBytes / 48 + outcomeBytes / 96),
        notGranted: round(outcomeBytes / 96),
      });
    } finally {
      await Promise.all([...outcomeKeys, ...grantKeys].map((key) => onCluster.del(key)));
    }
  });

  it('used memory, CPU seconds and client connections add up over the masters', async () => {
    const memory = [await overMasters('memory', 'used_memory'), 0, 0];
    const cpu = [await overMasters('cpu', 'used_cpu_sys', 'used_cpu_user'), 0, 0];
    const clients = [await overMasters('clients', 'connected_clients'), 0, 0];
    [memory[1], cpu[1], clients[1]] = [
      await usedMemory(onCluster),
      await usedCpuSeconds(onCluster),
      await connectedClients(onCluster),
    ];
    [memory[2], cpu[2], clients[2]] = [
      await overMasters('memory', 'used_memory'),
      await overMasters('cpu', 'used_cpu_sys', 'used_cpu_user'),
      await overMasters('clients', 'connected_clients'),
    ];
    // CPU only grows: the cluster's figure lies between two readings of the masters.
    expect(cpu[1]).toBeGreaterThanOrEqual(cpu[0]!);
    expect(cpu[1]).toBeLessThanOrEqual(cpu[2]!);
    for (const [before, read, after] of [memory, clients]) {
      expect(read).toBeGreaterThanOrEqual(Math.min(before!, after!) * 0.9);
      expect(read).toBeLessThanOrEqual(Math.max(before!, after!) * 1.1);
    }
    // The sum, not one node's figure.
    const perMaster = await Promise.all(masters.map((m) => infoField(m, 'memory', 'used_memory')));
    expect(memory[1]).toBeGreaterThan(Math.max(...perMaster) * 2);
    // One Redis reads as before: its own figure.
    expect(await usedMemory(single)).toBeGreaterThan(0);
    expect(await connectedClients(single)).toBe(await infoField(single, 'clients', 'connected_clients'));
  });
});
