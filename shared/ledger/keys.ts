/**
 * Redis keys of the ledger. The `{...}` part is the Redis Cluster hash tag: a pool's hash and
 * its grants hash share the tag `{campaign/pool}`, so they live in one slot and one script can
 * touch both atomically. Ids never contain '/', '{' or '}' (see shared/campaign/spec.ts).
 */

/** Set of every campaign id. */
export const campaignsKey = 'grab:campaigns';

/** Hash: spec (JSON), split, created_at_ms, pool_count. */
export const campaignKey = (campaignId: string): string => `grab:campaign:{${campaignId}}`;

/** Hash: total_cents, packets, remaining_cents, remaining_packets, version, token, split. */
export const poolKey = (campaignId: string, poolId: string): string => `grab:pool:{${campaignId}/${poolId}}`;

/** Hash: user id -> "cents|token|atMs|jobId". */
export const grantsKey = (campaignId: string, poolId: string): string => `grab:grants:{${campaignId}/${poolId}}`;
