/**
 * What createRedis makes of a REDIS_URL: credentials and TLS come from the URL alone, for one
 * Redis as for every node of a cluster.
 */
import { Cluster, type Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../shared/redis/connection.js';

const opened: (Redis | Cluster)[] = [];

/** A client pointed at a closed port: only its options are looked at. */
function clientFor(url: string): Redis {
  const redis = createRedis({ redisUrl: url, redisClusterNodes: undefined }, 'command');
  redis.on('error', () => undefined);
  opened.push(redis);
  return redis as Redis;
}

function clusterFor(url: string, nodes: string[]): Cluster {
  const cluster = createRedis({ redisUrl: url, redisClusterNodes: nodes }, 'worker');
  cluster.on('error', () => undefined);
  opened.push(cluster);
  expect(cluster).toBeInstanceOf(Cluster);
  return cluster as Cluster;
}

afterEach(() => {
  for (const r of opened.splice(0)) r.disconnect();
});

describe('createRedis', () => {
  it('takes the ACL user and password from the URL, decoded', () => {
    const { options } = clientFor('redis://grab-fleet:p%40ss@127.0.0.1:1/2');
    expect(options).toMatchObject({ username: 'grab-fleet', password: 'p@ss', host: '127.0.0.1', port: 1, db: 2 });
  });

  it('takes a password without a user (requirepass)', () => {
    const { options } = clientFor('redis://:secret@127.0.0.1:1');
    expect(options.password).toBe('secret');
    expect(options.username).toBeFalsy();
  });

  it('speaks TLS for rediss:// and plain TCP for redis://', () => {
    expect(clientFor('rediss://:secret@127.0.0.1:1').options.tls).toBeTruthy();
    expect(clientFor('redis://127.0.0.1:1').options.tls).toBeFalsy();
  });

  it("with cluster nodes, talks to a cluster from them, with the URL's credentials and TLS on every node", () => {
    const cluster = clusterFor('rediss://grab-fleet:p%40ss@ignored.example:6379', ['10.0.0.1:7000', '[::1]:7001']);
    expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(cluster.options.redisOptions).toMatchObject({
      username: 'grab-fleet',
      password: 'p@ss',
      maxRetriesPerRequest: null,
    });
    expect(cluster.options.redisOptions?.tls).toBeTruthy();
    expect(clusterFor('redis://127.0.0.1:1', ['127.0.0.1:1']).options.redisOptions?.tls).toBeFalsy();
  });
});
