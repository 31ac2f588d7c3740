/** A Redis that wants credentials: the fleet takes them from REDIS_URL, password or ACL user. */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';

const PASSWORD = 'grabRedisPw42';
const redis = privateRedis({ requirepass: PASSWORD });

const at = (credentials: string) => `redis://${credentials}127.0.0.1:${redis.port}`;

describe('Redis credentials from REDIS_URL', () => {
  it('a password in the URL opens a password-protected Redis', async () => {
    expect(redis.url).toBe(at(`:${PASSWORD}@`));
    const r = await grab(['campaign', 'list'], { REDIS_URL: redis.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('an ACL user and its password open it too', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.call('ACL', 'SETUSER', 'grab-fleet', 'on', '>fleetPw7', '~*', '&*', '+@all');
    } finally {
      admin.disconnect();
    }
    const r = await grab(['campaign', 'list'], { REDIS_URL: at('grab-fleet:fleetPw7@') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('no password or a wrong one is refused, and the wrong one is not printed', async () => {
    const none = await grab(['campaign', 'list'], { REDIS_URL: at('') });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('NOAUTH');

    const wrong = await grab(['campaign', 'list'], { REDIS_URL: at(':notThePassword@') });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('WRONGPASS');
    expect(wrong.stderr).not.toContain('notThePassword');
  });
});
