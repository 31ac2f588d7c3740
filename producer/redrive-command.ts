import { defineCommand } from '../shared/cli/command.js';
import { campaignFlag, withCampaign, type CommandServices } from '../shared/cli/services.js';
import { failuresKey, type PoolAddress } from '../shared/ledger/keys.js';
import { poolAddresses, type CampaignRecord } from '../shared/ledger/ledger-types.js';
import { scanHashes } from '../shared/redis/scan-hashes.js';
import { parseGrabJobId, type GrabJob } from '../shared/queue/grab-job.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { defaultRetryBudget, grabJobOptions } from '../shared/enqueue/grab-enqueue.js';

const FAILED_PAGE = 1000;
const REJECTED = /^rejected: /;

export const redriveCommand = defineCommand({
  name: 'redrive',
  summary:
    'Enqueue the failed grabs of a campaign again, with a fresh retry ' +
    'budget (re-running it finishes a re-drive cut short)',
  example: 'grab redrive --campaign new-year && grab wait --campaign new-year',
  flags: (c) => c.addOption(campaignFlag()),
  async run({ campaign: campaignId }, { settings }) {
    return withCampaign(settings, campaignId, async (services) => {
      const { record } = services;
      const queue = await ShardedQueue.open(settings.queue, settings.queueShards, services.redis, {
        logger: settingsLogger('redrive', settings),
      });
      try {
        const found = await recordUnrecordedFailures(services, record, queue);
        const { redriven, stuck } = await redrive(services, record, queue);
        process.stdout.write(
          `re-drove ${redriven} failed grabs of ${campaignId}` +
            (found > 0 ? ` (${found} of them had failed in the queue without a recorded outcome)` : '') +
            `; follow them with grab wait --campaign ${campaignId}\n`,
        );
        if (stuck > 0) {
          process.stderr.write(
            `grab redrive: ${stuck} failed grabs were not enqueued by grab produce ` +
              `and their jobs are gone; they stay failed (see grab report)\n`,
          );
          return 1;
        }
      } finally {
        await queue.close();
      }
      return 0;
    });
  },
});

/** The pool, user and slot of a grab's job id, for the campaign's own (deterministic) ids. */
function parseJobId(
  record: CampaignRecord,
  jobId: string,
): { pool: PoolAddress; user: string; slot?: number } | undefined {
  const parsed = parseGrabJobId(record.campaignId, record.instance, jobId);
  const pool = parsed && poolAddresses(record).find((p) => p.poolId === parsed.pool);
  return pool && { ...parsed, pool };
}

/**
 * A job BullMQ failed while no worker could record it (one killed at that moment) is still
 * pending in the outcome log: it is recorded as failed first, so it is re-driven with the rest.
 */
async function recordUnrecordedFailures(
  { outcomes }: CommandServices,
  record: CampaignRecord,
  queue: ShardedQueue,
): Promise<number> {
  let found = 0;
  for (const shard of queue.shards) {
    for (let start = 0; ; start += FAILED_PAGE) {
      const jobs = await shard.getFailed(start, start + FAILED_PAGE - 1);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        const parsed = job.id ? parseJobId(record, job.id) : undefined;
        if (!parsed || REJECTED.test(job.failedReason ?? '')) continue;
        if ((await outcomes.outcomeOf(parsed.pool, job.id!)) !== 'pending') continue;
        await outcomes.record(parsed.pool, [
          { jobId: job.id!, outcome: 'failed', reason: job.failedReason || 'failed in the queue' },
        ]);
        found++;
      }
    }
  }
  return found;
}

/**
 * Puts every grab with a failure record back to pending, then back in the queue: its failed job
 * retried with its attempts reset, or, when BullMQ has already dropped that job, a new one under
 * the same id. A grab already waiting or running is left to its job.
 */
async function redrive(
  { redis, outcomes }: CommandServices,
  record: CampaignRecord,
  queue: ShardedQueue,
): Promise<{ redriven: number; stuck: number }> {
  const pools = poolAddresses(record);
  const failedByPool = pools.map((): string[] => []);
  await scanHashes(redis, pools.map(failuresKey), (i, fields) => {
    for (let f = 0; f < fields.length; f += 2) failedByPool[i]!.push(fields[f]!);
  });
  const jobOptions = grabJobOptions(defaultRetryBudget);
  let redriven = 0;
  let stuck = 0;
  for (const [i, jobIds] of failedByPool.entries()) {
    const pool = pools[i]!;
    const shard = queue.shardFor({ campaign: record.campaignId, pool: pool.poolId });
    for (const jobId of new Set(jobIds)) {
      const job = await shard.getJob(jobId);
      const parsed = parseJobId(record, jobId);
      if (!job && !parsed) {
        stuck++;
        continue;
      }
      // Pending first: a re-drive cut short here leaves the failure record, and the next one
      // finds the grab again.
      await outcomes.redrive(pool, [jobId]);
      if (!job) {
        const data: GrabJob = {
          campaign: record.campaignId,
          instance: record.instance,
          pool: pool.poolId,
          user: parsed!.user,
          ...(parsed!.slot === undefined ? {} : { slot: parsed!.slot }),
        };
        await queue.addBulk([{ name: 'grab', data, opts: { ...jobOptions, jobId } }]);
      } else if ((await job.getState()) === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
      redriven++;
    }
  }
  return { redriven, stuck };
}
