/** What users got: the claim list in grant order, the luckiest grant per pool, `grab grant` and `grab claims`. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSpec } from '../../shared/campaign/spec.js';
import { GrantLookup, type Claim } from '../../shared/ledger/grant-lookup.js';
import { claimsKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress, type CampaignRecord, type GrantRequest } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { seededRng } from '../../shared/ledger/prng.js';
import { grabJobId } from '../../shared/queue/grab-job.js';
import { grab, grabFirstLine, startGrab } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';

const NOW = 1_700_000_000_000;
/** Grants are dated on the Redis server's clock. */
const grantTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

let redis: Redis;
let ledger: Ledger;
let outcomes: OutcomeLog;
let lookup: GrantLookup;
const created: string[] = [];

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis, seededRng(7));
  outcomes = new OutcomeLog(redis);
  lookup = new GrantLookup(redis);
});

afterAll(async () => {
  await Promise.all(created.map((id) => ledger.deleteCampaign(id)));
  redis.disconnect();
});

async function newCampaign(
  pools: CampaignSpec['pools'] = [{ id: 'p1', amountCents: 10_000, packets: 10 }],
  split: CampaignSpec['split'] = 'random',
): Promise<CampaignRecord> {
  const id = `look-${randomUUID().slice(0, 12)}`;
  created.push(id);
  await expect(ledger.createCampaign({ id, split, pools }, NOW)).resolves.toEqual({ status: 'created' });
  return (await ledger.getCampaign(id))!;
}

const grant = (user: string, cents: number): GrantRequest => ({ user, cents, jobId: `job-${user}` });

async function allClaims(record: CampaignRecord, poolId: string, pageSize?: number): Promise<Claim[]> {
  const claims: Claim[] = [];
  for await (const page of lookup.claims(poolAddress(record, poolId), pageSize)) claims.push(...page);
  return claims;
}

/** Commits batches one after another, as one lock holder would, each from the version the last left. */
async function commitBatches(record: CampaignRecord, poolId: string, batches: GrantRequest[][]) {
  const pool = poolAddress(record, poolId);
  for (const [version, batch] of batches.entries())
    await expect(ledger.commitGrants(pool, 1n, version, batch)).resolves.toEqual({
      status: 'ok',
      version: version + 1,
    });
}

describe('the claim list', () => {
  it('holds every grant in grant order across batches, streamed in pages', async () => {
    const record = await newCampaign([{ id: 'p1', amountCents: 10_000, packets: 10 }]);
    await commitBatches(record, 'p1', [
      [grant('carol', 30), grant('alice', 10)],
      [grant('bob', 20)],
      [grant('erin', 50), grant('dave', 40), grant('frank', 60)],
    ]);
    // A batch naming a user who holds a grant is refused whole and adds nothing to the list.
    await expect(
      ledger.commitGrants(poolAddress(record, 'p1'), 1n, 3, [grant('gina', 5), grant('bob', 5)]),
    ).resolves.toMatchObject({ status: 'held', user: 'bob' });
    const expected = [
      { user: 'carol', cents: 30, at: grantTime },
      { user: 'alice', cents: 10, at: grantTime },
      { user: 'bob', cents: 20, at: grantTime },
      { user: 'erin', cents: 50, at: grantTime },
      { user: 'dave', cents: 40, at: grantTime },
      { user: 'frank', cents: 60, at: grantTime },
    ];
    for (const pageSize of [1, 2, 4, 6, 1000])
      await expect(allClaims(record, 'p1', pageSize)).resolves.toEqual(expected);
    const pages: number[] = [];
    for await (const page of lookup.claims(poolAddress(record, 'p1'), 4)) pages.push(page.length);
    expect(pages).toEqual([4, 2]);
  });

  it('is kept by the lock-free grab too, and deleting the campaign removes it', async () => {
    const record = await newCampaign([{ id: 'p1', amountCents: 1000, packets: 3 }]);
    const pool = poolAddress(record, 'p1');
    for (const user of ['x', 'y', 'x', 'z', 'w']) await ledger.grabAtomic(pool, user, `job-${user}`);
    const claims = await allClaims(record, 'p1');
    expect(claims.map((c) => c.user)).toEqual(['x', 'y', 'z']);
    expect(claims.reduce((sum, c) => sum + c.cents, 0)).toBe(1000);
    expect(await redis.exists(claimsKey(pool))).toBe(1);
    await ledger.deleteCampaign(record.campaignId);
    expect(await redis.exists(claimsKey(pool))).toBe(0);
    await expect(allClaims(record, 'p1')).resolves.toEqual([]);
  });
});

describe('the luckiest grant (手气最佳)', () => {
  it('is the largest grant, and the earliest of equal ones, within a batch and across batches', async () => {
    const record = await newCampaign([{ id: 'p1', amountCents: 10_000, packets: 10 }]);
    const pool = poolAddress(record, 'p1');
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ luckiest: undefined });
    await commitBatches(record, 'p1', [
      [grant('a', 5), grant('b', 7), grant('c', 7)],
      [grant('d', 7), grant('e', 3)],
    ]);
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ luckiest: { user: 'b', cents: 7 } });
    await ledger.commitGrants(pool, 1n, 2, [grant('f', 6), grant('g', 8), grant('h', 8)]);
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ luckiest: { user: 'g', cents: 8 } });
  });

  it('is the first grant of an equal split, where every grant ties', async () => {
    const record = await newCampaign([{ id: 'p1', amountCents: 500, packets: 5 }], 'equal');
    const pool = poolAddress(record, 'p1');
    for (const user of ['first', 'second', 'third', 'fourth', 'fifth'])
      await expect(ledger.grabAtomic(pool, user, `job-${user}`)).resolves.toMatchObject({
        outcome: 'granted',
        grant: { cents: 100 },
      });
    await expect(ledger.poolState(pool)).resolves.toMatchObject({ luckiest: { user: 'first', cents: 100 } });
  });

  it('follows a random split: the largest grant, earliest first, in campaign show too', async () => {
    // 200 packets of a 1,000-cent pool: grants of 1 to 9 cents, so many tie for the largest.
    const record = await newCampaign(
      [
        { id: 'p1', amountCents: 1000, packets: 200 },
        { id: 'p2', amountCents: 1000, packets: 200 },
        { id: 'untouched', amountCents: 100, packets: 1 },
      ],
      'random',
    );
    for (const user of Array.from({ length: 200 }, (_, i) => `u${i}`))
      await ledger.grabAtomic(poolAddress(record, 'p1'), user, `job-${user}`);
    const claims = await allClaims(record, 'p1');
    const top = Math.max(...claims.map((c) => c.cents));
    const expected = { user: claims.find((c) => c.cents === top)!.user, cents: top };
    expect(claims.filter((c) => c.cents === top).length).toBeGreaterThan(1);
    await expect(ledger.poolState(poolAddress(record, 'p1'))).resolves.toMatchObject({ luckiest: expected });

    const shown = await grab(['campaign', 'show', '--id', record.campaignId]);
    expect(shown.code).toBe(0);
    const { pools } = JSON.parse(shown.stdout) as { pools: { pool: string; luckiest: unknown }[] };
    expect(pools.map((p) => [p.pool, p.luckiest])).toEqual([
      ['p1', expected],
      ['p2', null],
      ['untouched', null],
    ]);
  });
});

describe('grab grant', () => {
  /** 1,200 pools: the lookup reads them in more than one pipelined round. */
  const POOLS = 1200;
  let record: CampaignRecord;
  const at = (poolId: string) => poolAddress(record, poolId);
  const jobOf = (poolId: string, user: string) =>
    grabJobId({ campaign: record.campaignId, instance: record.instance, pool: poolId, user });

  beforeAll(async () => {
    record = await newCampaign(
      Array.from({ length: POOLS }, (_, i) => ({ id: `p${i + 1}`, amountCents: 100, packets: 1 })),
      'equal',
    );
    // ann: granted in p1 and p1200 (the last round), sold out in p600, pending in p700, failed in p800.
    const enqueued: [string, string][] = [
      ['p1', 'ann'],
      ['p1200', 'ann'],
      ['p600', 'ben'],
      ['p600', 'ann'],
      ['p700', 'ann'],
      ['p800', 'ann'],
    ];
    for (const [poolId, user] of enqueued) await outcomes.markEnqueued(at(poolId), [jobOf(poolId, user)]);
    for (const [poolId, user] of [
      ['p1', 'ann'],
      ['p1200', 'ann'],
      ['p600', 'ben'],
    ] as const) {
      await ledger.grabAtomic(at(poolId), user, jobOf(poolId, user));
      await outcomes.record(at(poolId), [{ jobId: jobOf(poolId, user), outcome: 'granted' }]);
    }
    await outcomes.record(at('p600'), [{ jobId: jobOf('p600', 'ann'), outcome: 'sold_out' }]);
    await outcomes.record(at('p800'), [{ jobId: jobOf('p800', 'ann'), outcome: 'failed', reason: 'boom' }]);
  });

  it('reads a user across every pool: grants, and the outcome of each grab', async () => {
    await expect(lookup.userLookup(record, 'ann')).resolves.toEqual({
      campaign: record.campaignId,
      instance: record.instance,
      user: 'ann',
      grants: [
        { pool: 'p1', cents: 100, at: grantTime },
        { pool: 'p1200', cents: 100, at: grantTime },
      ],
      outcomes: { p1: 'granted', p600: 'sold_out', p700: 'pending', p800: 'failed', p1200: 'granted' },
    });
  });

  it('--json prints the lookup; the human output is short', async () => {
    const json = await grab(['grant', '--campaign', record.campaignId, '--user', 'ann', '--json']);
    expect(json.code).toBe(0);
    const found = await lookup.userLookup(record, 'ann');
    expect(JSON.parse(json.stdout)).toEqual(found);
    const human = await grab(['grant', '--campaign', record.campaignId, '--user', 'ann']);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(
      [
        `user ann in campaign ${record.campaignId}: 2 grants, 200 cents in total`,
        `  pool p1: 100 cents at ${found.grants[0]!.at}`,
        `  pool p1200: 100 cents at ${found.grants[1]!.at}`,
        'grabs: p1 granted, p600 sold_out, p700 pending, p800 failed, p1200 granted',
        '',
      ].join('\n'),
    );
  });

  it('a user with nothing gets empty grants and exit 0; an unknown campaign exits 1', async () => {
    const none = await grab(['grant', '--campaign', record.campaignId, '--user', '12345', '--json']);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ user: '12345', grants: [], outcomes: {} });
    const human = await grab(['grant', '--campaign', record.campaignId, '--user', 'nobody']);
    expect(human.stdout).toBe(`user nobody in campaign ${record.campaignId}: no grants\nno grabs recorded\n`);
    const unknown = await grab(['grant', '--campaign', 'no-such-campaign-here', '--user', 'ann']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no campaign "no-such-campaign-here"');
  });
});

describe('grab claims', () => {
  it('streams a pool in grant order as NDJSON', async () => {
    const record = await newCampaign([{ id: 'p1', amountCents: 10_000, packets: 10 }]);
    await commitBatches(record, 'p1', [[grant('zed', 40), grant('amy', 60)], [grant('max', 10)]]);
    const r = await grab(['claims', '--campaign', record.campaignId, '--pool', 'p1']);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(
      [
        ['zed', 40],
        ['amy', 60],
        ['max', 10],
      ].map(([user, cents]) => ({ campaign: record.campaignId, pool: 'p1', user, cents, at: grantTime })),
    );
    const unknownPool = await grab(['claims', '--campaign', record.campaignId, '--pool', 'p2']);
    expect(unknownPool.code).toBe(1);
    expect(unknownPool.stderr).toContain('has no pool "p2"');
  });

  it('ends quietly with exit 0 when its reader closes after the first line', async () => {
    // 20,000 claims: far more than a pipe's buffer, so the command is still writing when the reader goes.
    const record = await newCampaign([{ id: 'p1', amountCents: 20_000, packets: 20_000 }], 'equal');
    await commitBatches(
      record,
      'p1',
      Array.from({ length: 20 }, (_, b) => Array.from({ length: 1000 }, (_, i) => grant(`u${b * 1000 + i}`, 1))),
    );
    const r = await grabFirstLine(['claims', '--campaign', record.campaignId, '--pool', 'p1']);
    expect(JSON.parse(r.firstLine)).toMatchObject({ pool: 'p1', user: 'u0', cents: 1 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.exitMs).toBeLessThan(5000);
  });
});

describe('bad input', () => {
  it.each([
    [['grant', '--campaign', 'c1', '--user', 'a.b'], /--user/],
    [['grant', '--campaign', 'c1', '--user', 'x'.repeat(65)], /--user/],
    [['grant', '--campaign', 'c1'], /--user/],
    [['grant', '--campaign', 'a:b', '--user', 'u1'], /--campaign/],
    [['claims', '--campaign', 'c1', '--pool', '123'], /--pool/],
    [['claims', '--campaign', 'c1'], /--pool/],
    [['claims', '--pool', 'p1'], /--campaign/],
  ])('%j exits 2 naming the flag', async (args, flag) => {
    const r = await grab(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(flag);
    expect(r.stdout).toBe('');
  });
});

describe('through a real worker', () => {
  it('a settled campaign lists every grant in its claims, with the luckiest among them', async () => {
    const record = await newCampaign([
      { id: 'p1', amountCents: 5000, packets: 50 },
      { id: 'p2', amountCents: 5000, packets: 50 },
    ]);
    const id = record.campaignId;
    const env = { GRAB_QUEUE: `lookup-${randomUUID().slice(0, 8)}` };
    expect((await grab(['produce', '--campaign', id, '--users', '300'], env)).code).toBe(0);
    const worker = startGrab(['work', '--lock', 'zk', '--max-batch', '16'], env);
    try {
      expect((await grab(['wait', '--campaign', id, '--timeout', '120'], env)).code).toBe(0);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
    for (const poolId of ['p1', 'p2']) {
      const claims = (await grab(['claims', '--campaign', id, '--pool', poolId])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { user: string; cents: number });
      expect(claims).toHaveLength(50);
      expect(claims.reduce((sum, c) => sum + c.cents, 0)).toBe(5000);
      const top = Math.max(...claims.map((c) => c.cents));
      const state = await ledger.poolState(poolAddress(record, poolId));
      expect(state?.luckiest).toEqual({ user: claims.find((c) => c.cents === top)!.user, cents: top });
      const winner = await grab(['grant', '--campaign', id, '--user', claims[0]!.user, '--json']);
      expect(JSON.parse(winner.stdout)).toMatchObject({
        grants: [{ pool: poolId, cents: claims[0]!.cents }],
        outcomes: { [poolId]: 'granted' },
      });
    }
  }, 150_000);
});
