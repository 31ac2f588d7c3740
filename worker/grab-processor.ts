import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { idSchema } from '../shared/campaign/spec.js';
import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Logger } from '../shared/logging/logger.js';
import { grabJobSchema, type GrabJob, type GrabResult } from '../shared/queue/grab-job.js';
import type { CampaignDirectory, PoolLookup } from './campaign-directory.js';
import { PoolPausedError } from './deductions.js';
import type { PoolBatcher } from './pool-batcher.js';
import { isTransient } from './transient-errors.js';

export interface GrabProcessorDeps {
  campaigns: CampaignDirectory;
  batcher: PoolBatcher;
  outcomes: OutcomeLog;
  logger: Logger;
  /** How long a grab put back during an outage waits before it is tried again. */
  postponeMs: number;
  /** Told of grabs handled without settling: put back, or dropped with their deleted campaign. */
  onUnsettled: (outcome: 'postponed' | 'discarded') => void;
}

/** What a job of a deleted campaign instance returns: it is dropped, and nothing is recorded. */
export interface DiscardedGrab {
  outcome: 'discarded';
  reason: string;
}

const isFinalAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * The BullMQ processor: validates the payload at the edge, finds the pool of the grab's campaign
 * instance, and hands the grab to its pool's batch. Every grab of a live campaign ends in one
 * recorded outcome:
 * - a grab that can never succeed is rejected: recorded, and failed without retry;
 * - a grab that meets an outage, a lost lock or a paused pool is put back without spending an
 *   attempt;
 * - a grab that fails its last attempt is recorded as failed, with the reason, for `grab redrive`.
 * A grab of a deleted campaign instance is dropped: nothing of it may touch a successor.
 */
export function createGrabProcessor({
  campaigns,
  batcher,
  outcomes,
  logger,
  postponeMs,
  onUnsettled,
}: GrabProcessorDeps) {
  const wrongLockReported = new Set<string>();

  const reject = async (
    job: Job,
    reason: string,
    campaign?: Pick<GrabJob, 'campaign' | 'instance'>,
  ): Promise<never> => {
    if (campaign && job.id)
      await outcomes.recordRejected({ campaignId: campaign.campaign, instance: campaign.instance }, job.id, reason);
    throw new UnrecoverableError(`rejected: ${reason}`);
  };

  const discard = (campaignId: string, reason: string): DiscardedGrab => {
    campaigns.forget(campaignId);
    onUnsettled('discarded');
    return { outcome: 'discarded', reason };
  };

  const postpone = async (job: Job, token: string | undefined, cause: unknown): Promise<never> => {
    try {
      await job.moveToDelayed(Date.now() + postponeMs, token);
    } catch {
      // The queue is unreachable too: the job's lock runs out and stall detection redelivers it.
      throw cause;
    }
    onUnsettled('postponed');
    throw new DelayedError();
  };

  return async (job: Job, token?: string): Promise<GrabResult | DiscardedGrab> => {
    const parsed = grabJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`);
      const reason = `malformed grab: ${issues.join('; ')}`;
      // Counted against the campaign it names: the instance it names, or else the current one.
      const data = job.data as { campaign?: unknown; instance?: unknown } | null;
      const campaign = idSchema.safeParse(data?.campaign);
      if (!campaign.success) return reject(job, reason);
      const instance =
        typeof data?.instance === 'number' && Number.isSafeInteger(data.instance)
          ? data.instance
          : (await campaigns.current(campaign.data))?.instance;
      return reject(job, reason, instance === undefined ? undefined : { campaign: campaign.data, instance });
    }
    const grab = parsed.data;
    let lookup: PoolLookup;
    try {
      lookup = await campaigns.lookup(grab.campaign, grab.instance, grab.pool);
    } catch (err) {
      if (isTransient(err)) return postpone(job, token, err);
      throw err;
    }
    switch (lookup.status) {
      case 'gone':
        return discard(grab.campaign, `campaign "${grab.campaign}" instance ${grab.instance} was deleted`);
      case 'unknown_pool':
        return reject(job, `unknown pool "${grab.pool}" of campaign "${grab.campaign}"`, grab);
      case 'wrong_lock':
        if (!wrongLockReported.has(grab.campaign)) {
          wrongLockReported.add(grab.campaign);
          logger.error(
            { campaign: grab.campaign, recordedLock: lookup.family },
            `campaign is settled under --lock ${lookup.family}; this worker's fencing ` +
              `tokens cannot be compared with those, so it leaves its grabs to workers ` +
              `of that lock`,
          );
        }
        return postpone(job, token, new Error(`campaign ${grab.campaign} is settled under --lock ${lookup.family}`));
      case 'ok':
        break;
    }
    try {
      return await batcher.submit(lookup.pool, { user: grab.user, jobId: job.id! });
    } catch (err) {
      if (err instanceof UnknownPoolError)
        return discard(grab.campaign, `campaign "${grab.campaign}" instance ${grab.instance} was deleted`);
      // A paused pool's grab waits for the resume, however long, without spending an attempt.
      if (isTransient(err) || err instanceof PoolPausedError) return postpone(job, token, err);
      if (isFinalAttempt(job)) await recordFailure(outcomes, lookup.pool, job.id!, err);
      throw err;
    }
  };
}

/** Records a grab as failed for good, with its reason, unless it was settled meanwhile. */
export async function recordFailure(
  outcomes: OutcomeLog,
  pool: Parameters<OutcomeLog['record']>[0],
  jobId: string,
  err: unknown,
): Promise<void> {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  await outcomes.record(pool, [{ jobId, outcome: 'failed', reason }]);
}
