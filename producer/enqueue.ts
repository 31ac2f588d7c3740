import { setTimeout as sleep } from 'node:timers/promises';
import type { JobsOptions } from 'bullmq';
import type { CampaignSpec } from '../shared/campaign/spec.js';
import { grabJobId, type GrabJob } from '../shared/queue/grab-job.js';
import type { GrabBulkJob, ShardedQueue } from '../shared/queue/sharded-queue.js';
import { poolChooser, type DistributionName } from './distribution.js';

/** Retries cover lost locks, fenced commits and outages; bad grabs fail at once (UnrecoverableError). */
export const grabJobOptions: JobsOptions = { attempts: 10, backoff: { type: 'exponential', delay: 200 } };

export interface EnqueueOptions {
  queue: ShardedQueue;
  spec: CampaignSpec;
  users: AsyncIterable<string>;
  distribution: DistributionName;
  chunkSize: number;
  /** addBulk chunks sent concurrently. */
  inFlight: number;
  /** Pause while the queue's shards hold more waiting jobs than this, together. */
  maxBacklog?: number | undefined;
  /** Grabs per second, at most. */
  rate?: number | undefined;
  onProgress?: (sent: number) => void;
}

const CHUNK_ATTEMPTS = 5;

/**
 * A chunk that failed (say, Redis restarted mid-pipeline) may be partly in the queue. Job ids
 * are deterministic, so sending it again adds only what is missing.
 */
async function addWithRetries(queue: ShardedQueue, chunk: GrabBulkJob[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.addBulk(chunk);
      return;
    } catch (err) {
      if (attempt >= CHUNK_ATTEMPTS) throw err;
      await sleep(500 * attempt);
    }
  }
}

/**
 * Streams one grab job per user into the queue: memory holds only the chunks in flight, never
 * the whole campaign. Job ids are deterministic, so re-sending a chunk, or re-running the whole
 * producer after a crash, adds no grab twice.
 */
export async function enqueueGrabs(options: EnqueueOptions): Promise<number> {
  const { queue, spec, chunkSize } = options;
  const choosePool = poolChooser(options.distribution, spec.pools.length);
  const pending = new Set<Promise<void>>();
  const startedAt = Date.now();
  let sent = 0;
  let failure: unknown;

  const send = async (chunk: GrabBulkJob[]) => {
    while (pending.size >= options.inFlight) await Promise.race(pending);
    if (failure) throw failure;
    if (options.maxBacklog !== undefined) {
      while ((await queue.waitingCount()) > options.maxBacklog) await sleep(200);
    }
    if (options.rate !== undefined) {
      const dueAt = startedAt + ((sent + chunk.length) / options.rate) * 1000;
      if (dueAt > Date.now()) await sleep(dueAt - Date.now());
    }
    const request = addWithRetries(queue, chunk).then(
      () => {
        sent += chunk.length;
        options.onProgress?.(sent);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = request.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  let chunk: GrabBulkJob[] = [];
  for await (const user of options.users) {
    const data: GrabJob = { campaign: spec.id, pool: spec.pools[choosePool(user)]!.id, user };
    chunk.push({ name: 'grab', data, opts: { ...grabJobOptions, jobId: grabJobId(data) } });
    if (chunk.length === chunkSize) {
      await send(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await send(chunk);
  await Promise.all(pending);
  if (failure) throw failure;
  return sent;
}
