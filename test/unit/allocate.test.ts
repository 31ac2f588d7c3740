import { describe, expect, it } from 'vitest';
import type { Grant } from '../../shared/ledger/grant.js';
import type { PoolRead } from '../../shared/ledger/ledger-types.js';
import { seededRng } from '../../shared/ledger/prng.js';
import { splitNames } from '../../shared/campaign/spec.js';
import { nextPacketCents } from '../../shared/ledger/split.js';
import { allocate } from '../../worker/allocate.js';
import type { GrabRequest } from '../../worker/grab-request.js';

const grabOf = (user: string, jobId = `c.1.p1.${user}`): GrabRequest => ({ user, jobId });
const grabs = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => grabOf(`u${from + i}`));

function read(
  remainingCents: number,
  remainingPackets: number,
  grants: Record<string, Pick<Grant, 'cents' | 'jobId'>> = {},
): PoolRead {
  const held = new Map(Object.entries(grants).map(([user, g]) => [user, { ...g, token: 1n, atMs: 0 }]));
  return { remainingCents, remainingPackets, version: 0, token: 1n, closed: false, grants: held };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('allocate', () => {
  it.each(splitNames)(
    '%s: one batch larger than the pool hands out every packet, summing to the balance, then sells out',
    (split) => {
      const { results, grants } = allocate(read(10_000, 40), split, grabs(0, 55), seededRng(1));
      expect(grants).toHaveLength(40);
      expect(sum(grants.map((g) => g.cents))).toBe(10_000);
      expect(grants.every((g) => g.cents >= 1)).toBe(true);
      expect(results.slice(0, 40)).toEqual(grants.map((g) => ({ outcome: 'granted', cents: g.cents })));
      expect(results.slice(40)).toEqual(Array(15).fill({ outcome: 'sold_out' }));
    },
  );

  it.each(splitNames)(
    '%s: batch after batch from the balance each one left, the packets sum exactly to the pool',
    (split) => {
      const rng = seededRng(2);
      let pool = read(888_888, 1000);
      const granted: number[] = [];
      for (let from = 0; from < 1200; from += 37) {
        const { grants } = allocate(pool, split, grabs(from, from + 37), rng);
        granted.push(...grants.map((g) => g.cents));
        pool = read(pool.remainingCents - sum(grants.map((g) => g.cents)), pool.remainingPackets - grants.length);
      }
      expect(granted).toHaveLength(1000);
      expect(sum(granted)).toBe(888_888);
      expect(pool).toMatchObject({ remainingCents: 0, remainingPackets: 0 });
    },
  );

  it('hands out packets in grab order, each cut from what the grabs before it left', () => {
    const rng = seededRng(3);
    const expected = [nextPacketCents('random', 1000, 4, rng)];
    expected.push(nextPacketCents('random', 1000 - expected[0]!, 3, rng));
    const { grants } = allocate(read(1000, 4), 'random', [grabOf('b'), grabOf('a')], seededRng(3));
    expect(grants).toEqual([
      { user: 'b', cents: expected[0], jobId: 'c.1.p1.b' },
      { user: 'a', cents: expected[1], jobId: 'c.1.p1.a' },
    ]);
  });

  it('a sold-out pool grants nothing', () => {
    expect(allocate(read(0, 0), 'random', grabs(0, 3), seededRng(4))).toEqual({
      results: Array(3).fill({ outcome: 'sold_out' }),
      grants: [],
    });
  });

  it(
    "replays a user's grant to the job that made it, and calls any other " +
      'job of that user a duplicate, spending no packet',
    () => {
      const pool = read(500, 2, {
        alice: { cents: 70, jobId: 'c.1.p1.alice' },
        bob: { cents: 30, jobId: 'c.1.p1.bob' },
      });
      const { results, grants } = allocate(
        pool,
        'equal',
        [grabOf('alice'), grabOf('bob', 'c.1.p1.bob-again'), grabOf('carol'), grabOf('dave'), grabOf('erin')],
        seededRng(5),
      );
      expect(results).toEqual([
        { outcome: 'granted', cents: 70 },
        { outcome: 'duplicate', cents: 30 },
        { outcome: 'granted', cents: 250 },
        { outcome: 'granted', cents: 250 },
        { outcome: 'sold_out' },
      ]);
      expect(grants.map((g) => g.user)).toEqual(['carol', 'dave']);
    },
  );

  it('replays existing grants even when the pool is sold out', () => {
    const pool = read(0, 0, { alice: { cents: 70, jobId: 'c.1.p1.alice' } });
    const { results } = allocate(
      pool,
      'random',
      [grabOf('alice'), grabOf('alice', 'other-job'), grabOf('bob')],
      seededRng(6),
    );
    expect(results).toEqual([
      { outcome: 'granted', cents: 70 },
      { outcome: 'duplicate', cents: 70 },
      { outcome: 'sold_out' },
    ]);
  });

  it(
    'a user twice in one batch gets one packet: a redelivery of the same ' +
      'job replays it, another job is a duplicate',
    () => {
      const { results, grants } = allocate(
        read(900, 3),
        'equal',
        [grabOf('alice'), grabOf('alice'), grabOf('alice', 'other-job'), grabOf('bob')],
        seededRng(7),
      );
      expect(grants).toEqual([
        { user: 'alice', cents: 300, jobId: 'c.1.p1.alice' },
        { user: 'bob', cents: 300, jobId: 'c.1.p1.bob' },
      ]);
      expect(results).toEqual([
        { outcome: 'granted', cents: 300 },
        { outcome: 'granted', cents: 300 },
        { outcome: 'duplicate', cents: 300 },
        { outcome: 'granted', cents: 300 },
      ]);
    },
  );
});
