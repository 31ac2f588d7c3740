import type { Ledger } from './ledger.js';
import { poolAddresses, type CampaignRecord } from './ledger-types.js';
import { stateAt } from './lifecycle.js';
import type { OutcomeLog } from './outcome-log.js';

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * What `grab campaign show` prints and `GET /v1/campaigns/:id` answers: the instance, its state
 * (at `nowMs`, the Redis server's clock), its lock family, the grab counts and every pool's
 * balance, state and refund. Two pipelined reads, however many grabs the campaign has seen (no
 * scan of its grants: that is `grab report`'s audit).
 */
export async function campaignView(ledger: Ledger, outcomes: OutcomeLog, record: CampaignRecord, nowMs: number) {
  const [states, progress] = await Promise.all([
    ledger.poolStates(poolAddresses(record)),
    outcomes.progress(record, record.stripes),
  ]);
  const pools = record.spec.pools.map((p, i) => {
    const state = states[i];
    return {
      pool: p.id,
      ...state,
      token: state?.token.toString(),
      luckiest: state?.luckiest ?? null,
      state: state && stateAt(state, nowMs),
      expiresAt: isoOrNull(state?.expiresAtMs),
      closedAt: isoOrNull(state?.closedAtMs),
      refundedAt: isoOrNull(state?.refundedAtMs),
    };
  });
  return {
    id: record.campaignId,
    instance: record.instance,
    split: record.spec.split,
    lock: record.lock ?? null,
    createdAt: new Date(record.createdAtMs).toISOString(),
    state: stateAt(record, nowMs),
    stateAt: isoOrNull(record.stateAtMs),
    expiresAt: isoOrNull(record.expiresAtMs),
    grabs: {
      enqueued: progress.enqueued,
      pending: progress.pending,
      finished: progress.finished,
      outcomes: progress.outcomes,
    },
    pools,
  };
}

export type CampaignView = Awaited<ReturnType<typeof campaignView>>;
