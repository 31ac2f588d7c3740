import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../shared/redis/connection.js';

/**
 * Figures of the Redis the fleet uses, from INFO. INFO answers for the node it is sent to, so on a
 * Redis Cluster each figure is asked of every master and summed: the masters hold the data and
 * run the scripts (replicas copy them, and are left out).
 */

/** The nodes that hold the data: every master of a cluster, or the one Redis. */
export const dataNodes = (redis: RedisClient): Redis[] => (redis instanceof Cluster ? redis.nodes('master') : [redis]);

const field = (info: string, name: string): number =>
  Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);

/** The named fields of INFO replies (one per node), added up over the fields and the replies; a field a reply lacks counts 0. */
export const summedFields = (infos: readonly string[], names: readonly string[]): number =>
  infos.reduce((total, info) => total + names.reduce((sum, name) => sum + field(info, name), 0), 0);

async function summedInfo(redis: RedisClient, section: string, ...names: string[]): Promise<number> {
  return summedFields(await Promise.all(dataNodes(redis).map((node) => node.info(section))), names);
}

/** Bytes Redis says it uses (INFO memory, used_memory), over every master; 0 if it does not say. */
export async function usedMemory(redis: RedisClient): Promise<number> {
  return summedInfo(redis, 'memory', 'used_memory');
}

/** CPU seconds the Redis servers have used since they started, system and user (INFO cpu), over every master. */
export async function usedCpuSeconds(redis: RedisClient): Promise<number> {
  return summedInfo(redis, 'cpu', 'used_cpu_sys', 'used_cpu_user');
}

/** Client connections open to the Redis servers (INFO clients), over every master. */
export async function connectedClients(redis: RedisClient): Promise<number> {
  return summedInfo(redis, 'clients', 'connected_clients');
}
