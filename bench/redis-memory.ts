import type { RedisClient } from '../shared/redis/connection.js';

/** Bytes Redis says it uses (INFO memory, used_memory); 0 if it does not say. */
export async function usedMemory(redis: RedisClient): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}
