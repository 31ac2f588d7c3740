/**
 * An operator's ordinary actions on a live campaign, each against real processes: after every
 * one, each enqueued grab ends in exactly one recorded outcome, and the counts add up.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { poolKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { grab, startGrab, campaignCreateArgs } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';
import { eventually } from '../support/async.js';

// Each test runs several CLI processes one after another; on a loaded machine each takes seconds.
vi.setConfig({ testTimeout: 180_000 });

const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'grab-operator-'));
/** A queue of this file's own, so no other test's worker takes these grabs. */
const env = { GRAB_QUEUE: `ops-${randomUUID().slice(0, 8)}` };

let redis: Redis;
let ledger: Ledger;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis);
});
afterAll(() => redis.disconnect());

const run = (args: string[], extra: Record<string, string> = {}) => grab(args, { ...env, ...extra });
const work = (args: string[] = []) => startGrab(['work', '--concurrency', '20', ...args], env);

async function report(campaign: string): Promise<{ code: number | null; report: CampaignReport }> {
  const result = await run(['report', '--campaign', campaign, '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as CampaignReport };
}

function usersFile(name: string, users: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${users.join('\n')}\n`);
  return path;
}

async function create(id: string, pools = 1, packets = 100) {
  const created = await run(campaignCreateArgs(id, pools, packets, '--amount-cents', String(packets * 100)));
  expect(created.code, created.stderr).toBe(0);
}

async function settle(id: string) {
  const waited = await run(['wait', '--campaign', id, '--timeout', '60']);
  expect(waited.code, waited.stderr).toBe(0);
  const { code, report: r } = await report(id);
  expect(r.violations).toEqual([]);
  expect(code).toBe(0);
  return r;
}

describe('grabs are counted exactly, however they are enqueued', () => {
  it('a users file with repeated lines: a grab per line, one grant per user, the repeats duplicate', async () => {
    const id = newId('dups');
    await create(id);
    const produced = await run([
      'produce',
      '--campaign',
      id,
      '--users-file',
      usersFile('dups.txt', ['alice', 'bob', 'alice', 'carol', 'bob']),
    ]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/^enqueued 5 new grabs for [^;]*\n$/);
    const worker = work();
    try {
      const r = await settle(id);
      expect(r.jobs).toEqual({ enqueued: 5, finished: 5, pending: 0 });
      expect(r.outcomes).toMatchObject({ granted: 3, duplicate: 2 });
    } finally {
      await worker.stop();
    }
  });

  it('several produce runs add up, a repeated run adds nothing, and wait waits for all of them', async () => {
    const id = newId('runs');
    await create(id, 4, 50);
    expect(
      (await run(['produce', '--campaign', id, '--users-file', usersFile('a.txt', ['a1', 'a2', 'a3'])])).code,
    ).toBe(0);
    expect((await run(['produce', '--campaign', id, '--users-file', usersFile('b.txt', ['b1', 'b2'])])).code).toBe(0);
    expect((await run(['produce', '--campaign', id, '--users-file', join(dir, 'a.txt')])).stdout).toMatch(
      /enqueued 0 new grabs/,
    );
    // Another distribution sends some users to other pools: those are new grabs.
    const other = await run(['produce', '--campaign', id, '--users', '40', '--distribution', 'hot']);
    const added = Number(/enqueued (\d+) new/.exec(other.stdout)?.[1]);
    expect(added).toBeGreaterThan(0);
    // No worker yet: nothing may look settled.
    const early = await run(['wait', '--campaign', id, '--timeout', '1']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`${5 + added} of ${5 + added} grabs still pending`));
    const worker = work();
    try {
      const r = await settle(id);
      expect(r.jobs).toEqual({ enqueued: 5 + added, finished: 5 + added, pending: 0 });
    } finally {
      await worker.stop();
    }
  });

  it('a first run with many chunks in flight at once calls every grab new', async () => {
    const id = newId('in-flight');
    await create(id, 4, 50);
    const produced = await run(['produce', '--campaign', id, '--users', '4000', '--chunk', '100', '--in-flight', '8']);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/^enqueued 4000 new grabs/);
    expect((await run(['campaign', 'delete', '--id', id, '--force'])).code).toBe(0);
  });
});

describe('delete and re-create under the same id', () => {
  it(
    "the new campaign's grabs all settle, under a worker that saw the old " +
      'one, and nothing of the old one leaks into it',
    async () => {
      const id = newId('again');
      const worker = work();
      try {
        await create(id, 2, 50);
        expect((await run(['produce', '--campaign', id, '--users', '100'])).code).toBe(0);
        const first = await settle(id);
        expect(first.jobs.enqueued).toBe(100);
        const deleted = await run(['campaign', 'delete', '--id', id]);
        expect(deleted.code, deleted.stderr).toBe(0);
        expect(deleted.stdout).toMatch(/deleted campaign .* and \d+ of its jobs/);

        // Same id, other pools, the same users: the old finished jobs must not swallow the new grabs.
        const spec = join(dir, `${id}.json`);
        writeFileSync(
          spec,
          JSON.stringify({
            id,
            split: 'equal',
            pools: [
              { id: 'red', amount: '10.00', packets: 60 },
              { id: 'gold', amount: '10.00', packets: 60 },
            ],
          }),
        );
        expect((await run(['campaign', 'create', '--file', spec])).code).toBe(0);
        expect((await run(['produce', '--campaign', id, '--users', '200'])).code).toBe(0);
        const second = await settle(id);
        expect(second.jobs).toEqual({ enqueued: 200, finished: 200, pending: 0 });
        expect(second.outcomes).toMatchObject({ granted: 120, sold_out: 80, rejected: 0, failed: 0 });
      } finally {
        await worker.stop();
      }
    },
  );

  it('a forced delete mid-campaign: the running worker drops the old grabs and writes nothing back', async () => {
    const id = newId('forced');
    await create(id, 1, 15_000);
    expect((await run(['produce', '--campaign', id, '--users', '12000'])).code).toBe(0);
    const oldRecord = (await ledger.getCampaign(id))!;
    const old = oldRecord.instance;
    const worker = work();
    try {
      // Stopped mid-campaign, with grabs in flight and others still queued, however fast it is.
      const outcomes = new OutcomeLog(redis);
      await eventually(
        async () => (await outcomes.progress(oldRecord, oldRecord.stripes)).finished > 0,
        30_000,
        'the worker to settle a first grab',
      );
      worker.child.kill('SIGSTOP');
      expect((await run(['campaign', 'delete', '--id', id])).code).toBe(1); // pending grabs: refused
      expect((await run(['campaign', 'delete', '--id', id, '--force'])).code).toBe(0);
      worker.child.kill('SIGCONT');
      await create(id, 1, 10);
      const record = (await ledger.getCampaign(id))!;
      // Whatever the worker still had in flight belongs to the old instance.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const progress = await run(['campaign', 'show', '--id', id]);
      expect(JSON.parse(progress.stdout)).toMatchObject({
        instance: record.instance,
        grabs: { enqueued: 0, pending: 0, finished: 0 },
      });
      expect(await redis.keys(`grab:*{${id}@${old}*`)).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});

describe('failed grabs', () => {
  it(
    'a grab that fails its last attempt is recorded failed with its ' + 'reason, listed, and re-driven to an outcome',
    async () => {
      const id = newId('fail');
      await create(id, 1, 10);
      const pool = poolKey(poolAddress((await ledger.getCampaign(id))!, 'p1'));
      // A broken pool: every grab of it errors, attempt after attempt.
      await redis.hset(pool, 'split', 'broken');
      expect(
        (await run(['produce', '--campaign', id, '--users', '20', '--attempts', '2', '--backoff-ms', '10'])).code,
      ).toBe(0);
      const worker = work(['--lock', 'atomic']);
      try {
        const waited = await run(['wait', '--campaign', id, '--timeout', '60']);
        expect(waited.code).toBe(1);
        expect(waited.stderr).toMatch(/20 failed.*grab redrive/);
        const { code, report: r } = await report(id);
        expect(code).toBe(1);
        expect(r.outcomes.failed).toBe(20);
        expect(r.jobs).toEqual({ enqueued: 20, finished: 20, pending: 0 });
        expect(r.failed).toHaveLength(20);
        expect(r.failed[0]!.reason).toMatch(/unknown split/);
        const text = await run(['report', '--campaign', id]);
        expect(text.stdout).toMatch(/FAILED grabs, re-drive them with grab redrive/);

        await redis.hset(pool, 'split', 'random');
        const redriven = await run(['redrive', '--campaign', id]);
        expect(redriven.code, redriven.stderr).toBe(0);
        expect(redriven.stdout).toMatch(/re-drove 20 failed grabs/);
        const settled = await settle(id);
        expect(settled.outcomes).toMatchObject({ granted: 10, sold_out: 10, failed: 0 });
        expect(settled.failed).toEqual([]);
      } finally {
        await worker.stop();
      }
    },
  );
});

describe('switching the lock strategy of a live campaign', () => {
  it(
    'a worker of another lock family is refused at start while the ' + 'campaign has pending grabs, with a clear error',
    async () => {
      const id = newId('switch');
      await create(id, 1, 100);
      expect((await run(['produce', '--campaign', id, '--users', '20'])).code).toBe(0);
      const zk = work(['--lock', 'zk']);
      try {
        await settle(id);
      } finally {
        await zk.stop();
      }
      expect((await run(['produce', '--campaign', id, '--users', '40'])).code).toBe(0);
      const refused = await run(['work', '--lock', 'redis']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        new RegExp(
          `refusing to start with --lock redis on queue "${env.GRAB_QUEUE}": campaign ` +
            `"${id}" \\(--lock zk, 20 grabs pending\\)`,
        ),
      );
      const fleet = await run(['fleet', '--workers', '1', '--lock', 'redis']);
      expect(fleet.code).toBe(2);
      const again = work(['--lock', 'zk-herd']); // the same family: its tokens compare
      try {
        const r = await settle(id);
        expect(r.outcomes).toMatchObject({ granted: 40, failed: 0 });
      } finally {
        await again.stop();
      }
    },
  );
});

describe('operator commands load Redis boundedly', () => {
  const commandCalls = async () => {
    const stats = await redis.info('commandstats');
    return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('grab wait polls a few stripe counters, however many pools the campaign has', async () => {
    const id = newId('wide');
    await create(id, 2000, 1);
    expect((await run(['produce', '--campaign', id, '--users', '4000'])).code).toBe(0);
    const before = await commandCalls();
    const waited = await run(['wait', '--campaign', id, '--timeout', '2']);
    const calls = (await commandCalls()) - before;
    expect(waited.code).toBe(1);
    // About 8 polls of 16 stripes each; one read per pool per poll would be 16,000.
    expect(calls).toBeLessThan(400);
    expect((await run(['campaign', 'delete', '--id', id, '--force'])).code).toBe(0);
  });
});
