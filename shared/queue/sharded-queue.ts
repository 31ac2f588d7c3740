import { Queue, type Job, type JobsOptions, type JobType } from 'bullmq';
import { duplicateClient, type RedisClient } from '../redis/connection.js';
import { scanKeys } from '../redis/scan-keys.js';
import type { Logger } from '../logging/logger.js';
import type { GrabJob } from './grab-job.js';
import { ShardCountMismatch } from './queue-errors.js';
import { anyShardQueuePrefixGlob, shardCountKey, shardQueuePrefix } from './queue-names.js';
import { shardOfPayload, shardQueueName } from './queue-shards.js';

export interface GrabBulkJob {
  name: string;
  data: GrabJob;
  opts: JobsOptions;
}

/** The shard count recorded for `queue`, or undefined for a queue nothing has opened yet. */
export async function recordedShardCount(redis: RedisClient, queue: string): Promise<number | undefined> {
  const recorded = await redis.get(shardCountKey(queue));
  return recorded === null ? undefined : Number(recorded);
}

/**
 * The grab queue as its shards: each grab goes to the shard of its pool. Once open, it follows
 * the recorded shard count (`grab queue reshard` changes it): each bulk add and each count reads
 * it first, so a running producer sends grabs where the consumers of the new count look.
 */
export class ShardedQueue {
  private readonly current: Queue[] = [];

  private constructor(
    readonly name: string,
    private readonly client: RedisClient,
    private readonly ownConnection: RedisClient | undefined,
    private readonly onError: ((err: Error) => void) | undefined,
    shards: number,
  ) {
    this.resize(shards);
  }

  get shards(): readonly Queue[] {
    return this.current;
  }

  /**
   * Opens the shards of `name`, recording the shard count the first time. A queue already split
   * differently is refused: its grabs would reach workers that never look at their shard.
   * With `dedicatedConnection` the shards talk to Redis over a duplicate of `connection`, which
   * the queue closes with itself, so its reads never queue behind the caller's commands.
   * Errors of the shards go to `logger`: BullMQ prints those nobody listens for with
   * console.error, unredacted and not as JSON.
   */
  static async open(
    name: string,
    shards: number,
    connection: RedisClient,
    options: { dedicatedConnection?: boolean; logger?: Logger } = {},
  ): Promise<ShardedQueue> {
    const own = options.dedicatedConnection ? duplicateClient(connection) : undefined;
    const client = own ?? connection;
    try {
      await client.set(shardCountKey(name), shards, 'NX');
      const recorded = Number(await client.get(shardCountKey(name)));
      if (recorded !== shards) throw new ShardCountMismatch(name, recorded, shards);
    } catch (err) {
      own?.disconnect();
      throw err;
    }
    const { logger } = options;
    let onError: ((err: Error) => void) | undefined;
    if (logger) {
      // The shards share the connection, so each of its errors reaches every shard: log it once.
      let last: unknown;
      onError = (err: Error) => {
        if (err === last) return;
        last = err;
        logger.error({ err, queue: name }, 'queue error');
      };
    }
    return new ShardedQueue(name, client, own, onError, shards);
  }

  /** Reads the recorded shard count and follows it. */
  private async followRecordedCount(): Promise<void> {
    const recorded = await recordedShardCount(this.client, this.name);
    if (recorded !== undefined && recorded !== this.current.length) this.resize(recorded);
  }

  /** Opens the shards a larger count adds, or lets go of those a smaller one drops. */
  private resize(shards: number): void {
    for (const dropped of this.current.splice(shards)) void dropped.close().catch(() => undefined);
    for (let i = this.current.length; i < shards; i++) {
      const queue = new Queue(shardQueueName(this.name, i), { connection: this.client, prefix: shardQueuePrefix(i) });
      if (this.onError) queue.on('error', this.onError);
      this.current.push(queue);
    }
  }

  /** The shard a job goes to: its pool's, or the first for a payload that names no pool (it is rejected there). */
  shardFor(data: unknown): Queue {
    return this.shards[shardOfPayload(data, this.shards.length)]!;
  }

  /** Adds each job to its shard; the jobs come back grouped by shard. */
  async addBulk(jobs: readonly GrabBulkJob[]): Promise<Job[]> {
    await this.followRecordedCount();
    const byShard = new Map<Queue, GrabBulkJob[]>();
    for (const job of jobs) {
      const shard = this.shardFor(job.data);
      const list = byShard.get(shard) ?? [];
      list.push(job);
      byShard.set(shard, list);
    }
    return (await Promise.all([...byShard].map(([shard, list]) => shard.addBulk(list)))).flat();
  }

  /** Job counts summed over the shards, by state: one command per shard, sent together. */
  async jobCounts(...types: JobType[]): Promise<Record<string, number>> {
    await this.followRecordedCount();
    const perShard = await Promise.all(this.shards.map((q) => q.getJobCounts(...types)));
    const total: Record<string, number> = {};
    for (const counts of perShard)
      for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
    return total;
  }

  async waitingCount(): Promise<number> {
    await this.followRecordedCount();
    return (await Promise.all(this.shards.map((q) => q.getWaitingCount()))).reduce((a, b) => a + b, 0);
  }

  /**
   * Removes every job whose id starts with `prefix` (one campaign instance's grabs) from every
   * shard: waiting, delayed, finished and failed. A job a worker is running stays, and that
   * worker drops it. Finds them with one SCAN over the queue's job keys (of every master, on a
   * cluster); returns how many went.
   */
  async removeJobs(prefix: string, connection: RedisClient): Promise<number> {
    // The shard's tag is checked against shardQueuePrefix below, so the pattern only splits the key.
    const jobKey = new RegExp(`^(\\{[^}]*\\}):${escapeRegExp(this.name)}\\.(\\d+):(${escapeRegExp(prefix)}[^:]*)$`);
    let removed = 0;
    for await (const keys of scanKeys(connection, `${anyShardQueuePrefixGlob()}:${this.name}.*:${prefix}*`)) {
      const removals = keys.flatMap((key) => {
        const match = jobKey.exec(key);
        const index = Number(match?.[2]);
        const shard = match?.[1] === shardQueuePrefix(index) ? this.shards[index] : undefined;
        return shard ? [shard.remove(match![3]!).catch(() => 0)] : [];
      });
      removed += (await Promise.all(removals)).filter((n) => n === 1).length;
    }
    return removed;
  }

  async pause(): Promise<void> {
    await Promise.all(this.shards.map((q) => q.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.shards.map((q) => q.resume()));
  }

  async obliterate(): Promise<void> {
    await Promise.all(this.shards.map((q) => q.obliterate({ force: true })));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((q) => q.close()));
    this.ownConnection?.disconnect();
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
