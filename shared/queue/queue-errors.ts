/**
 * The queue is already split into another number of shards than this process was given: its grabs
 * would reach workers that never look at their shard.
 */
export class ShardCountMismatch extends Error {
  override readonly name = 'ShardCountMismatch';
  constructor(
    readonly queue: string,
    readonly recorded: number,
    readonly configured: number,
  ) {
    super(
      `queue "${queue}" is split into ${recorded} shards, but GRAB_QUEUE_SHARDS ` +
        `(--queue-shards) is ${configured}: give every producer and worker of this ` +
        `queue the same value`,
    );
  }
}
