import type { CommandServices } from '../shared/cli/services.js';
import { poolAddress, poolAddresses, type CampaignRecord, type CampaignState } from '../shared/ledger/ledger-types.js';
import { redisNowMs, stateAt } from '../shared/ledger/lifecycle.js';
import { emptyCounts, type Outcome, type OutcomeCounts } from '../shared/ledger/outcome-log.js';

export interface PoolReport {
  pool: string;
  totalCents: number;
  grantedCents: number;
  remainingCents: number;
  packets: number;
  packetsGranted: number;
  remainingPackets: number;
  /** Cents and packets handed back at the close or expiry (0 while it is open or paused). */
  refundedCents: number;
  refundedPackets: number;
  grants: number;
  pending: number;
  failed: number;
}

export interface ListedGrab {
  jobId: string;
  /** Absent for a rejected grab: it named no pool of the campaign. */
  pool?: string;
  reason: string;
}

export interface CampaignReport {
  campaign: string;
  instance: number;
  /** open, paused, closed, or expired (on the Redis server's clock, even before a sweep recorded it). */
  state: CampaignState;
  /** Every money invariant holds and no grab is pending. */
  ok: boolean;
  violations: string[];
  outcomes: OutcomeCounts;
  jobs: { enqueued: number; finished: number; pending: number };
  /** Failed grabs, awaiting `grab redrive` (at most LISTED_GRABS of them; outcomes.failed counts all). */
  failed: ListedGrab[];
  /** Rejected grabs (at most LISTED_GRABS of them; outcomes.rejected counts all). */
  rejected: ListedGrab[];
  pools: PoolReport[];
}

export const LISTED_GRABS = 100;

/**
 * Audits a campaign against the invariants money must keep: per pool, granted + remaining =
 * total, nothing below zero, at most one grant per user and no more than the packets; and every
 * enqueued grab settled with exactly one recorded outcome. Reads every pool in pipelined rounds,
 * so a campaign of 10,000 pools costs tens of round trips.
 */
export async function buildReport(
  { redis, ledger, outcomes }: CommandServices,
  record: CampaignRecord,
): Promise<CampaignReport> {
  const violations: string[] = [];
  const pools: PoolReport[] = [];
  const addresses = poolAddresses(record);
  const [states, totals, progress, nowMs] = await Promise.all([
    ledger.poolStates(addresses),
    ledger.grantTotals(addresses),
    outcomes.progress(record, record.stripes),
    redisNowMs(redis),
  ]);
  const campaignState = stateAt(record, nowMs);
  const finished = campaignState === 'closed' || campaignState === 'expired';
  const poolSums = emptyCounts();
  let poolPending = 0;
  record.spec.pools.forEach((spec, i) => {
    const state = states[i];
    const where = `pool ${spec.id}`;
    if (!state) {
      violations.push(`${where}: its ledger entry is missing`);
      return;
    }
    const { grants, grantedCents, belowOneCent } = totals[i]!;
    for (const user of belowOneCent) violations.push(`${where}: user ${user} was granted less than 1 cent`);
    const packetsGranted = state.packets - state.remainingPackets - state.refundedPackets;
    const accounted = grantedCents + state.refundedCents + state.remainingCents;
    if (accounted !== state.totalCents) {
      violations.push(
        `${where}: granted ${grantedCents} + refunded ${state.refundedCents} + remaining ${state.remainingCents} ` +
          `= ${accounted} cents, not the total ${state.totalCents} (overspent by ${accounted - state.totalCents})`,
      );
    }
    if (finished && (state.state === 'open' || state.state === 'paused'))
      violations.push(
        `${where}: the campaign is ${campaignState} but this pool is not refunded yet (a worker's expiry ` +
          `sweep finishes it, or run grab campaign close --id ${record.campaignId} again)`,
      );
    if (
      (state.state === 'closed' || state.state === 'expired') &&
      (state.remainingCents !== 0 || state.remainingPackets !== 0)
    )
      violations.push(
        `${where}: it is ${state.state} but ${state.remainingCents} cents and ${state.remainingPackets} packets remain`,
      );
    if (state.remainingCents < 0) violations.push(`${where}: remaining ${state.remainingCents} cents is below zero`);
    if (state.remainingPackets < 0)
      violations.push(`${where}: remaining ${state.remainingPackets} packets is below zero`);
    if (grants !== packetsGranted)
      violations.push(
        `${where}: ${grants} users hold grants but the balance counts ${packetsGranted} packets handed out`,
      );
    if (grants > state.packets) violations.push(`${where}: ${grants} grants exceed its ${state.packets} packets`);
    if (state.outcomes.granted !== grants)
      violations.push(
        `${where}: ${state.outcomes.granted} grabs recorded as granted but ${grants} grants in the ledger`,
      );
    for (const k of Object.keys(poolSums) as Outcome[]) poolSums[k] += state.outcomes[k];
    poolPending += state.pending;
    pools.push({
      pool: spec.id,
      totalCents: state.totalCents,
      grantedCents,
      remainingCents: state.remainingCents,
      packets: state.packets,
      packetsGranted,
      remainingPackets: state.remainingPackets,
      refundedCents: state.refundedCents,
      refundedPackets: state.refundedPackets,
      grants,
      pending: state.pending,
      failed: state.outcomes.failed,
    });
  });
  // The stripe counters are kept in the same steps as the pools' own: they must agree.
  poolSums.rejected = progress.outcomes.rejected;
  if (
    poolPending !== progress.pending ||
    (Object.keys(poolSums) as Outcome[]).some((k) => poolSums[k] !== progress.outcomes[k])
  ) {
    violations.push(
      `the campaign's progress counters (${JSON.stringify({ ...progress.outcomes, pending: progress.pending })}) ` +
        `disagree with its pools' (${JSON.stringify({ ...poolSums, pending: poolPending })})`,
    );
  }
  if (progress.pending > 0)
    violations.push(`${progress.pending} of ${progress.enqueued} enqueued grabs have no outcome yet`);
  return {
    campaign: record.campaignId,
    instance: record.instance,
    state: campaignState,
    ok: violations.length === 0,
    violations,
    outcomes: progress.outcomes,
    jobs: { enqueued: progress.enqueued, finished: progress.finished, pending: progress.pending },
    failed: await listFailed(outcomes, record, pools),
    rejected: await listRejected(outcomes, record),
    pools,
  };
}

/** Reads the failures of only the pools that count some. */
async function listFailed(
  outcomes: CommandServices['outcomes'],
  record: CampaignRecord,
  pools: readonly PoolReport[],
): Promise<ListedGrab[]> {
  const listed: ListedGrab[] = [];
  for (const { pool: poolId } of pools.filter((p) => p.failed > 0)) {
    if (listed.length >= LISTED_GRABS) break;
    const pool = poolAddress(record, poolId);
    for await (const { jobId, reason } of outcomes.failures(pool)) {
      listed.push({ jobId, pool: pool.poolId, reason });
      if (listed.length >= LISTED_GRABS) break;
    }
  }
  return listed;
}

async function listRejected(outcomes: CommandServices['outcomes'], record: CampaignRecord): Promise<ListedGrab[]> {
  const listed: ListedGrab[] = [];
  for await (const grab of outcomes.rejections(record)) {
    listed.push(grab);
    if (listed.length >= LISTED_GRABS) break;
  }
  return listed;
}
