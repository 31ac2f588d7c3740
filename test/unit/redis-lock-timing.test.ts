/** The Redis lock's timing rules, apart from Redis: how long a lease is safe, how long a retry waits. */
import { describe, expect, it } from 'vitest';
import { leaseSafeUntil, retryDelayMs } from '../../shared/lock/redis-lock.js';

describe('leaseSafeUntil', () => {
  it('counts the lease from when the request was sent, less a fifth for clock drift', () => {
    expect(leaseSafeUntil(1_000, 10_000)).toBe(1_000 + 8_000);
    expect(leaseSafeUntil(0, 12)).toBe(10); // the margin rounds down: 12 / 5 → 2
  });
});

describe('retryDelayMs', () => {
  it('grows by 1 ms an attempt up to the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 7, 8, 50].map((attempt) => retryDelayMs(attempt, 8, top))).toEqual([1, 2, 3, 8, 8, 8]);
  });

  it('is a random part of that bound, never more', () => {
    expect(retryDelayMs(5, 8, () => 0)).toBe(0);
    expect(retryDelayMs(5, 8, () => 0.5)).toBe(3);
    for (let attempt = 0; attempt < 100; attempt++) {
      const delay = retryDelayMs(attempt, 8);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(8);
    }
  });
});
