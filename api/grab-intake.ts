import type { Ledger, CampaignRecord } from '../shared/ledger/ledger.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Logger } from '../shared/logging/logger.js';
import { defaultRetryBudget, enqueueChunk, grabBulkJob, grabJobOptions } from '../shared/enqueue/grab-enqueue.js';
import type { GrabJob } from '../shared/queue/grab-job.js';
import type { GrabBulkJob, ShardedQueue } from '../shared/queue/sharded-queue.js';

export interface GrabIntakeOptions {
  queue: ShardedQueue;
  ledger: Ledger;
  outcomes: OutcomeLog;
  logger: Logger;
  /** Grabs per bulk add, at most. */
  maxBatch?: number;
  /** Bulk adds in flight at once; grabs that arrive meanwhile wait and go together in the next. */
  inFlight?: number;
  onBatch?: (size: number) => void;
}

interface Waiting {
  campaign: CampaignRecord;
  job: GrabBulkJob;
  done: (err?: unknown) => void;
}

const jobOptions = grabJobOptions(defaultRetryBudget);

/**
 * Coalesces the grabs that requests hand in during one turn of the event loop into bulk adds
 * through the producer's own path (addBulk on the sharded queue, then the outcome log's
 * mark-enqueued step), so a thousand concurrent POSTs cost a few round trips, not a thousand.
 * While `inFlight` bulk adds are out, new grabs gather for the next one: under load the batches
 * grow instead of the round trips. Job ids are deterministic, so a grab posted twice is one grab.
 */
export class GrabIntake {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private running = 0;
  /** Campaign instances whose queue is recorded (what `grab work`'s lock-family check reads). */
  private readonly recordedQueues = new Set<string>();
  private readonly maxBatch: number;
  private readonly inFlight: number;

  constructor(private readonly options: GrabIntakeOptions) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.inFlight = options.inFlight ?? 4;
  }

  /** Resolves once the grab is in the queue and counted as pending. */
  submit(campaign: CampaignRecord, data: GrabJob): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        campaign,
        job: grabBulkJob(data, jobOptions),
        done: (err) => (err === undefined ? resolve() : reject(err)),
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private drain(): void {
    while (this.running < this.inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.running++;
      void this.send(batch).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    const byCampaign = new Map<CampaignRecord, GrabBulkJob[]>();
    for (const { campaign, job } of batch) {
      const jobs = byCampaign.get(campaign) ?? [];
      jobs.push(job);
      byCampaign.set(campaign, jobs);
    }
    try {
      await Promise.all(
        [...byCampaign].map(async ([campaign, jobs]) => {
          await this.recordQueue(campaign);
          await enqueueChunk(this.options.queue, this.options.outcomes, campaign, jobs);
        }),
      );
      for (const waiting of batch) waiting.done();
    } catch (err) {
      this.options.logger.warn({ err, grabs: batch.length }, 'bulk add of grabs failed');
      for (const waiting of batch) waiting.done(err);
    }
  }

  private async recordQueue(campaign: CampaignRecord): Promise<void> {
    const key = `${campaign.campaignId}.${campaign.instance}`;
    if (this.recordedQueues.has(key)) return;
    await this.options.ledger.recordQueue(campaign, this.options.queue.name);
    this.recordedQueues.add(key);
  }
}
