import { fnv1a } from '../hash/fnv1a.js';
import { poolName } from '../campaign/pool-name.js';

/**
 * Grabs are split over several BullMQ queues by pool, so that all grabs of one pool reach the
 * one worker process consuming that shard: its kept ZooKeeper lock on the pool is then never
 * contended, and most batches take the lock without a ZooKeeper round trip. Correctness never
 * depends on this: two processes consuming one shard for a while still serialize on the lock.
 */

/** The shard of a pool: FNV-1a over "campaign/pool", stable across processes and releases. */
export function shardOf(campaignId: string, poolId: string, shards: number): number {
  return fnv1a(poolName(campaignId, poolId)) % shards;
}

/** The shard of a job's payload: its pool's, or the first for one that names no pool (it is rejected there). */
export function shardOfPayload(data: unknown, shards: number): number {
  const { campaign, pool } = (data ?? {}) as { campaign?: unknown; pool?: unknown };
  return typeof campaign === 'string' && typeof pool === 'string' ? shardOf(campaign, pool, shards) : 0;
}

/** Queue names never contain ".", so a shard's queue cannot be another queue's name. */
export const shardQueueName = (queue: string, shard: number): string => `${queue}.${shard}`;

/**
 * The shards one member of the fleet consumes: the members, in a fixed order, split the shards
 * into contiguous runs as even as they can be. A member not (yet) listed counts itself in last.
 */
export function assignShards(members: readonly string[], self: string, shards: number): number[] {
  const all = members.includes(self) ? members : [...members, self];
  const index = all.indexOf(self);
  const from = Math.floor((index * shards) / all.length);
  const to = Math.floor(((index + 1) * shards) / all.length);
  return Array.from({ length: to - from }, (_, i) => from + i);
}
