import { Queue, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { shardCountKey, shardQueuePrefix } from './queue-names.js';
import { shardOfPayload, shardQueueName } from './queue-shards.js';
import { recordedShardCount } from './sharded-queue.js';

export interface ReshardOptions {
  /** How long the grabs in flight may take to finish once every shard is paused. */
  drainTimeoutMs: number;
  /**
   * How long to wait before the second pass: a producer that read the old count just before it
   * changed may still add a chunk to an old shard; the second pass moves it.
   */
  settleMs: number;
  onProgress?: (line: string) => void;
}

export interface ReshardResult {
  queue: string;
  from: number;
  to: number;
  /** Jobs moved to the shard their pool maps to under the new count. */
  moved: number;
}

/** The grabs that wait for a worker, in every state a shard keeps them. */
const MOVABLE = ['waiting', 'prioritized', 'delayed'] as const;
const PAGE = 1000;
const POLL_MS = 100;

export class ReshardRefused extends Error {
  override readonly name = 'ReshardRefused';
}

/**
 * Changes a live queue's shard count without losing a grab: pauses every shard, waits for the
 * grabs in flight, records the new count, moves each waiting or delayed grab to the shard its
 * pool maps to under that count (same job id, what is left of its attempts), and resumes. Then
 * a second pass catches what a producer added on the old count meanwhile. Running workers and
 * producers follow the recorded count by themselves. A run cut short leaves the shards paused,
 * and nothing lost: running it again finishes it.
 */
export async function reshardQueue(
  redis: RedisClient,
  queue: string,
  to: number,
  options: ReshardOptions,
): Promise<ReshardResult> {
  const progress = options.onProgress ?? (() => undefined);
  const from = await recordedShardCount(redis, queue);
  if (from === undefined)
    throw new ReshardRefused(
      `queue "${queue}" has no recorded shard count (nothing was enqueued on it yet): ` +
        `start it with GRAB_QUEUE_SHARDS=${to} (--queue-shards ${to}) instead`,
    );
  const shards = Array.from(
    { length: Math.max(from, to) },
    (_, i) => new Queue(shardQueueName(queue, i), { connection: redis, prefix: shardQueuePrefix(i) }),
  );
  try {
    progress(`pausing ${shards.length} shards of "${queue}" and waiting for the grabs in flight`);
    let moved = await movePass(shards, to, options.drainTimeoutMs, async () => {
      await redis.set(shardCountKey(queue), to);
      progress(`recorded ${to} shards; moving waiting grabs`);
    });
    await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    moved += await movePass(shards, to, options.drainTimeoutMs);
    return { queue, from, to, moved };
  } finally {
    await Promise.all(shards.map((q) => q.close()));
  }
}

/** Pauses every shard, waits until none has a grab in flight, runs `whileDrained`, moves, resumes. */
async function movePass(
  shards: Queue[],
  to: number,
  drainTimeoutMs: number,
  whileDrained?: () => Promise<void>,
): Promise<number> {
  await Promise.all(shards.map((q) => q.pause()));
  await waitDrained(shards, drainTimeoutMs);
  await whileDrained?.();
  let moved = 0;
  for (const [index, shard] of shards.entries()) moved += await moveMisplaced(shard, index, shards, to);
  await Promise.all(shards.map((q) => q.resume()));
  return moved;
}

async function waitDrained(shards: Queue[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = (await Promise.all(shards.map((q) => q.getActiveCount()))).reduce((a, b) => a + b, 0);
    if (active === 0) return;
    if (Date.now() > deadline)
      throw new ReshardRefused(
        `${active} grabs were still in flight after ${timeoutMs} ms; the shards stay paused and ` +
          `nothing is lost: run grab queue reshard again (a longer --drain-timeout-ms if workers are slow)`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function moveMisplaced(shard: Queue, index: number, shards: Queue[], to: number): Promise<number> {
  let moved = 0;
  for (const state of MOVABLE) {
    // Moved jobs leave the listing, so the next page starts after the ones that stayed.
    for (let stayed = 0; ; ) {
      const jobs = await shard.getJobs([state], stayed, stayed + PAGE - 1, true);
      if (jobs.length === 0) break;
      const byTarget = new Map<number, Job[]>();
      for (const job of jobs) {
        const target = shardOfPayload(job.data, to);
        if (target === index) {
          stayed++;
          continue;
        }
        byTarget.set(target, [...(byTarget.get(target) ?? []), job]);
        moved++;
      }
      await Promise.all([...byTarget].map(([target, group]) => moveJobs(group, shards[target]!)));
    }
  }
  return moved;
}

/**
 * Adds the jobs to their new shard under the same ids before they leave the old one: cut short
 * in between, a grab is in both, and its id gives it one outcome however often it is delivered.
 * A delayed grab is due at once in its new shard; each keeps what is left of its attempts.
 */
async function moveJobs(jobs: Job[], target: Queue): Promise<void> {
  await target.addBulk(
    jobs.map((job) => ({
      name: job.name,
      data: job.data,
      opts: {
        ...job.opts,
        jobId: job.id!,
        attempts: Math.max(1, (job.opts.attempts ?? 1) - job.attemptsMade),
        delay: 0,
      },
    })),
  );
  await Promise.all(jobs.map((job) => job.remove()));
}
