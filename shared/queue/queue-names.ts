/**
 * The queue's key prefix is a Redis Cluster hash tag, so all of one queue's keys share a slot.
 * The queue name itself comes from the GRAB_QUEUE setting (default "grab").
 */
export const QUEUE_PREFIX = '{grab}';

/** Where the shard count of a queue is recorded, so producers and workers that disagree are refused. */
export const shardCountKey = (queue: string): string => `${QUEUE_PREFIX}:${queue}:shards`;
