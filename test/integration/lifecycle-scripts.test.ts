import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaignSpec, type CampaignSpec } from '../../shared/campaign/spec.js';
import { poolKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress, poolAddresses, type CampaignRecord } from '../../shared/ledger/ledger-types.js';
import { CampaignLifecycle, redisNowMs } from '../../shared/ledger/lifecycle.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { seededRng } from '../../shared/ledger/prng.js';
import { testRedisUrl } from '../support/env.js';

let redis: Redis;
let ledger: Ledger;
let lifecycle: CampaignLifecycle;
let outcomes: OutcomeLog;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis, seededRng(11));
  lifecycle = new CampaignLifecycle(redis);
  outcomes = new OutcomeLog(redis);
});

afterAll(async () => {
  await redis.quit();
});

async function newCampaign(extra: Partial<CampaignSpec> = {}, pools = 2): Promise<CampaignRecord> {
  const spec: CampaignSpec = {
    id: `lc-${randomUUID()}`,
    split: 'equal',
    pools: Array.from({ length: pools }, (_, i) => ({ id: `p${i + 1}`, amountCents: 1000, packets: 10 })),
    ...extra,
  };
  await ledger.createCampaign(spec);
  return (await ledger.getCampaign(spec.id))!;
}

const waitUntilRedis = async (ms: number) => {
  while ((await redisNowMs(redis)) < ms) await new Promise((r) => setTimeout(r, 20));
};

describe('an expiry in the spec', () => {
  it('becomes an instant on the Redis clock, kept on the campaign and every pool', async () => {
    const before = await redisNowMs(redis);
    const { expiry } = parseCampaignSpec({
      id: 'x',
      pools: [{ id: 'p1', amountCents: 10, packets: 1 }],
      expiresIn: '90m',
    });
    expect(expiry).toEqual({ inMs: 90 * 60_000 });
    const record = await newCampaign({ expiry: expiry! });
    expect(record.expiresAtMs).toBeGreaterThanOrEqual(before + 90 * 60_000);
    expect(record.expiresAtMs).toBeLessThan(before + 90 * 60_000 + 5000);
    const [pool] = await ledger.poolStates([poolAddress(record, 'p1')]);
    expect(pool).toMatchObject({ expiresAtMs: record.expiresAtMs, state: 'open', refundedCents: 0 });
  });
});

describe('set-campaign-state.lua and set-pool-state.lua', () => {
  it('close: records the campaign first, refunds every pool once, and refuses grants from then on', async () => {
    const record = await newCampaign();
    const p1 = poolAddress(record, 'p1');
    await ledger.commitGrants(p1, 1n, 0, [{ user: 'u1', cents: 100, jobId: 'j1' }]);
    const closed = await lifecycle.change(record, 'closed');
    expect(closed).toMatchObject({ status: 'changed', state: 'closed', done: true });
    expect(closed!.refunds.map((r) => [r.pool, r.cents, r.packets]).sort()).toEqual([
      ['p1', 900, 9],
      ['p2', 1000, 10],
    ]);
    expect(closed!.refunds[0]!.closedAtMs).toBe(closed!.refunds[0]!.atMs);
    const [state] = await ledger.poolStates([p1]);
    expect(state).toMatchObject({ state: 'closed', remainingCents: 0, remainingPackets: 0, refundedCents: 900 });
    expect(state!.closedAtMs).toBeGreaterThanOrEqual(closed!.atMs!);

    // At most once: again, concurrently, nothing more is refunded.
    const again = await Promise.all([lifecycle.change(record, 'closed'), lifecycle.change(record, 'closed')]);
    expect(again.map((c) => [c!.status, c!.refunds.length])).toEqual([
      ['unchanged', 0],
      ['unchanged', 0],
    ]);
    await expect(lifecycle.setPoolState(p1, 'closed', 99)).resolves.toMatchObject({
      status: 'final',
      refund: { cents: 900, packets: 9 },
    });

    // Every grant script refuses; admission settles as expired, and a holder keeps the grant.
    await expect(ledger.commitGrants(p1, 2n, state!.version, [{ user: 'u2', cents: 1, jobId: 'j2' }])).resolves.toEqual(
      {
        status: 'expired',
      },
    );
    await expect(ledger.grabAtomic(p1, 'u3', 'j3')).resolves.toEqual({ outcome: 'expired' });
    await expect(ledger.readPool(p1, [])).resolves.toMatchObject({ closed: true });
    await expect(
      ledger.admit(
        p1,
        [
          { user: 'u1', jobId: 'j1' },
          { user: 'u4', jobId: 'j4' },
        ],
        { enqueue: false },
      ),
    ).resolves.toEqual({
      decision: 'settled',
      why: 'expired',
      added: 0,
      results: [{ outcome: 'granted', cents: 100 }, { outcome: 'expired' }],
    });
    const progress = await outcomes.progress(record, record.stripes);
    expect(progress.outcomes).toMatchObject({ granted: 1, expired: 1 });
  });

  it('pause and resume: a paused pool waits at admission and at commit; resume opens it; closed is final', async () => {
    const record = await newCampaign();
    const p1 = poolAddress(record, 'p1');
    await expect(lifecycle.change(record, 'paused')).resolves.toMatchObject({
      status: 'changed',
      state: 'paused',
      done: true,
    });
    await expect(ledger.admit(p1, [{ user: 'u1', jobId: 'j1' }], { enqueue: false })).resolves.toEqual({
      decision: 'wait',
    });
    await expect(ledger.commitGrants(p1, 1n, 0, [{ user: 'u1', cents: 1, jobId: 'j1' }])).resolves.toEqual({
      status: 'paused',
    });
    await expect(ledger.grabAtomic(p1, 'u1', 'j1')).resolves.toEqual({ outcome: 'paused' });
    await expect(lifecycle.change(record, 'paused')).resolves.toMatchObject({ status: 'unchanged' });
    await expect(lifecycle.change(record, 'open')).resolves.toMatchObject({ status: 'changed', state: 'open' });
    await expect(ledger.admit(p1, [{ user: 'u1', jobId: 'j1' }], { enqueue: false })).resolves.toEqual({
      decision: 'proceed',
    });
    await lifecycle.change(record, 'closed');
    await expect(lifecycle.change(record, 'open')).resolves.toMatchObject({ status: 'refused', state: 'closed' });
    await expect(lifecycle.change(record, 'paused')).resolves.toMatchObject({ status: 'refused', state: 'closed' });
  });

  it('a stale pause cannot undo a later resume, and a change cut short is finished by running it again', async () => {
    const record = await newCampaign();
    const [p1, p2] = poolAddresses(record);
    const paused = (await lifecycle.recordState(record, 'paused'))!;
    expect(paused.done).toBe(false);
    // Cut short: only p1 paused.
    await lifecycle.setPoolState(p1!, 'paused', paused.seq);
    const resumed = (await lifecycle.change(record, 'open'))!;
    expect(resumed).toMatchObject({ status: 'changed', state: 'open', done: true });
    // A sweep that read the pause before the resume comes late: refused as stale.
    await expect(lifecycle.setPoolState(p2!, 'paused', paused.seq)).resolves.toEqual({
      status: 'stale',
      state: 'open',
    });
    await expect(lifecycle.finish(record, paused.seq)).resolves.toBe(false);
    expect((await ledger.poolStates([p1!, p2!])).map((s) => s!.state)).toEqual(['open', 'open']);

    const closing = (await lifecycle.recordState(record, 'closed'))!;
    await lifecycle.setPoolState(p1!, 'closed', closing.seq);
    // Crashed here. Running the close again finishes p2 and refunds p1 no second time.
    const finished = (await lifecycle.change(record, 'closed'))!;
    expect(finished).toMatchObject({ status: 'unchanged', done: true });
    expect(finished.refunds.map((r) => r.pool)).toEqual(['p2']);
  });

  it('expiry: refused before the instant on the Redis clock; after it, any change records expired first', async () => {
    const record = await newCampaign({ expiry: { inMs: 1000 } });
    await expect(lifecycle.change(record, 'expired')).resolves.toMatchObject({ status: 'not_due', state: 'open' });
    await expect(lifecycle.setPoolState(poolAddress(record, 'p1'), 'expired', 1)).resolves.toEqual({
      status: 'not_due',
    });
    await waitUntilRedis(record.expiresAtMs!);
    // Past the instant, before any sweep: the grant scripts already refuse.
    await expect(ledger.grabAtomic(poolAddress(record, 'p1'), 'u', 'j')).resolves.toEqual({
      outcome: 'expired',
    });
    const change = (await lifecycle.change(record, 'paused'))!;
    expect(change).toMatchObject({ status: 'refused', state: 'expired', atMs: record.expiresAtMs, done: true });
    expect(change.refunds.map((r) => [r.pool, r.cents, r.closedAtMs])).toEqual([
      ['p1', 1000, record.expiresAtMs],
      ['p2', 1000, record.expiresAtMs],
    ]);
    await expect(redis.hget(poolKey(poolAddress(record, 'p2')), 'state')).resolves.toBe('expired');
  });
});
