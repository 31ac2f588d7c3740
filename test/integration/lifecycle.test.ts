/**
 * Closing, pausing and resuming a live campaign, against real Redis, ZooKeeper and worker
 * processes: nothing is granted after a pool's close instant, each pool is refunded once, the
 * refunds in the export agree with the report, and paused grabs wait (whatever their attempts
 * budget) and settle after the resume.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { CampaignLifecycle } from '../../shared/ledger/lifecycle.js';
import {
  closeCampaign,
  pauseCampaign,
  resumeCampaign,
  type LifecycleServices,
} from '../../shared/ledger/campaign-lifecycle.js';
import { checkEvidence, parseExport, type ExportedRefund } from '../support/chaos-checker.js';
import { campaignCreateArgs, grab, startGrab } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';
import { eventually, sleep } from '../support/async.js';

vi.setConfig({ testTimeout: 60_000 });

const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;
/** A queue of this file's own, so no other test's worker takes these grabs. */
const env = { GRAB_QUEUE: `life-${randomUUID().slice(0, 8)}` };

let redis: Redis;
let ledger: Ledger;
let outcomes: OutcomeLog;
let services: LifecycleServices;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  ledger = new Ledger(redis);
  outcomes = new OutcomeLog(redis);
  services = { ledger, lifecycle: new CampaignLifecycle(redis) };
});
afterAll(() => redis.disconnect());

const run = (args: string[]) => grab(args, env);
const work = (args: string[] = []) => startGrab(['work', '--concurrency', '20', ...args], env);
/** One grab through a fresh worker: from then on it is consuming. */
async function warmUp(id: string) {
  expect((await run(['produce', '--campaign', id, '--users', '1'])).code).toBe(0);
  await eventually(async () => (await progressOf(id)).finished >= 1, 30_000, 'the worker to settle a first grab');
}

/** Enqueues in the background at a steady rate, so grabs are still arriving when the operator acts. */
const produceSlowly = (id: string, users: number, rate: number, extra: string[] = []) =>
  startGrab(
    ['produce', '--campaign', id, '--users', String(users), '--rate', String(rate), '--chunk', '20', ...extra],
    env,
  );

async function create(id: string, pools: number, packets: number) {
  const created = await run(campaignCreateArgs(id, pools, packets, '--amount-cents', String(packets * 100)));
  expect(created.code, created.stderr).toBe(0);
}

async function progressOf(id: string) {
  const record = (await ledger.getCampaign(id))!;
  return outcomes.progress(record, record.stripes);
}

async function audit(id: string) {
  const reported = await run(['report', '--campaign', id, '--json']);
  const report = JSON.parse(reported.stdout) as CampaignReport;
  const grants = parseExport((await run(['export', '--campaign', id])).stdout);
  const refunds = parseExport<ExportedRefund>((await run(['export', '--campaign', id, '--refunds'])).stdout);
  return { code: reported.code, report, grants, refunds };
}

describe('grab campaign close', () => {
  it('closes mid-campaign with grabs in flight: none granted after the close, each pool refunded once', async () => {
    const id = newId('close');
    const GRABS = 1500;
    await create(id, 4, 2000);
    const worker = work();
    try {
      await warmUp(id);
      const producer = produceSlowly(id, GRABS, 500);
      await eventually(async () => (await progressOf(id)).finished >= 100, 30_000, 'the first grabs to settle');
      // Through the producer's function (the one the CLI and the HTTP API call), while grabs arrive.
      const result = await closeCampaign(services, id);
      expect(result).toMatchObject({ state: 'closed', changed: true });
      expect(result.refunds).toHaveLength(4);
      expect(await producer.exited, producer.output()).toBe(0);
      expect((await run(['wait', '--campaign', id, '--timeout', '45'])).code).toBe(0);
    } finally {
      await worker.stop();
    }
    const { code, report, grants, refunds } = await audit(id);
    expect(report.violations).toEqual([]);
    expect(code).toBe(0);
    expect(report.state).toBe('closed');
    expect(report.outcomes.expired).toBeGreaterThan(0);
    expect(report.outcomes.granted + report.outcomes.expired).toBe(GRABS);
    // The checker's invariants: granted + refunded + remaining = total, nothing left, refunds as reported.
    expect(checkEvidence({ report, grants, refunds, lockNodes: [], expectedGrabs: GRABS })).toEqual([]);
    expect(refunds).toHaveLength(4);
    const closedAt = new Map(refunds.map((r) => [r.pool, Date.parse(r.at)]));
    for (const g of grants) expect(Date.parse(g.at!)).toBeLessThanOrEqual(closedAt.get(g.pool)!);
    for (const p of report.pools) {
      expect(p.remainingCents).toBe(0);
      expect(p.grantedCents + p.refundedCents).toBe(p.totalCents);
      expect(p.packetsGranted + p.refundedPackets).toBe(p.packets);
    }

    // Again: idempotent, and says so; the refunds stay as they were.
    const again = await run(['campaign', 'close', '--id', id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`campaign ${id} was already closed at .*; nothing changed`));
    expect((await run(['export', '--campaign', id, '--refunds'])).stdout).toBe(
      refunds.map((r) => `${JSON.stringify(r)}\n`).join(''),
    );
    const resumed = await run(['campaign', 'resume', '--id', id]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/is closed since .* and cannot be resumed/);
    const show = JSON.parse((await run(['campaign', 'show', '--id', id])).stdout) as {
      state: string;
      pools: { refundedCents: number }[];
    };
    expect(show.state).toBe('closed');
    expect((await run(['campaign', 'list'])).stdout).toMatch(new RegExp(`^${id}\\tclosed\\texpires never$`, 'm'));
  });

  it('names what is wrong: an unknown campaign, a bad --expires-in', async () => {
    const unknown = await run(['campaign', 'close', '--id', 'no-such-campaign']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no campaign "no-such-campaign"/);
    const bad = await run(campaignCreateArgs(newId('bad'), 1, 1, '--amount', '1', '--expires-in', 'soon'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expires-in: must be a duration such as 30s, 90m, 24h or 1h30m/);
  });
});

describe('grab campaign pause and resume', () => {
  it('paused grabs wait without spending attempts, and all settle after the resume', async () => {
    const id = newId('pause');
    await create(id, 2, 500);
    const worker = work();
    try {
      // One attempt each: a paused grab that spent it would fail.
      await warmUp(id);
      const producer = produceSlowly(id, 600, 100, ['--attempts', '1']);
      await eventually(async () => (await progressOf(id)).finished >= 50, 30_000, 'the first grabs to settle');
      // Through the producer's function (the one the CLI and the HTTP API call), for exact timing.
      await expect(pauseCampaign(services, id)).resolves.toMatchObject({ state: 'paused', changed: true });
      // Batches in flight at the pause finish; after that nothing settles while paused.
      await sleep(1500);
      const atPause = await progressOf(id);
      expect(await producer.exited).toBe(0);
      await sleep(2000);
      const later = await progressOf(id);
      expect(later.finished).toBe(atPause.finished);
      expect(later.pending).toBeGreaterThan(0);
      expect(later.outcomes.failed).toBe(0);
      const again = await run(['campaign', 'pause', '--id', id]);
      expect(again.stdout).toMatch(new RegExp(`campaign ${id} was already paused at .*; nothing changed`));
      const report = JSON.parse((await run(['report', '--campaign', id, '--json'])).stdout) as CampaignReport;
      expect(report.state).toBe('paused');
      expect(report.ok).toBe(false);

      await expect(resumeCampaign(services, id)).resolves.toMatchObject({ state: 'open', changed: true });
      expect((await run(['campaign', 'resume', '--id', id])).stdout).toMatch(/was already open/);
      expect((await run(['wait', '--campaign', id, '--timeout', '45'])).code).toBe(0);
    } finally {
      await worker.stop();
    }
    const { code, report } = await audit(id);
    expect(report.violations).toEqual([]);
    expect(code).toBe(0);
    expect(report.state).toBe('open');
    expect(report.outcomes).toMatchObject({ granted: 600, failed: 0, expired: 0 });
  });
});
