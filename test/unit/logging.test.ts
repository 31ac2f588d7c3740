import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { createLogger } from '../../shared/logging/logger.js';

const REDIS_PASSWORD = 'redis-pw-6f1c';
const ZK_PASSWORD = 'zk-pw-9b2e';

/** A logger writing into a string, as it would write to stderr. */
function capture() {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('test', 'info', { destination }), output: () => out };
}

const settings = loadSettings({
  REDIS_URL: `rediss://grab:${REDIS_PASSWORD}@redis.internal:6380`,
  ZK_AUTH: `fleet:${ZK_PASSWORD}`,
});

describe('logger redaction', () => {
  it('keeps credentials out of the log, whether settings are logged whole or nested', () => {
    const { logger, output } = capture();
    logger.info(settings, 'settings at the top level');
    logger.info({ settings }, 'settings nested');
    logger.info(
      { redis: { redisUrl: settings.redisUrl, password: REDIS_PASSWORD }, zk: { auth: settings.zkAuth } },
      'one level down',
    );
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(REDIS_PASSWORD);
      expect(line).not.toContain(ZK_PASSWORD);
      expect(JSON.parse(line)).toBeTypeOf('object');
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      redisUrl: '[redacted]',
      zkAuth: '[redacted]',
      zkConnect: settings.zkConnect,
    });
    expect(JSON.parse(lines[1]!).settings).toMatchObject({ redisUrl: '[redacted]', zkAuth: '[redacted]' });
  });
});
