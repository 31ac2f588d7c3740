import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { CommitUnconfirmedError, checkAcked } from '../../shared/redis/replica-wait.js';

describe('replica wait', () => {
  it('a WAIT reply below the replicas required is an unconfirmed commit, counted once', () => {
    let unconfirmed = 0;
    const wait = { replicas: 2, timeoutMs: 50, onUnconfirmed: () => unconfirmed++ };
    expect(() => checkAcked(2, wait)).not.toThrow();
    expect(() => checkAcked(3, wait)).not.toThrow();
    expect(() => checkAcked(1, wait)).toThrow(CommitUnconfirmedError);
    expect(() => checkAcked(0, wait)).toThrow(/reached 0 of the 2 replicas it needs within 50 ms/);
    expect(unconfirmed).toBe(2);
  });

  it('GRAB_COMMIT_REPLICAS is auto or a number; GRAB_COMMIT_WAIT_MS a bounded number', () => {
    expect(loadSettings({}).commitReplicas).toBe('auto');
    expect(loadSettings({ GRAB_COMMIT_REPLICAS: '0' }).commitReplicas).toBe(0);
    expect(loadSettings({ GRAB_COMMIT_REPLICAS: '2', GRAB_COMMIT_WAIT_MS: '250' })).toMatchObject({
      commitReplicas: 2,
      commitWaitMs: 250,
    });
    expect(() => loadSettings({ GRAB_COMMIT_REPLICAS: 'all' })).toThrow(/GRAB_COMMIT_REPLICAS.*auto or a whole number/);
    expect(() => loadSettings({ GRAB_COMMIT_WAIT_MS: '5' })).toThrow(/GRAB_COMMIT_WAIT_MS.*from 10 to 60000/);
  });
});
