import { Queue, type Job, type JobsOptions, type JobType } from 'bullmq';
import { duplicateClient, type RedisClient } from '../redis/connection.js';
import { scanKeys } from '../redis/scan-keys.js';
import type { Logger } from '../logging/logger.js';
import type { GrabJob } from './grab-job.js';
import { ShardCountMismatch } from './queue-errors.js';
import { QUEUE_PREFIX, shardQueuePrefix } from './queue-names.js';
import { shardOf, shardQueueName } from './queue-shards.js';

export interface GrabBulkJob {
  name: string;
  data: GrabJob;
  opts: JobsOptions;
}

/** Where the shard count of a queue is recorded, so producers and workers that disagree are refused. */
export const shardCountKey = (queue: string): string => `${QUEUE_PREFIX}:${queue}:shards`;

/** The grab queue as its shards: each grab goes to the shard of its pool. */
export class ShardedQueue {
  private constructor(
    readonly name: string,
    readonly shards: readonly Queue[],
    private readonly ownConnection: RedisClient | undefined,
  ) {}

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
    const queues = Array.from(
      { length: shards },
      (_, i) => new Queue(shardQueueName(name, i), { connection: client, prefix: shardQueuePrefix(i) }),
    );
    const { logger } = options;
    if (logger) {
      // The shards share the connection, so each of its errors reaches every shard: log it once.
      let last: unknown;
      const onError = (err: Error) => {
        if (err === last) return;
        last = err;
        logger.error({ err, queue: name }, 'queue error');
      };
      for (const queue of queues) queue.on('error', onError);
    }
    return new ShardedQueue(name, queues, own);
  }

  /** The shard a job goes to: its pool's, or the first for a payload that names no pool (it is rejected there). */
  shardFor(data: unknown): Queue {
    const { campaign, pool } = (data ?? {}) as { campaign?: unknown; pool?: unknown };
    const index =
      typeof campaign === 'string' && typeof pool === 'string' ? shardOf(campaign, pool, this.shards.length) : 0;
    return this.shards[index]!;
  }

  /** Adds each job to its shard; the jobs come back grouped by shard. */
  async addBulk(jobs: readonly GrabBulkJob[]): Promise<Job[]> {
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
    const perShard = await Promise.all(this.shards.map((q) => q.getJobCounts(...types)));
    const total: Record<string, number> = {};
    for (const counts of perShard)
      for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
    return total;
  }

  async waitingCount(): Promise<number> {
    return (await Promise.all(this.shards.map((q) => q.getWaitingCount()))).reduce((a, b) => a + b, 0);
  }

  /**
   * Removes every job whose id starts with `prefix` (one campaign instance's grabs) from every
   * shard: waiting, delayed, finished and failed. A job a worker is running stays, and that
   * worker drops it. Finds them with one SCAN over the queue's job keys (of every master, on a
   * cluster); returns how many went.
   */
  async removeJobs(prefix: string, connection: RedisClient): Promise<number> {
    const jobKey = new RegExp(
      `^(\\{grab\\.\\d+\\}):${escapeRegExp(this.name)}\\.(\\d+):(${escapeRegExp(prefix)}[^:]*)$`,
    );
    let removed = 0;
    for await (const keys of scanKeys(connection, `{grab.*}:${this.name}.*:${prefix}*`)) {
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
