import type { JobsOptions } from 'bullmq';
import { poolAddress, type CampaignRecord } from '../ledger/ledger-types.js';
import type { OutcomeLog } from '../ledger/outcome-log.js';
import { grabJobId, type GrabJob } from '../queue/grab-job.js';
import type { GrabBulkJob, ShardedQueue } from '../queue/sharded-queue.js';

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

/** A grab as BullMQ's addBulk takes it, under its deterministic job id. */
export const grabBulkJob = (data: GrabJob, jobOptions: JobsOptions): GrabBulkJob => ({
  name: 'grab',
  data,
  opts: { ...jobOptions, jobId: grabJobId(data) },
});

/** Grabs grouped by their pool, in order. */
export function jobsByPool(jobs: readonly GrabBulkJob[]): Map<string, GrabBulkJob[]> {
  const byPool = new Map<string, GrabBulkJob[]>();
  for (const job of jobs) {
    const same = byPool.get(job.data.pool) ?? [];
    same.push(job);
    byPool.set(job.data.pool, same);
  }
  return byPool;
}

/**
 * Records grabs as pending in their pools' outcome logs, after the queue has taken them: a grab
 * is counted once, however often it is sent. Returns how many were new.
 */
async function markEnqueued(
  outcomes: OutcomeLog,
  campaign: CampaignRecord,
  jobs: readonly GrabBulkJob[],
): Promise<number> {
  const added = await Promise.all(
    [...jobsByPool(jobs)].map(([pool, same]) =>
      outcomes.markEnqueued(
        poolAddress(campaign, pool),
        same.map((job) => job.opts.jobId!),
      ),
    ),
  );
  return added.reduce((a, b) => a + b, 0);
}

/**
 * The one way grabs enter the queue: each into its pool's shard (addBulk), then marked pending.
 * Job ids are deterministic, so sending the same grabs again adds and counts nothing twice.
 */
export async function enqueueChunk(
  queue: ShardedQueue,
  outcomes: OutcomeLog,
  campaign: CampaignRecord,
  jobs: readonly GrabBulkJob[],
): Promise<number> {
  await queue.addBulk(jobs);
  return markEnqueued(outcomes, campaign, jobs);
}
