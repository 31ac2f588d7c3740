import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSpec } from '../../shared/campaign/spec.js';
import { poolKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress, type CampaignRecord } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { seededRng } from '../../shared/ledger/prng.js';
import { testRedisUrl } from '../support/env.js';

let redis: Redis;
let ledger: Ledger;
let outcomes: OutcomeLog;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis, seededRng(7));
  outcomes = new OutcomeLog(redis);
});

afterAll(async () => {
  await redis.quit();
});

async function newCampaign(packets: number): Promise<CampaignRecord> {
  const spec: CampaignSpec = {
    id: `adm-${randomUUID()}`,
    split: 'equal',
    pools: [{ id: 'p1', amountCents: 1000, packets }],
  };
  await ledger.createCampaign(spec);
  return (await ledger.getCampaign(spec.id))!;
}

const grab = (user: string, jobId = `job-${user}`) => ({ user, jobId });

describe('admit.lua', () => {
  it('says proceed for an open pool with packets left, and writes nothing', async () => {
    const record = await newCampaign(2);
    const pool = poolAddress(record, 'p1');
    await expect(ledger.admit(pool, [grab('u1')], { enqueue: false })).resolves.toEqual({ decision: 'proceed' });
    await expect(outcomes.progress(record, record.stripes)).resolves.toMatchObject({ enqueued: 0 });
  });

  it('settles the grabs of a sold-out pool at once: holders get their grant back, the rest sold_out', async () => {
    const record = await newCampaign(2);
    const pool = poolAddress(record, 'p1');
    await outcomes.markEnqueued(pool, ['job-u1', 'job-u2', 'job-u3', 'other-u1']);
    const commit = await ledger.commitGrants(pool, 1n, 0, [
      { user: 'u1', cents: 500, jobId: 'job-u1' },
      { user: 'u2', cents: 500, jobId: 'job-u2' },
    ]);
    expect(commit.status).toBe('ok');
    await outcomes.record(pool, [
      { jobId: 'job-u1', outcome: 'granted' },
      { jobId: 'job-u2', outcome: 'granted' },
    ]);
    await expect(redis.hget(poolKey(pool), 'sold_out')).resolves.toBe('1');

    const admission = await ledger.admit(pool, [grab('u1'), grab('u3'), grab('u1', 'other-u1')], { enqueue: false });
    expect(admission).toEqual({
      decision: 'settled',
      why: 'sold_out',
      added: 0,
      results: [{ outcome: 'granted', cents: 500 }, { outcome: 'sold_out' }, { outcome: 'duplicate', cents: 500 }],
    });
    const progress = await outcomes.progress(record, record.stripes);
    expect(progress).toMatchObject({ enqueued: 4, pending: 0 });
    expect(progress.outcomes).toMatchObject({ granted: 2, sold_out: 1, duplicate: 1 });
    // A redelivery settles nothing twice.
    await ledger.admit(pool, [grab('u3'), grab('u1', 'other-u1')], { enqueue: false });
    await expect(outcomes.progress(record, record.stripes)).resolves.toMatchObject({
      enqueued: 4,
      outcomes: { granted: 2, sold_out: 1, duplicate: 1 },
    });
  });

  it('with enqueue: true counts grabs that were never enqueued as enqueued and settled, once', async () => {
    const record = await newCampaign(1);
    const pool = poolAddress(record, 'p1');
    await ledger.grabAtomic(pool, 'winner', 'job-winner');
    await expect(ledger.admit(pool, [grab('a'), grab('b')], { enqueue: true })).resolves.toMatchObject({
      decision: 'settled',
      why: 'sold_out',
      added: 2,
    });
    await expect(ledger.admit(pool, [grab('a'), grab('c')], { enqueue: true })).resolves.toMatchObject({ added: 1 });
    const progress = await outcomes.progress(record, record.stripes);
    expect(progress).toMatchObject({ enqueued: 3, pending: 0, finished: 3 });
    expect(progress.outcomes.sold_out).toBe(3);
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ pending: 0, outcomes: { sold_out: 3 } });
  });

  it('refuses a pool that does not exist', async () => {
    const record = await newCampaign(1);
    await expect(ledger.admit(poolAddress(record, 'nope'), [grab('a')], { enqueue: false })).rejects.toThrow(
      /has no pool "nope"/,
    );
  });
});
