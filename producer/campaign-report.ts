import type { CommandServices } from '../shared/cli/services.js';
import { plannedGrabs } from '../shared/ledger/grab-plan.js';
import type { OutcomeCounts } from '../shared/ledger/outcome-log.js';
import type { CampaignRecord } from '../shared/ledger/ledger.js';

export interface PoolReport {
  pool: string;
  totalCents: number;
  grantedCents: number;
  remainingCents: number;
  packets: number;
  packetsGranted: number;
  grants: number;
}

export interface CampaignReport {
  campaign: string;
  ok: boolean;
  violations: string[];
  outcomes: OutcomeCounts;
  jobs: { enqueued: number; finished: number; pending: number };
  pools: PoolReport[];
}

/**
 * Audits a campaign against the invariants money must keep: per pool, granted + remaining =
 * total, nothing below zero, at most one grant per user and no more than the packets; and every
 * enqueued grab settled with exactly one recorded outcome.
 */
export async function buildReport({ redis, ledger, outcomes }: CommandServices, record: CampaignRecord): Promise<CampaignReport> {
  const campaignId = record.spec.id;
  const violations: string[] = [];
  const pools: PoolReport[] = [];
  const poolIds = record.spec.pools.map((p) => p.id);
  const counted = await outcomes.count(campaignId, poolIds);
  for (const spec of record.spec.pools) {
    const state = await ledger.poolState(campaignId, spec.id);
    if (!state) {
      violations.push(`pool ${spec.id}: its ledger entry is missing`);
      continue;
    }
    let grantedCents = 0;
    let grants = 0;
    const users = new Set<string>();
    for await (const grant of ledger.scanGrants(campaignId, spec.id)) {
      if (users.has(grant.user)) continue; // HSCAN may repeat a field; the hash itself cannot hold two.
      users.add(grant.user);
      grantedCents += grant.cents;
      grants++;
      if (grant.cents < 1) violations.push(`pool ${spec.id}: user ${grant.user} was granted ${grant.cents} cents, below 1`);
    }
    const packetsGranted = state.packets - state.remainingPackets;
    const where = `pool ${spec.id}`;
    if (grantedCents + state.remainingCents !== state.totalCents) {
      violations.push(`${where}: granted ${grantedCents} + remaining ${state.remainingCents} = ${grantedCents + state.remainingCents} cents, not the total ${state.totalCents} (overspent by ${grantedCents + state.remainingCents - state.totalCents})`);
    }
    if (state.remainingCents < 0) violations.push(`${where}: remaining ${state.remainingCents} cents is below zero`);
    if (state.remainingPackets < 0) violations.push(`${where}: remaining ${state.remainingPackets} packets is below zero`);
    if (grants !== packetsGranted) violations.push(`${where}: ${grants} users hold grants but the balance counts ${packetsGranted} packets handed out`);
    if (grants > state.packets) violations.push(`${where}: ${grants} grants exceed its ${state.packets} packets`);
    const poolOutcomes = counted.perPool.get(spec.id)!;
    if (poolOutcomes.granted !== grants) violations.push(`${where}: ${poolOutcomes.granted} grabs recorded as granted but ${grants} grants in the ledger`);
    pools.push({ pool: spec.id, totalCents: state.totalCents, grantedCents, remainingCents: state.remainingCents, packets: state.packets, packetsGranted, grants });
  }
  const enqueued = await plannedGrabs(redis, campaignId);
  const finished = Object.values(counted.counts).reduce((a, b) => a + b, 0);
  const pending = Math.max(0, enqueued - finished);
  if (pending > 0) violations.push(`${pending} of ${enqueued} enqueued grabs have no outcome yet`);
  if (finished > enqueued) violations.push(`${finished} outcomes recorded for ${enqueued} enqueued grabs`);
  return { campaign: campaignId, ok: violations.length === 0, violations, outcomes: counted.counts, jobs: { enqueued, finished, pending }, pools };
}
