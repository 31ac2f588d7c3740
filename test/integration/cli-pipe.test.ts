/** `grab ... | head -1`: a reader that stops early ends the command quietly, with exit 0. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { grabFirstLine } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';

// Both outputs are far larger than a pipe's buffer (64 KiB), so the command is still writing when the reader goes.
const GRANTS = 20_000;
const LISTED_CAMPAIGNS = 1500;

const tag = randomUUID().slice(0, 8);
const exported = `pipe-export-${tag}`;
/** 64 characters each, the longest id allowed. */
const listed = Array.from({ length: LISTED_CAMPAIGNS }, (_, i) => `pipe-list-${tag}-${String(i).padStart(45, '0')}`);

let redis: Redis;
let ledger: Ledger;

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis);
  await ledger.createCampaign({
    id: exported,
    split: 'equal',
    pools: [{ id: 'p1', amountCents: GRANTS, packets: GRANTS }],
  });
  const pool = poolAddress((await ledger.getCampaign(exported))!, 'p1');
  for (let version = 0; version * 1000 < GRANTS; version++) {
    const grants = Array.from({ length: 1000 }, (_, i) => ({
      user: `u${version * 1000 + i}`,
      cents: 1,
      jobId: `job-${version * 1000 + i}`,
    }));
    await expect(ledger.commitGrants(pool, 1n, version, grants)).resolves.toMatchObject({ status: 'ok' });
  }
  await Promise.all(
    listed.map((id) =>
      ledger.createCampaign({ id, split: 'equal', pools: [{ id: 'p1', amountCents: 1, packets: 1 }] }),
    ),
  );
});

afterAll(async () => {
  await Promise.all([exported, ...listed].map((id) => ledger.deleteCampaign(id)));
  redis.disconnect();
});

describe('grab writing into a pipe whose reader closes after the first line', () => {
  it('export stops at once and exits 0, with nothing on stderr', async () => {
    const r = await grabFirstLine(['export', '--campaign', exported]);
    expect(JSON.parse(r.firstLine)).toMatchObject({ campaign: exported, pool: 'p1', cents: 1 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.exitMs).toBeLessThan(5000);
  });

  it('campaign list exits 0, with nothing on stderr', async () => {
    const r = await grabFirstLine(['campaign', 'list']);
    expect(r.firstLine).not.toBe('');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
