import { fnv1a } from '../hash/fnv1a.js';
import { seededRng } from '../ledger/prng.js';

export const distributionNames = ['uniform', 'hot', 'zipf'] as const;
export type DistributionName = (typeof distributionNames)[number];

/** Share of grabs that go to the first pool under `hot`. */
export const HOT_SHARE = 0.8;

const UINT32 = 2 ** 32;

/** Stable, so a user is sent to the same pool on every run of the producer. */
const hashUser = fnv1a;

/**
 * Picks the pool (an index below `pools`) each user grabs, deterministically from the user id.
 * `uniform` spreads users evenly, `hot` sends 80% to the first pool (one hot red packet), and
 * `zipf` gives pool k a share proportional to 1/(k+1).
 */
export function poolChooser(distribution: DistributionName, pools: number): (user: string) => number {
  switch (distribution) {
    case 'uniform':
      return (user) => hashUser(user) % pools;
    case 'hot':
      return (user) => {
        const rng = seededRng(hashUser(user));
        return rng() / UINT32 < HOT_SHARE || pools === 1 ? 0 : 1 + (rng() % (pools - 1));
      };
    case 'zipf': {
      const cumulative: number[] = [];
      let total = 0;
      for (let k = 0; k < pools; k++) {
        total += 1 / (k + 1);
        cumulative.push(total);
      }
      return (user) => {
        const target = (seededRng(hashUser(user))() / UINT32) * total;
        let lo = 0;
        let hi = pools - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid]! < target) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
    }
  }
}
