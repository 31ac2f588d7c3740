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
      expect(error.message).toMatch(/^invalid setting (ZK_AUTH|REDIS_URL) \(value not shown: it may hold a password\): must be/);
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
