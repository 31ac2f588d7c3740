import { describe, expect, it } from 'vitest';
import { cryptoSeededRng, randomIntInclusive, seededRng } from '../../shared/ledger/prng.js';

describe('seededRng', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const take = (seed: number) => Array.from({ length: 5 }, seededRng(seed));
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('returns unsigned 32-bit integers', () => {
    const rng = seededRng(3);
    for (let i = 0; i < 10_000; i++) {
      const x = rng();
      expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
    }
  });
});

describe('cryptoSeededRng', () => {
  it('gives each generator its own stream', () => {
    expect(Array.from({ length: 4 }, cryptoSeededRng())).not.toEqual(Array.from({ length: 4 }, cryptoSeededRng()));
  });
});

describe('randomIntInclusive', () => {
  it('covers [0, max] evenly (chi-square, 7 buckets)', () => {
    const rng = seededRng(9);
    const counts = new Array<number>(7).fill(0);
    const draws = 70_000;
    for (let i = 0; i < draws; i++) counts[randomIntInclusive(rng, 6)]!++;
    const expected = draws / 7;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(22.46); // p = 0.001 at 6 degrees of freedom
  });

  it('rejects the draws that would bias a modulo', () => {
    // 2^32 - 1 is the one value above the largest multiple of 3 below 2^32: it must be redrawn.
    const words = [2 ** 32 - 1, 5];
    expect(randomIntInclusive(() => words.shift()!, 2)).toBe(5 % 3);
  });

  it('returns 0 for max 0 and reaches beyond 2^32 for large ranges', () => {
    const rng = seededRng(5);
    expect(randomIntInclusive(rng, 0)).toBe(0);
    const big = Array.from({ length: 100 }, () => randomIntInclusive(rng, Number.MAX_SAFE_INTEGER));
    expect(big.every(Number.isSafeInteger)).toBe(true);
    expect(big.some((x) => x > 2 ** 32)).toBe(true);
  });

  it.each([-1, 1.5, 2 ** 53])('refuses max %s', (max) => {
    expect(() => randomIntInclusive(seededRng(0), max)).toThrow(RangeError);
  });
});
