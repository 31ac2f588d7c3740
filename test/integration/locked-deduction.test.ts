/**
 * The deduction under a kept ZooKeeper lock node: it computes from the balance it left instead
 * of reading it, and a remembered balance that turns out wrong costs a read, never a wrong grant.
 * Its commit records the batch's outcomes in the same step, and only when it succeeds.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { seededRng } from '../../shared/ledger/prng.js';
import { createLogger } from '../../shared/logging/logger.js';
import { lockedDeduction } from '../../worker/deductions.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { ZkFixture } from '../support/zk.js';

let redis: Redis;
let ledger: Ledger;
let outcomes: OutcomeLog;
const zk = new ZkFixture(testZkConnect());
const logger = createLogger('test', 'silent');

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis, seededRng(7));
  outcomes = new OutcomeLog(redis);
});
afterEach(() => zk.closeAll());
afterAll(() => redis.disconnect());

async function setUp(packets: number) {
  const campaignId = `kept-${randomUUID().slice(0, 8)}`;
  await ledger.createCampaign({
    id: campaignId,
    split: 'equal',
    pools: [{ id: 'p1', amountCents: packets * 100, packets }],
  });
  const deduct = lockedDeduction(zk.lock({ retainMs: 10_000 }), ledger, outcomes, seededRng(1), 5000, logger);
  const pool = { ...poolAddress((await ledger.getCampaign(campaignId))!, 'p1'), split: 'equal' as const };
  const grabs = (...users: string[]) => users.map((user) => ({ user, jobId: `${campaignId}.p1.${user}` }));
  return { campaignId, deduct, pool, grabs };
}

describe('lockedDeduction with a kept lock node', () => {
  it('reads the pool once, then computes from the balance it left', async () => {
    const { deduct, pool, grabs } = await setUp(10);
    const reads = vi.spyOn(ledger, 'readPool');
    await expect(deduct(pool, grabs('a'))).resolves.toEqual([{ outcome: 'granted', cents: 100 }]);
    await expect(deduct(pool, grabs('b', 'c'))).resolves.toEqual([
      { outcome: 'granted', cents: 100 },
      { outcome: 'granted', cents: 100 },
    ]);
    await expect(deduct(pool, grabs('d'))).resolves.toEqual([{ outcome: 'granted', cents: 100 }]);
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
    await expect(ledger.poolState(pool)).resolves.toMatchObject({
      remainingCents: 600,
      remainingPackets: 6,
      version: 3,
      // Each commit recorded its batch's outcomes in the same step.
      outcomes: { granted: 4 },
    });
  });

  it('a pool changed behind its back costs a read: the commit is refused as stale, then recomputed', async () => {
    const { deduct, pool, grabs } = await setUp(4);
    await deduct(pool, grabs('a'));
    const { token } = (await ledger.poolState(pool))!;
    // Another write under the same token (as a bug would make it): the remembered version is old.
    await expect(ledger.commitGrants(pool, token, 1, [{ user: 'x', cents: 100, jobId: 'x' }])).resolves.toMatchObject({
      status: 'ok',
    });
    const reads = vi.spyOn(ledger, 'readPool');
    await expect(deduct(pool, grabs('b', 'c', 'd'))).resolves.toEqual([
      { outcome: 'granted', cents: 100 },
      { outcome: 'granted', cents: 100 },
      { outcome: 'sold_out' },
    ]);
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
    // The refused commit recorded nothing: each grab is counted once.
    await expect(ledger.poolState(pool)).resolves.toMatchObject({
      remainingCents: 0,
      remainingPackets: 0,
      outcomes: { granted: 3, sold_out: 1 },
    });
  });

  it('a user who already holds a grant is found by the commit and gets it back, not a second packet', async () => {
    const { campaignId, deduct, pool, grabs } = await setUp(3);
    await deduct(pool, grabs('a'));
    // "a" again under another job id (delivered twice), in a batch computed without reading.
    const again = [{ user: 'a', jobId: `${campaignId}.p1.a.again` }, ...grabs('b')];
    await expect(deduct(pool, again)).resolves.toEqual([
      { outcome: 'duplicate', cents: 100 },
      { outcome: 'granted', cents: 100 },
    ]);
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ remainingCents: 100, remainingPackets: 1 });
  });

  it('a sold-out pool is read, so a redelivered grab still gets its own grant back', async () => {
    const { deduct, pool, grabs } = await setUp(1);
    await expect(deduct(pool, grabs('a'))).resolves.toEqual([{ outcome: 'granted', cents: 100 }]);
    await expect(deduct(pool, grabs('a', 'b'))).resolves.toEqual([
      { outcome: 'granted', cents: 100 },
      { outcome: 'sold_out' },
    ]);
  });
});
