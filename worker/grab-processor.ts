import { UnrecoverableError, type Job } from 'bullmq';
import { idSchema } from '../shared/campaign/spec.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import { grabJobSchema, type GrabResult } from '../shared/queue/grab-job.js';
import type { CampaignDirectory } from './campaign-directory.js';
import type { PoolBatcher } from './pool-batcher.js';

export interface GrabProcessorDeps {
  campaigns: CampaignDirectory;
  batcher: PoolBatcher;
  outcomes: OutcomeLog;
}

/**
 * The BullMQ processor: validates the payload at the edge, finds the pool, and hands the grab to
 * its pool's batch. A grab that can never succeed is rejected: recorded, and failed without retry.
 */
export function createGrabProcessor({ campaigns, batcher, outcomes }: GrabProcessorDeps) {
  const reject = async (job: Job, reason: string): Promise<never> => {
    const campaign = idSchema.safeParse((job.data as { campaign?: unknown } | null)?.campaign);
    if (campaign.success && job.id) await outcomes.recordRejected(campaign.data, job.id, reason);
    throw new UnrecoverableError(`rejected: ${reason}`);
  };

  return async (job: Job): Promise<GrabResult> => {
    const parsed = grabJobSchema.safeParse(job.data);
    if (!parsed.success) {
      return reject(job, `malformed grab: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}`);
    }
    const { campaign, pool, user } = parsed.data;
    const ref = await campaigns.pool(campaign, pool);
    if (!ref) return reject(job, `unknown pool "${pool}" of campaign "${campaign}"`);
    return batcher.submit(ref, { user, jobId: job.id! });
  };
}
