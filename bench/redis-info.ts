import type { RedisClient } from '../shared/redis/connection.js';

// On a Redis Cluster, INFO answers for one node only: these figures are meant for one Redis.

const field = (info: string, name: string): number =>
  Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);

/** Bytes Redis says it uses (INFO memory, used_memory); 0 if it does not say. */
export async function usedMemory(redis: RedisClient): Promise<number> {
  return field(await redis.info('memory'), 'used_memory');
}

/** CPU seconds the Redis server has used since it started, system and user (INFO cpu). */
export async function usedCpuSeconds(redis: RedisClient): Promise<number> {
  const info = await redis.info('cpu');
  return field(info, 'used_cpu_sys') + field(info, 'used_cpu_user');
}

/** Client connections open to the Redis server (INFO clients). */
export async function connectedClients(redis: RedisClient): Promise<number> {
  return field(await redis.info('clients'), 'connected_clients');
}
