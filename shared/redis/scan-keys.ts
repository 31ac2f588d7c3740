import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * Every key matching `pattern`, a SCAN page at a time. On a Redis Cluster each master holds only
 * its own slots' keys, so every master is scanned in turn. As with any SCAN, a key present for
 * the whole scan comes at least once, and may come twice.
 */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}
