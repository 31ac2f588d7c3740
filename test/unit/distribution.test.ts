import { describe, expect, it } from 'vitest';
import { distributionNames, poolChooser, type DistributionName } from '../../shared/enqueue/distribution.js';

const USERS = 100_000;

/** The share of USERS generated users (u0, u1, ... as `grab produce` names them) each pool gets. */
function shares(distribution: DistributionName, pools: number): number[] {
  const choose = poolChooser(distribution, pools);
  const counts = new Array<number>(pools).fill(0);
  for (let i = 0; i < USERS; i++) counts[choose(`u${i}`)]!++;
  return counts.map((c) => c / USERS);
}

/** Each observed share within five standard deviations of the binomial share expected. */
function expectShares(observed: number[], expected: number[]): void {
  expect(observed).toHaveLength(expected.length);
  observed.forEach((share, pool) => {
    const p = expected[pool]!;
    const sd = Math.sqrt((p * (1 - p)) / USERS);
    expect(Math.abs(share - p), `pool ${pool}: share ${share}, expected ${p}`).toBeLessThanOrEqual(5 * sd);
  });
}

describe('poolChooser', () => {
  it.each(distributionNames)('%s: sends a user to the same pool on every run and in every release', (distribution) => {
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const first = users.map(poolChooser(distribution, 20));
    expect(users.map(poolChooser(distribution, 20))).toEqual(first);
    expect(first.every((pool) => Number.isInteger(pool) && pool >= 0 && pool < 20)).toBe(true);
  });

  it('pins the pools of the first users, so a change of hash or generator cannot slip through', () => {
    // A re-run of `grab produce` must enqueue the same grabs (their job ids name the pool).
    const firstTwelve = (distribution: DistributionName) =>
      Array.from({ length: 12 }, (_, i) => poolChooser(distribution, 20)(`u${i}`));
    expect(firstTwelve('uniform')).toEqual([16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 9, 10]);
    expect(firstTwelve('hot')).toEqual([0, 0, 0, 0, 0, 0, 13, 0, 0, 17, 0, 19]);
    expect(firstTwelve('zipf')).toEqual([1, 1, 3, 4, 2, 0, 16, 0, 1, 18, 0, 16]);
  });

  it.each(distributionNames)('%s: a single pool gets everyone', (distribution) => {
    expect(shares(distribution, 1)).toEqual([1]);
  });

  it.each([2, 7, 20])('uniform over %i pools: an even share each', (pools) => {
    expectShares(shares('uniform', pools), new Array<number>(pools).fill(1 / pools));
  });

  it.each([2, 7, 20])(
    'hot over %i pools: a share of 0.8 to the first pool, the rest evenly over the others',
    (pools) => {
      expectShares(shares('hot', pools), [0.8, ...new Array<number>(pools - 1).fill(0.2 / (pools - 1))]);
    },
  );

  it.each([2, 7, 20])('zipf over %i pools: pool k gets a share proportional to 1/(k+1)', (pools) => {
    const weights = Array.from({ length: pools }, (_, k) => 1 / (k + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    expectShares(
      shares('zipf', pools),
      weights.map((w) => w / total),
    );
  });
});
