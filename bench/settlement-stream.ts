import { Cluster } from 'ioredis';
import { duplicateClient, type RedisClient } from '../shared/redis/connection.js';
import type { ShardedQueue } from '../shared/queue/sharded-queue.js';

/** Entries taken from each shard's stream per read; BullMQ keeps about 10,000 per stream. */
const READ_COUNT = 5000;
const BLOCK_MS = 200;

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * Follows the BullMQ event streams of every shard on one blocking connection (one per shard on
 * a Redis Cluster, where one read cannot span the shards' slots), reading from
 * where the previous read stopped, and reports each job that completed or finally failed with
 * the time Redis added that event (the milliseconds of its stream id). A worker records a
 * grab's outcome before its job completes, so this time comes one queue round trip after the
 * outcome: an upper bound for it, on Redis's clock, however late the reader gets to it.
 */
export class SettlementStream {
  private stopped = false;
  private failure: unknown;
  private readonly reading: Promise<void>;
  private readonly connections: RedisClient[];

  private constructor(redis: RedisClient, keys: readonly string[], onSettled: (jobId: string, atMs: number) => void) {
    const groups = redis instanceof Cluster ? keys.map((key) => [key]) : [keys];
    this.connections = groups.map(() => duplicateClient(redis, { enableAutoPipelining: false }));
    this.reading = Promise.all(
      groups.map((group, i) =>
        this.follow(this.connections[i]!, group, onSettled).catch((err: unknown) => {
          if (!this.stopped) this.failure = err;
        }),
      ),
    ).then(() => undefined);
  }

  /** Starts at the beginning of the streams: events of jobs nobody asks about are skipped. */
  static start(
    redis: RedisClient,
    queue: ShardedQueue,
    onSettled: (jobId: string, atMs: number) => void,
  ): SettlementStream {
    return new SettlementStream(
      redis,
      queue.shards.map((shard) => shard.keys.events!),
      onSettled,
    );
  }

  /** Throws what stopped the reading, if anything did. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reading;
    for (const connection of this.connections) connection.disconnect();
  }

  private async follow(
    connection: RedisClient,
    keys: readonly string[],
    onSettled: (jobId: string, atMs: number) => void,
  ): Promise<void> {
    const lastIds = keys.map(() => '0-0');
    const shardOf = new Map(keys.map((key, i) => [key, i]));
    while (!this.stopped) {
      const reply = (await connection.xread(
        'COUNT',
        READ_COUNT,
        'BLOCK',
        BLOCK_MS,
        'STREAMS',
        ...keys,
        ...lastIds,
      )) as StreamReply;
      for (const [key, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const event = field(fields, 'event');
          if (event === 'completed' || event === 'failed') {
            const jobId = field(fields, 'jobId');
            if (jobId !== undefined) onSettled(jobId, Number(id.slice(0, id.indexOf('-'))));
          }
        }
        const last = entries.at(-1);
        if (last) lastIds[shardOf.get(key)!] = last[0];
      }
    }
  }
}

function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
