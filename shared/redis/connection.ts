import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/**
 * ioredis clients for each role. Workers block on BullMQ and must wait out outages
 * (maxRetriesPerRequest null). Commands and producers queue a command while the client
 * (re)connects, but give up on it after three reconnection attempts, so an outage fails them
 * within seconds instead of hanging.
 * With a logger, the client's errors are logged there (redacted, as JSON); a client nobody
 * listens to prints them with console.error. BullMQ listens to the connections it is given.
 */
export function createRedis(url: string, role: 'worker' | 'command', logger?: Logger): Redis {
  const options =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 5000, enableAutoPipelining: true };
  const redis = new Redis(url, { ...options, lazyConnect: false });
  if (logger) redis.on('error', (err: Error) => logger.error({ err, role }, 'redis error'));
  return redis;
}
