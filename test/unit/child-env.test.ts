import { describe, expect, it } from 'vitest';
import { childEnv } from '../../shared/config/child-env.js';
import { loadSettings } from '../../shared/config/settings.js';

describe('childEnv', () => {
  it('gives a child every setting, so it loads the same settings from its environment alone', () => {
    const settings = loadSettings(
      {},
      {
        'redis-url': 'rediss://grab:pw@redis.internal:6380',
        'zk-auth': 'fleet:zkpw',
        'zk-connect': 'zk1:2181,zk2:2181/fleet',
        'zk-session-timeout-ms': '4000',
        queue: 'child-env',
        'queue-shards': '4',
        'log-level': 'warn',
        'metrics-port': '9400',
        'metrics-host': '0.0.0.0',
      },
    );
    expect(loadSettings(childEnv(settings))).toEqual(settings);
    const defaults = loadSettings({});
    expect(loadSettings(childEnv(defaults))).toEqual(defaults);
    expect(childEnv(defaults)).toMatchObject({ ZK_AUTH: '', METRICS_PORT: 'off' });
  });

  it('keeps the rest of this process environment', () => {
    expect(childEnv(loadSettings({})).PATH).toBe(process.env.PATH);
  });
});
