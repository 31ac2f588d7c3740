/** How a pool is named outside Redis keys: its lock, its queue shard, its gauges, in-process maps. */

/** "campaign/pool": the pool whatever instance of the campaign (its lock key, its shard, its gauges). */
export const poolName = (campaignId: string, poolId: string): string => `${campaignId}/${poolId}`;

/** "campaign@instance/pool": the pool of one instance; a re-created campaign's pools are others. */
export const poolInstanceName = (pool: { campaignId: string; instance: number; poolId: string }): string =>
  `${pool.campaignId}@${pool.instance}/${pool.poolId}`;
