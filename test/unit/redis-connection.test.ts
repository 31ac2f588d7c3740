/** What createRedis makes of a REDIS_URL: credentials and TLS come from the URL alone. */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../shared/redis/connection.js';

const opened: Redis[] = [];

/** A client pointed at a closed port: only its options are looked at. */
function clientFor(url: string): Redis {
  const redis = createRedis(url, 'command');
  redis.on('error', () => undefined);
  opened.push(redis);
  return redis;
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
});
