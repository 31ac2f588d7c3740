import { setTimeout as sleep } from 'node:timers/promises';
import type { JobsOptions } from 'bullmq';
import { poolAddress, type CampaignRecord, type Ledger } from '../shared/ledger/ledger.js';
import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import { grabJobId, type GrabJob } from '../shared/queue/grab-job.js';
import type { GrabBulkJob, ShardedQueue } from '../shared/queue/sharded-queue.js';
import { poolChooser, type DistributionName } from './distribution.js';

/** A grab's retry budget: attempts, with exponential backoff from `backoffMs`. */
export interface RetryBudget {
  attempts: number;
  backoffMs: number;
}

/**
 * Retries cover errors in the grab's own processing; outages and lost locks put a grab back
 * without spending an attempt, and bad grabs fail at once (UnrecoverableError).
 */
export const defaultRetryBudget: RetryBudget = { attempts: 10, backoffMs: 200 };

export const grabJobOptions = ({ attempts, backoffMs }: RetryBudget): JobsOptions => ({
  attempts,
  backoff: { type: 'exponential', delay: backoffMs },
});

export interface EnqueueOptions {
  queue: ShardedQueue;
  campaign: CampaignRecord;
  /** Where the campaign notes the queue its grabs go through. */
  ledger: Ledger;
  /** Where each chunk's grabs are recorded as pending once the queue has taken them. */
  outcomes: OutcomeLog;
  retry?: RetryBudget;
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

export interface EnqueueResult {
  /** Grabs sent to the queue, one per user line. */
  sent: number;
  /** Grabs the campaign had not seen before: sent minus repeated users and grabs enqueued by earlier runs. */
  added: number;
}

const CHUNK_ATTEMPTS = 5;

/**
 * A chunk that failed (say, Redis restarted mid-pipeline) may be partly in the queue. Job ids
 * are deterministic, so sending it again adds only what is missing.
 */
async function withRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= CHUNK_ATTEMPTS || err instanceof UnknownPoolError) throw err;
      await sleep(500 * attempt);
    }
  }
}

/**
 * Records a chunk's grabs as pending in their pools' outcome logs, after the queue has taken
 * them: a grab is counted once, however often it is sent. Returns how many were new.
 */
async function markChunk(options: EnqueueOptions, chunk: GrabBulkJob[]): Promise<number> {
  const byPool = new Map<string, string[]>();
  for (const job of chunk) {
    const ids = byPool.get(job.data.pool) ?? [];
    ids.push(job.opts.jobId!);
    byPool.set(job.data.pool, ids);
  }
  const added = await Promise.all(
    [...byPool].map(([pool, ids]) => options.outcomes.markEnqueued(poolAddress(options.campaign, pool), ids)),
  );
  return added.reduce((a, b) => a + b, 0);
}

/**
 * Streams one grab job per user into the queue: memory holds only the chunks in flight, never
 * the whole campaign. Job ids are deterministic, so re-sending a chunk, or re-running the whole
 * producer after a crash, adds no grab twice, and each grab is counted once.
 */
export async function enqueueGrabs(options: EnqueueOptions): Promise<EnqueueResult> {
  const { queue, campaign, chunkSize } = options;
  const { spec, instance } = campaign;
  const jobOptions = grabJobOptions(options.retry ?? defaultRetryBudget);
  const choosePool = poolChooser(options.distribution, spec.pools.length);
  await options.ledger.recordQueue(campaign, queue.name);
  const pending = new Set<Promise<void>>();
  const startedAt = Date.now();
  let sent = 0;
  let added = 0;
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
    const request = (async () => {
      await withRetries(() => queue.addBulk(chunk));
      // Not `added += await ...`: that reads `added` before the await, losing the other chunks' counts.
      const newGrabs = await withRetries(() => markChunk(options, chunk));
      added += newGrabs;
    })().then(
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
    const data: GrabJob = { campaign: spec.id, instance, pool: spec.pools[choosePool(user)]!.id, user };
    chunk.push({ name: 'grab', data, opts: { ...jobOptions, jobId: grabJobId(data) } });
    if (chunk.length === chunkSize) {
      await send(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await send(chunk);
  await Promise.all(pending);
  if (failure) throw failure;
  return { sent, added };
}
