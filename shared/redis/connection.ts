import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis clients for each role. Workers block on BullMQ and must wait out outages
 * (maxRetriesPerRequest null); commands and producers fail fast instead of queueing offline.
 */
export function createRedis(url: string, role: 'worker' | 'command'): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 5000, enableAutoPipelining: true };
  return new Redis(url, { ...options, lazyConnect: false });
}
