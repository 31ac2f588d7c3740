import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../logging/logger.js';

/** One Redis, or a Redis Cluster: both speak the commands the fleet sends. */
export type RedisClient = Redis | Cluster;

export type ConnectionSettings = Pick<Settings, 'redisUrl' | 'redisClusterNodes'>;

/**
 * ioredis clients for each role. Workers block on BullMQ and must wait out outages
 * (maxRetriesPerRequest null). Commands and producers queue a command while the client
 * (re)connects, but give up on it after three reconnection attempts, so an outage fails them
 * within seconds instead of hanging.
 * With REDIS_CLUSTER_NODES the client is an ioredis Cluster that starts from those nodes and
 * takes the user, password and TLS of REDIS_URL for every node it finds.
 * With a logger, the client's errors are logged there (redacted, as JSON); a client nobody
 * listens to prints them with console.error. BullMQ listens to the connections it is given.
 */
export function createRedis(settings: ConnectionSettings, role: 'worker' | 'command', logger?: Logger): RedisClient {
  const options =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 5000, enableAutoPipelining: true };
  const redis = settings.redisClusterNodes
    ? new Cluster(settings.redisClusterNodes.map(startupNode), {
        redisOptions: { ...options, ...credentials(settings.redisUrl) },
        enableReadyCheck: true,
        enableOfflineQueue: true,
        enableAutoPipelining: role === 'command',
        // Right after a failover, nodes disagree about a slot's owner for a moment: pause between
        // redirections instead of using up all of them at once.
        retryDelayOnMoved: 100,
        lazyConnect: false,
      })
    : new Redis(settings.redisUrl, { ...options, lazyConnect: false });
  if (logger) redis.on('error', (err: Error) => logger.error({ err, role }, 'redis error'));
  return redis;
}

/** A second connection to the same Redis or cluster, with the same options but those given. */
export const duplicateClient = (redis: RedisClient, override: { enableAutoPipelining?: boolean } = {}): RedisClient =>
  redis instanceof Cluster ? redis.duplicate(undefined, override) : redis.duplicate(override);

/** "host:port" (an IPv6 host may be in brackets) as ioredis's startup node. */
function startupNode(node: string): { host: string; port: number } {
  const colon = node.lastIndexOf(':');
  return { host: node.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(colon + 1)) };
}

/** What a cluster's nodes take from REDIS_URL: the user, the password and TLS (rediss://). */
function credentials(redisUrl: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(redisUrl);
  return {
    ...(url.username ? { username: decoded(url.username) } : {}),
    ...(url.password ? { password: decoded(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Percent-decoded as ioredis decodes a URL's credentials; as written if not validly encoded. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
