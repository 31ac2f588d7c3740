import { describe, expect, it } from 'vitest';
import { randomIntInclusive, seededRng, type Rng } from '../../shared/ledger/prng.js';
import { splitNames, type SplitName } from '../../shared/campaign/spec.js';
import { nextPacketCents, randomSplitSpan } from '../../shared/ledger/split.js';

/** Splits a whole pool packet by packet, checking each grant against what was left when it was made. */
function splitWholePool(split: SplitName, totalCents: number, packets: number, rng: Rng): number[] {
  const grants: number[] = [];
  let remainingCents = totalCents;
  for (let remainingPackets = packets; remainingPackets > 0; remainingPackets--) {
    const cents = nextPacketCents(split, remainingCents, remainingPackets, rng);
    if (!Number.isSafeInteger(cents) || cents < 1 || cents > remainingCents - (remainingPackets - 1)) {
      throw new Error(
        `${split}: granted ${cents} with ${remainingCents} cents for ${remainingPackets} ` +
          `packets left (pool ${totalCents}/${packets})`,
      );
    }
    grants.push(cents);
    remainingCents -= cents;
  }
  return grants;
}

function expectExactSplit(split: SplitName, totalCents: number, packets: number, rng: Rng): void {
  const grants = splitWholePool(split, totalCents, packets, rng);
  expect(grants).toHaveLength(packets);
  expect(grants.reduce((a, b) => a + b, 0)).toBe(totalCents);
}

describe('nextPacketCents over whole pools', () => {
  it.each(splitNames)(
    '%s: 100,000 random small pools sum exactly, no packet under 1 cent, no grant above what remains',
    (split) => {
      const rng = seededRng(split === 'random' ? 20240210 : 88);
      for (let pool = 0; pool < 100_000; pool++) {
        const packets = 1 + randomIntInclusive(rng, 19);
        // Mostly tight pools (a few cents per packet), where the 1-cent floor binds, and some roomy ones.
        const totalCents = packets + randomIntInclusive(rng, pool % 4 === 0 ? 10_000_000 : 3 * packets);
        const grants = splitWholePool(split, totalCents, packets, rng);
        const sum = grants.reduce((a, b) => a + b, 0);
        // A plain throw, not expect(): 100,000 expect() calls would dominate the run time.
        if (sum !== totalCents || grants.length !== packets)
          throw new Error(`${split}: pool ${totalCents}/${packets} split into ${sum} over ${grants.length}`);
      }
    },
  );

  it.each(splitNames)('%s: large pools, including one packet per cent and totals near 2^53', (split) => {
    const rng = seededRng(7);
    expectExactSplit(split, 1_000_000, 1_000_000, rng);
    expectExactSplit(split, 888_888, 100_000, rng);
    expectExactSplit(split, Number.MAX_SAFE_INTEGER, 50_000, rng);
    expectExactSplit(split, Number.MAX_SAFE_INTEGER, 1, rng);
  });

  it('random draws 1 + [0, 2*floor((R-n)/n)], so the average packet is the fair share', () => {
    const rng = seededRng(1);
    const draws = Array.from({ length: 200_000 }, () => nextPacketCents('random', 1000, 10, rng));
    expect(draws.reduce((a, b) => Math.min(a, b))).toBe(1);
    expect(draws.reduce((a, b) => Math.max(a, b))).toBe(1 + randomSplitSpan(1000, 10));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(99.5);
    expect(mean).toBeLessThan(100.5);
  });

  it('equal gives floor(R/n) and the last packet the rest', () => {
    expect(splitWholePool('equal', 1000, 3, seededRng(0))).toEqual([333, 333, 334]);
  });

  it('the last packet takes everything that is left', () => {
    expect(nextPacketCents('random', 5000, 1, seededRng(0))).toBe(5000);
  });

  it.each([
    [0, 1],
    [5, 0],
    [4, 5],
    [1.5, 1],
    [Number.MAX_SAFE_INTEGER + 1, 1],
  ])('refuses %s cents for %s packets', (cents, packets) => {
    expect(() => nextPacketCents('random', cents, packets, seededRng(0))).toThrow(RangeError);
  });
});
