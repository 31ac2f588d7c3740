import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';

const SECRET = 'pw-6f1c';

describe('settings that carry credentials', () => {
  it('are never echoed in an error', () => {
    const invalid = [{ ZK_AUTH: `fleet ${SECRET}` }, { REDIS_URL: `http://:${SECRET}@redis` }];
    for (const env of invalid) {
      const error = (() => {
        try {
          loadSettings(env);
        } catch (err) {
          return err as Error;
        }
        throw new Error(`${JSON.stringify(env)} was accepted`);
      })();
      expect(error.message).toMatch(
        /^invalid setting (ZK_AUTH|REDIS_URL) \(value not shown: it may hold a password\): must be/,
      );
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('ZK_AUTH is optional and must be user:password when set', () => {
    expect(loadSettings({}).zkAuth).toBeUndefined();
    expect(loadSettings({ ZK_AUTH: '' }).zkAuth).toBeUndefined();
    expect(loadSettings({ ZK_AUTH: 'fleet:p@ss:word' }).zkAuth).toBe('fleet:p@ss:word');
    expect(() => loadSettings({ ZK_AUTH: 'fleet' })).toThrow(/must be user:password/);
    expect(() => loadSettings({ ZK_AUTH: 'fleet:' })).toThrow(/must be user:password/);
  });

  it('other settings still show the value they refused', () => {
    expect(() => loadSettings({ ZK_CONNECT: 'nohost' })).toThrow('invalid setting ZK_CONNECT="nohost"');
  });
});

describe('the job lock and stall check of the queue', () => {
  it('default to an 8 s lock checked every 2 s, and take the variable or the flag', () => {
    expect(loadSettings({})).toMatchObject({ jobLockMs: 8000, stalledIntervalMs: 2000 });
    expect(loadSettings({ GRAB_JOB_LOCK_MS: '8000', GRAB_STALLED_INTERVAL_MS: '1000' })).toMatchObject({
      jobLockMs: 8000,
      stalledIntervalMs: 1000,
    });
    expect(
      loadSettings({ GRAB_JOB_LOCK_MS: '8000' }, { 'job-lock-ms': '6000', 'stalled-interval-ms': '3000' }),
    ).toMatchObject({ jobLockMs: 6000, stalledIntervalMs: 3000 });
  });

  it('refuse what is out of range, naming the range', () => {
    expect(() => loadSettings({ GRAB_JOB_LOCK_MS: '500' })).toThrow(
      'invalid setting GRAB_JOB_LOCK_MS="500": must be a whole number from 1000 to 600000',
    );
    expect(() => loadSettings({}, { 'stalled-interval-ms': '2.5' })).toThrow(
      'invalid setting --stalled-interval-ms="2.5": must be a whole number from 500 to 600000',
    );
  });
});
