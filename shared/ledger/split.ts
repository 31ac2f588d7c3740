import type { SplitName } from '../campaign/spec.js';
import { randomIntInclusive, type Rng } from './prng.js';

/**
 * The largest random draw of the double-average split (二倍均值法): a packet gets 1 + a draw
 * in [0, span], so on average twice the fair share of what is left above 1 cent per packet.
 * Exact for safe integers: the division of two integers below 2^53 never rounds across an integer.
 */
export function randomSplitSpan(remainingCents: number, remainingPackets: number): number {
  return 2 * Math.floor((remainingCents - remainingPackets) / remainingPackets);
}

/**
 * The cents of the next packet when `remainingCents` are left for `remainingPackets` packets.
 * Every packet gets at least 1 cent and the last one gets the rest, so the packets of a pool sum to its total.
 */
export function nextPacketCents(split: SplitName, remainingCents: number, remainingPackets: number, rng: Rng): number {
  assertSplittable(remainingCents, remainingPackets);
  if (remainingPackets === 1) return remainingCents;
  return split === 'equal'
    ? Math.floor(remainingCents / remainingPackets)
    : 1 + randomIntInclusive(rng, randomSplitSpan(remainingCents, remainingPackets));
}

function assertSplittable(remainingCents: number, remainingPackets: number): void {
  if (
    !Number.isSafeInteger(remainingCents) ||
    !Number.isSafeInteger(remainingPackets) ||
    remainingPackets < 1 ||
    remainingCents < remainingPackets
  ) {
    throw new RangeError(
      `cannot split ${remainingCents} cents into ${remainingPackets} packets: ` +
        `need whole numbers with cents >= packets >= 1`,
    );
  }
}
