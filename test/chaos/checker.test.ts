/**
 * The chaos checker must catch what it is there to catch: honest evidence passes, and each kind
 * of tampering (a doubled grant, a sum mismatch, a zero-cent grant, overspend, a lost grab, a
 * lock node left behind) is named.
 */
import { describe, expect, it } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { checkEvidence, type ChaosEvidence, type ExportedGrant } from '../support/chaos-checker.js';

function honest(): ChaosEvidence {
  const grants: ExportedGrant[] = [
    { campaign: 'c', pool: 'p1', user: 'u1', cents: 60 },
    { campaign: 'c', pool: 'p1', user: 'u2', cents: 40 },
    { campaign: 'c', pool: 'p2', user: 'u1', cents: 7 },
  ];
  const report: CampaignReport = {
    campaign: 'c',
    instance: 1,
    ok: true,
    violations: [],
    outcomes: { granted: 3, sold_out: 2, duplicate: 0, expired: 0, rejected: 1, failed: 0 },
    jobs: { enqueued: 6, finished: 6, pending: 0 },
    failed: [],
    rejected: [],
    pools: [
      {
        pool: 'p1',
        totalCents: 100,
        grantedCents: 100,
        remainingCents: 0,
        packets: 2,
        packetsGranted: 2,
        grants: 2,
        pending: 0,
        failed: 0,
      },
      {
        pool: 'p2',
        totalCents: 50,
        grantedCents: 7,
        remainingCents: 43,
        packets: 5,
        packetsGranted: 1,
        grants: 1,
        pending: 0,
        failed: 0,
      },
    ],
  };
  return { report, grants, lockNodes: [], expectedGrabs: 6 };
}

describe('the chaos checker', () => {
  it('passes honest evidence', () => {
    expect(checkEvidence(honest())).toEqual([]);
  });

  it('catches a doubled grant in the export', () => {
    const e = honest();
    e.grants.push({ ...e.grants[0]! });
    const v = checkEvidence(e);
    expect(v.join('\n')).toMatch(/u1 granted more than once from pool p1/);
    expect(v.join('\n')).toMatch(/sum to 160 cents, the report says 100/);
    expect(v.join('\n')).toMatch(/paid out 160 cents of its 100/);
  });

  it('catches a per-pool sum that disagrees with the report', () => {
    const e = honest();
    e.grants[1]!.cents = 39;
    expect(checkEvidence(e)).toEqual(['export: pool p1 grants sum to 99 cents, the report says 100']);
  });

  it('catches a grant below one cent, or not whole', () => {
    const e = honest();
    e.grants[2]!.cents = 0;
    e.report.pools[1]!.grantedCents = 0;
    expect(checkEvidence(e).join('\n')).toMatch(/granted 0 cents, not a whole cent/);
    const f = honest();
    f.grants[2]!.cents = 6.5;
    f.report.pools[1]!.grantedCents = 6.5;
    expect(checkEvidence(f).join('\n')).toMatch(/granted 6.5 cents/);
  });

  it('catches a report that is not ok, and overspend the report would hide', () => {
    const e = honest();
    e.report.ok = false;
    e.report.violations = ['pool p1: granted 120 + remaining 0 = 120 cents, not the total 100 (overspent by 20)'];
    expect(checkEvidence(e)).toEqual([`report: ${e.report.violations[0]}`]);
    const f = honest(); // a lying report: it claims the pool holds more than it does
    f.report.pools[0]!.totalCents = 90;
    expect(checkEvidence(f).join('\n')).toMatch(/paid out 100 cents of its 90/);
  });

  it('catches a grab without an outcome, an extra outcome, and a count the scenario did not enqueue', () => {
    const e = honest();
    e.report.jobs = { enqueued: 7, finished: 6, pending: 1 };
    const v = checkEvidence(e).join('\n');
    expect(v).toMatch(/1 of 7 enqueued grabs have no outcome/);
    expect(v).toMatch(/report counts 7 enqueued grabs, the scenario enqueued 6/);
    const f = honest();
    f.report.jobs = { enqueued: 6, finished: 7, pending: 0 };
    expect(checkEvidence(f).join('\n')).toMatch(/7 outcomes for 6 enqueued grabs/);
  });

  it('catches more grants than packets, and grants the outcomes do not account for', () => {
    const e = honest();
    e.grants.push({ campaign: 'c', pool: 'p1', user: 'u3', cents: 1 });
    e.report.pools[0]!.totalCents = 101;
    e.report.pools[0]!.grantedCents = 101;
    const v = checkEvidence(e).join('\n');
    expect(v).toMatch(/pool p1 has 3 grants for 2 packets/);
    expect(v).toMatch(/4 grants exported, 3 grabs recorded as granted/);
  });

  it('catches a grant from an unknown pool or campaign', () => {
    const e = honest();
    e.grants.push({ campaign: 'other', pool: 'p9', user: 'u1', cents: 1 });
    const v = checkEvidence(e).join('\n');
    expect(v).toMatch(/campaign "other"/);
    expect(v).toMatch(/pool "p9"/);
  });

  it('catches a lock node left behind in ZooKeeper', () => {
    const e = honest();
    e.lockNodes = ['/grab/locks/c/p1/_c_0f-lock-0000000003'];
    expect(checkEvidence(e)).toEqual(['zookeeper: lock node /grab/locks/c/p1/_c_0f-lock-0000000003 left behind']);
  });
});
