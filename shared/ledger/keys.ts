import { fnv1a } from '../hash/fnv1a.js';

/**
 * Redis keys of the ledger. Ids never contain '/', '@', ':', '{' or '}' (see
 * shared/campaign/spec.ts), so no two keys below can collide.
 *
 * Every creation of a campaign is a new **instance** (a number from a global counter), and every
 * key of its pools names it. A worker or producer still busy with a deleted campaign can then
 * only ever touch keys of that instance, which its scripts find gone; a campaign re-created under
 * the same id starts from keys nobody has written.
 *
 * The `{...}` part is the Redis Cluster hash tag. A campaign's pools are spread over a fixed
 * number of **stripes**; a pool's hashes and its stripe's progress counters share one tag, so the
 * script that records an outcome updates both in one atomic, single-slot step, and progress of a
 * whole campaign is the sum of a few stripe hashes, however many pools it has.
 */

/** One creation of a campaign. */
export interface CampaignAddress {
  campaignId: string;
  instance: number;
}

export interface PoolAddress extends CampaignAddress {
  poolId: string;
  /** The stripe of the pool, from stripeOf(). */
  stripe: number;
}

/** Stripes a new campaign's pools are spread over (fewer if it has fewer pools). */
export const MAX_STRIPES = 16;

export const stripeCount = (pools: number): number => Math.min(MAX_STRIPES, pools);

export const stripeOf = (poolId: string, stripes: number): number => fnv1a(poolId) % stripes;

/** Set of every campaign id. */
export const campaignsKey = 'grab:campaigns';

/** Counter that numbers campaign instances; never deleted, so an instance number is never reused. */
export const instanceSeqKey = 'grab:instance-seq';

/** Hash: spec (JSON), split, created_at_ms, pool_count, instance, stripes, lock (the lock family its commits use). */
export const campaignKey = (campaignId: string): string => `grab:campaign:{${campaignId}}`;

/**
 * Hash: a creation cut short or under way, with the fields the campaign hash gets once every
 * pool is written (see begin-campaign.lua). Same slot as the campaign hash.
 */
export const pendingCampaignKey = (campaignId: string): string => `grab:creating:{${campaignId}}`;

/** Hash: job id -> reason, for grabs that named no pool of the instance. Same slot as the campaign hash. */
export const rejectedKey = ({ campaignId, instance }: CampaignAddress): string =>
  `grab:rejected:{${campaignId}}:${instance}`;

/**
 * Hash: user source ("distribution:first user") -> its number, for the slots of its grabs (see
 * grab-slots.ts). Same slot as the campaign hash.
 */
export const sourcesKey = ({ campaignId, instance }: CampaignAddress): string =>
  `grab:sources:{${campaignId}}:${instance}`;

/** Set: the queues the instance's grabs were enqueued on. Same slot as the campaign hash. */
export const queuesKey = ({ campaignId, instance }: CampaignAddress): string =>
  `grab:queues:{${campaignId}}:${instance}`;

const stripeTag = ({ campaignId, instance }: CampaignAddress, stripe: number): string =>
  `{${campaignId}@${instance}/${stripe}}`;

/** Hash: outcome code -> how many grabs of the stripe's pools have it (see outcome-log.ts). */
export const progressKey = (campaign: CampaignAddress, stripe: number): string =>
  `grab:progress:${stripeTag(campaign, stripe)}`;

/**
 * Hash: total_cents, packets, remaining_cents, remaining_packets, version, token, split, per-outcome
 * counts, and the luckiest grant so far (lucky_user, lucky_cents) once there is one.
 */
export const poolKey = (p: PoolAddress): string => `grab:pool:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** Hash: user id -> "cents|token|atMs|jobId". */
export const grantsKey = (p: PoolAddress): string => `grab:grants:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** List: the user of each grant, in the order the grants were committed. */
export const claimsKey = (p: PoolAddress): string => `grab:claims:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** Hash: job id -> outcome code, for grabs without a slot (handed in through the HTTP API). */
export const outcomesKey = (p: PoolAddress): string => `grab:outcomes:${stripeTag(p, p.stripe)}:${p.poolId}`;

/**
 * String: a 4-bit outcome code per slot (BITFIELD u4 #slot), for the grabs `grab produce`
 * numbered: half a byte per grab, where a hash field costs some 70 (see docs/ledger.md).
 */
export const outcomeSlotsKey = (p: PoolAddress): string => `grab:outcome-slots:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** Hash: "source:block" -> the block of the pool's slots it was given, and `next`, the blocks given so far. */
export const slotBlocksKey = (p: PoolAddress): string => `grab:slot-blocks:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** Hash: job id -> reason, for grabs that failed and have not been settled since. */
export const failuresKey = (p: PoolAddress): string => `grab:failures:${stripeTag(p, p.stripe)}:${p.poolId}`;

/** Every key of one pool, in the order the create and delete scripts take them. */
export const poolKeys = (p: PoolAddress): string[] => [
  poolKey(p),
  grantsKey(p),
  claimsKey(p),
  outcomesKey(p),
  outcomeSlotsKey(p),
  slotBlocksKey(p),
  failuresKey(p),
];
