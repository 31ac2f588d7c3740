/**
 * The chaos checker must catch what it is there to catch: honest evidence passes, and each kind
 * of tampering (a doubled grant, a sum mismatch, a zero-cent grant, overspend, a lost grab, a
 * lock node left behind, a refund that does not add up, a grant after the close) is named.
 */
import { describe, expect, it } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import {
  checkEvidence,
  type ChaosEvidence,
  type ExportedGrant,
  type ExportedRefund,
} from '../support/chaos-checker.js';

function honest(): ChaosEvidence {
  const grants: ExportedGrant[] = [
    { campaign: 'c', pool: 'p1', user: 'u1', cents: 60, at: '2026-01-01T00:00:00.000Z' },
    { campaign: 'c', pool: 'p1', user: 'u2', cents: 40, at: '2026-01-01T00:00:01.000Z' },
    { campaign: 'c', pool: 'p2', user: 'u1', cents: 7, at: '2026-01-01T00:00:02.000Z' },
  ];
  const report: CampaignReport = {
    campaign: 'c',
    instance: 1,
    state: 'open',
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
        remainingPackets: 0,
        refundedCents: 0,
        refundedPackets: 0,
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
        remainingPackets: 4,
        refundedCents: 0,
        refundedPackets: 0,
        grants: 1,
        pending: 0,
        failed: 0,
      },
    ],
  };
  return { report, grants, refunds: [], lockNodes: [], expectedGrabs: 6 };
}

/** The honest campaign closed after its grants: p2's 43 cents and 4 packets refunded. */
function closed(): ChaosEvidence {
  const e = honest();
  e.report.state = 'closed';
  const p2 = e.report.pools[1]!;
  Object.assign(p2, { refundedCents: 43, refundedPackets: 4, remainingCents: 0, remainingPackets: 0 });
  const refunds: ExportedRefund[] = [
    { campaign: 'c', pool: 'p1', cents: 0, packets: 0, at: '2026-01-01T00:01:00.000Z' },
    { campaign: 'c', pool: 'p2', cents: 43, packets: 4, at: '2026-01-01T00:01:00.000Z' },
  ];
  return { ...e, refunds };
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
    expect(checkEvidence(e)).toEqual([
      'export: pool p1 granted 99 + refunded 0 + remaining 0 cents, not its total 100',
      'export: pool p1 grants sum to 99 cents, the report says 100',
    ]);
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

  it('passes a closed campaign whose refunds add up, and catches each refund lie', () => {
    expect(checkEvidence(closed())).toEqual([]);
    const wrongSum = closed();
    wrongSum.report.pools[1]!.refundedCents = 40;
    wrongSum.refunds[1]!.cents = 40;
    expect(checkEvidence(wrongSum)).toEqual([
      'export: pool p2 granted 7 + refunded 40 + remaining 0 cents, not its total 50',
    ]);
    const wrongPackets = closed();
    wrongPackets.report.pools[1]!.refundedPackets = 5;
    wrongPackets.refunds[1]!.packets = 5;
    expect(checkEvidence(wrongPackets)).toEqual([
      'export: pool p2 granted 1 + refunded 5 + remaining 0 packets, not its 5',
    ]);
    const disagree = closed();
    disagree.refunds[1]!.cents = 42;
    expect(checkEvidence(disagree).join('\n')).toMatch(
      /pool p2 exported 42 cents and 4 packets refunded, the report says 43/,
    );
    const twice = closed();
    twice.refunds.push({ ...twice.refunds[1]! });
    expect(checkEvidence(twice).join('\n')).toMatch(/pool p2 refunded more than once/);
  });

  it('catches money left in a closed campaign, and a grant after its pool closed', () => {
    const kept = closed();
    kept.report.pools[1]!.refundedCents = 0;
    kept.report.pools[1]!.refundedPackets = 0;
    kept.report.pools[1]!.remainingCents = 43;
    kept.report.pools[1]!.remainingPackets = 4;
    kept.refunds[1] = { ...kept.refunds[1]!, cents: 0, packets: 0 };
    expect(checkEvidence(kept)).toEqual(['report: the campaign is closed but pool p2 keeps 43 cents']);
    const late = closed();
    late.grants[2]!.at = '2026-01-01T00:01:00.001Z';
    expect(checkEvidence(late)).toEqual([
      'export: user u1 of pool p2 granted at 2026-01-01T00:01:00.001Z, after the pool closed at 2026-01-01T00:01:00.000Z',
    ]);
  });

  it('counts expired grabs among the outcomes', () => {
    const e = honest();
    e.report.outcomes.expired = 1;
    expect(checkEvidence(e)).toEqual(['jobs: outcomes add up to 7, not the 6 finished']);
  });

  it('catches a lock node left behind in ZooKeeper', () => {
    const e = honest();
    e.lockNodes = ['/grab/locks/c/p1/_c_0f-lock-0000000003'];
    expect(checkEvidence(e)).toEqual(['zookeeper: lock node /grab/locks/c/p1/_c_0f-lock-0000000003 left behind']);
  });
});
