/** The sharded queue and fleet membership against a real Redis, and heartbeat-member.lua on its own. */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardCountMismatch } from '../../shared/queue/queue-errors.js';
import { createLogger } from '../../shared/logging/logger.js';
import { loadLuaCommands } from '../../shared/redis/lua-scripts.js';
import { FleetMembership, membersKey } from '../../shared/queue/fleet-membership.js';
import { shardOf } from '../../shared/queue/queue-shards.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { shardCountKey } from '../../shared/queue/queue-names.js';
import { testRedisUrl } from '../support/env.js';

let redis: Redis;
const logger = createLogger('test', 'silent');
const newQueue = () => `sq-${randomUUID().slice(0, 8)}`;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.disconnect());

describe('ShardedQueue', () => {
  it("puts each grab in its pool's shard and sums the shards' counts", async () => {
    const queue = await ShardedQueue.open(newQueue(), 4, redis);
    try {
      const data = (pool: string, user: string) => ({ campaign: 'c1', instance: 1, pool, user });
      await queue.addBulk(
        ['p1', 'p2', 'p3', 'p4', 'p5'].map((pool, i) => ({
          name: 'grab',
          data: data(pool, `u${i}`),
          opts: { jobId: `c1.${pool}.u${i}` },
        })),
      );
      for (const pool of ['p1', 'p2', 'p3', 'p4', 'p5']) {
        const shard = queue.shards[shardOf('c1', pool, 4)]!;
        expect(await shard.getJob(`c1.${pool}.u${['p1', 'p2', 'p3', 'p4', 'p5'].indexOf(pool)}`)).toBeDefined();
      }
      await expect(queue.waitingCount()).resolves.toBe(5);
      await expect(queue.jobCounts('waiting', 'active')).resolves.toEqual({ waiting: 5, active: 0 });
      await queue.obliterate();
    } finally {
      await queue.close();
    }
  });

  it('with a dedicated connection, talks to Redis over a connection of its own, which it closes', async () => {
    const clients = async () =>
      String(await redis.client('LIST'))
        .trim()
        .split('\n').length;
    const before = await clients();
    const queue = await ShardedQueue.open(newQueue(), 4, redis, { dedicatedConnection: true });
    expect(await clients()).toBe(before + 1);
    const callerPort = (redis.stream as Socket).localPort;
    const sources = new Set<string>();
    const monitor = await redis.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[0]?.toLowerCase() === 'evalsha') sources.add(source);
    });
    await expect(queue.jobCounts('waiting')).resolves.toEqual({ waiting: 0 });
    await expect.poll(() => sources.size).toBe(1);
    monitor.disconnect();
    expect([...sources][0]).not.toMatch(new RegExp(`:${callerPort}$`));
    await queue.close();
    await expect.poll(clients).toBe(before);
  });

  it('refuses a shard count other than the one the queue was first opened with', async () => {
    const name = newQueue();
    await (await ShardedQueue.open(name, 4, redis)).close();
    const refused = ShardedQueue.open(name, 8, redis);
    await expect(refused).rejects.toBeInstanceOf(ShardCountMismatch);
    await expect(refused).rejects.toThrow(
      `queue "${name}" is split into 4 shards, but GRAB_QUEUE_SHARDS (--queue-shards) is 8`,
    );
  });
});

describe('heartbeat-member.lua', () => {
  const scripts = () =>
    loadLuaCommands(redis, new URL('../../shared/queue/lua/', import.meta.url), ['heartbeatMember']);

  it('adds the member and returns the recorded shard count and every live member, sorted', async () => {
    const queue = newQueue();
    const key = membersKey(queue);
    const { heartbeatMember } = scripts();
    await expect(heartbeatMember([key, shardCountKey(queue)], ['b', 5000])).resolves.toEqual([0, ['b']]);
    await redis.set(shardCountKey(queue), 8);
    await expect(heartbeatMember([key, shardCountKey(queue)], ['a', 5000])).resolves.toEqual([8, ['a', 'b']]);
    expect(await redis.pttl(key)).toBeGreaterThan(40_000);
  });

  it('drops members silent for longer than the ttl', async () => {
    const key = membersKey(newQueue());
    const { heartbeatMember } = scripts();
    await heartbeatMember([key, `${key}:shards`], ['old', 5000]);
    await new Promise((r) => setTimeout(r, 300));
    await expect(heartbeatMember([key, `${key}:shards`], ['new', 200])).resolves.toEqual([0, ['new']]);
  });

  it('rejects a ttl that is not a positive number', async () => {
    await expect(scripts().heartbeatMember([membersKey(newQueue()), 'unused'], ['a', 'soon'])).rejects.toThrow(
      'member ttl must be a whole number of ms >= 1, got "soon"',
    );
  });
});

describe('FleetMembership', () => {
  it('members hear each other join, leave, and go silent', async () => {
    const queue = newQueue();
    const options = { heartbeatMs: 100, ttlMs: 600 };
    const heard: string[][] = [];
    const a = new FleetMembership(redis, queue, logger, options);
    const b = new FleetMembership(redis, queue, logger, options);
    await a.start((members) => heard.push(members));
    expect(heard.at(-1)).toEqual([a.id]);
    await b.start(() => undefined);
    await expect.poll(() => heard.at(-1), { timeout: 2000 }).toEqual([a.id, b.id].sort());
    await b.stop();
    await expect.poll(() => heard.at(-1), { timeout: 2000 }).toEqual([a.id]);
    // A member that stops beating without leaving (as after kill -9) drops out after the ttl.
    const c = new FleetMembership(redis, queue, logger, { heartbeatMs: 60_000, ttlMs: 600 });
    await c.start(() => undefined);
    await expect.poll(() => heard.at(-1), { timeout: 2000 }).toEqual([a.id, c.id].sort());
    await expect.poll(() => heard.at(-1), { timeout: 3000 }).toEqual([a.id]);
    await c.stop();
    await a.stop();
  });
});
