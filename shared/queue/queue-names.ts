/** What every shard's hash tag starts with; only the two functions below spell it out. */
const SHARD_TAG = 'grab.';

/**
 * Redis Cluster hash tags of the queue's keys. All keys of one BullMQ queue must share a slot, so
 * each shard's keys carry a tag of their own, `{grab.N}`: on a cluster the shards then spread over
 * the masters instead of all living on one. The queue name itself comes from the GRAB_QUEUE
 * setting (default "grab"), so shard 3 of it keeps its keys under `{grab.3}:grab.3:`.
 */
export const shardQueuePrefix = (shard: number): string => `{${SHARD_TAG}${shard}}`;

/** A SCAN glob (Redis MATCH pattern) that matches the prefix of every shard: `{grab.*}`. */
export const anyShardQueuePrefixGlob = (): string => `{${SHARD_TAG}*}`;

/** The prefix of the keys that belong to a whole sharded queue (its shard count and its fleet). */
export const QUEUE_PREFIX = '{grab}';

/** Where the shard count of a queue is recorded, so producers and workers that disagree are refused. */
export const shardCountKey = (queue: string): string => `${QUEUE_PREFIX}:${queue}:shards`;
