import type { Ledger } from '../shared/ledger/ledger.js';
import type { AdmittedGrab, CampaignRecord } from '../shared/ledger/ledger-types.js';
import { AdmissionDoor } from '../shared/enqueue/admission-door.js';
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
  /** Whether a sold-out, closed or expired pool's grabs are answered at the door (GRAB_ADMISSION). */
  door: boolean;
  /** Grabs per bulk add, at most. */
  maxBatch?: number;
  /** Bulk adds in flight at once; grabs that arrive meanwhile wait and go together in the next. */
  inFlight?: number;
  onBatch?: (size: number) => void;
  /** Told of each grab answered at the door, by its outcome. */
  onDoor?: (outcome: AdmittedGrab['outcome']) => void;
}

/** How a grab handed in ended: in the queue, pending; or settled at the door without being enqueued. */
export type Intake = { status: 'enqueued' } | { status: 'settled'; result: AdmittedGrab };

interface Waiting {
  campaign: CampaignRecord;
  job: GrabBulkJob;
  done: (intake: Intake | Error) => void;
}

const jobOptions = grabJobOptions(defaultRetryBudget);
const ENQUEUED: Intake = { status: 'enqueued' };
/** How long a pool the door found open goes without asking again. */
const OPEN_FOR_MS = 100;

/**
 * Coalesces the grabs that requests hand in during one turn of the event loop into bulk steps
 * through the producer's own path, so a thousand concurrent POSTs cost a few round trips, not a
 * thousand. Per pool, the ledger's admission step comes first (the door): a sold-out, closed or
 * expired pool settles its grabs there, marked enqueued and settled in one atomic step, and they
 * never reach the queue. The others go in with addBulk on the sharded queue, then the outcome
 * log's mark-enqueued step. While `inFlight` batches are out, new grabs gather for the next one:
 * under load the batches grow instead of the round trips. Job ids are deterministic, so a grab
 * posted twice is one grab: within a batch it is sent once, and both requests get its answer.
 */
export class GrabIntake {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private running = 0;
  /** Campaign instances whose queue is recorded (what `grab work`'s lock-family check reads). */
  private readonly recordedQueues = new Set<string>();
  private readonly door: AdmissionDoor | undefined;
  private readonly maxBatch: number;
  private readonly inFlight: number;

  constructor(private readonly options: GrabIntakeOptions) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.inFlight = options.inFlight ?? 4;
    this.door = options.door ? new AdmissionDoor(options.ledger, OPEN_FOR_MS) : undefined;
  }

  /** Resolves once the grab is in the queue and counted as pending, or settled at the door. */
  submit(campaign: CampaignRecord, data: GrabJob): Promise<Intake> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        campaign,
        job: grabBulkJob(data, jobOptions),
        done: (intake) => (intake instanceof Error ? reject(intake) : resolve(intake)),
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
    // Campaign instance -> pool -> job id -> the requests waiting for that grab.
    const grouped = new Map<CampaignRecord, Map<string, Map<string, Waiting[]>>>();
    for (const waiting of batch) {
      const pools = grouped.get(waiting.campaign) ?? new Map<string, Map<string, Waiting[]>>();
      grouped.set(waiting.campaign, pools);
      const jobs = pools.get(waiting.job.data.pool) ?? new Map<string, Waiting[]>();
      pools.set(waiting.job.data.pool, jobs);
      const same = jobs.get(waiting.job.opts.jobId!) ?? [];
      same.push(waiting);
      jobs.set(waiting.job.opts.jobId!, same);
    }
    await Promise.all([...grouped].map(([campaign, pools]) => this.sendCampaign(campaign, pools)));
  }

  private async sendCampaign(campaign: CampaignRecord, pools: Map<string, Map<string, Waiting[]>>): Promise<void> {
    const toQueue: Waiting[][] = [];
    try {
      await Promise.all(
        [...pools].map(async ([poolId, jobs]) => {
          const grabs = [...jobs.values()];
          if (this.door && (await this.admitted(this.door, campaign, poolId, grabs))) return;
          toQueue.push(...grabs);
        }),
      );
      if (toQueue.length > 0) {
        await this.recordQueue(campaign);
        await enqueueChunk(
          this.options.queue,
          this.options.outcomes,
          campaign,
          toQueue.map((same) => same[0]!.job),
        );
        for (const same of toQueue) for (const waiting of same) waiting.done(ENQUEUED);
      }
    } catch (err) {
      this.options.logger.warn({ err, campaign: campaign.campaignId }, 'bulk add of grabs failed');
      const failure = err instanceof Error ? err : new Error(String(err));
      for (const jobs of pools.values()) for (const same of jobs.values()) for (const w of same) w.done(failure);
    }
  }

  /** True if the pool settled these grabs at the door (each list: the requests for one grab). */
  private async admitted(
    door: AdmissionDoor,
    campaign: CampaignRecord,
    poolId: string,
    grabs: Waiting[][],
  ): Promise<boolean> {
    const settled = await door.settle(
      campaign,
      poolId,
      grabs.map((same) => ({ user: same[0]!.job.data.user, jobId: same[0]!.job.opts.jobId! })),
    );
    if (!settled) return false;
    settled.results.forEach((result, i) => {
      this.options.onDoor?.(result.outcome);
      for (const waiting of grabs[i]!) waiting.done({ status: 'settled', result });
    });
    return true;
  }

  private async recordQueue(campaign: CampaignRecord): Promise<void> {
    const key = `${campaign.campaignId}.${campaign.instance}`;
    if (this.recordedQueues.has(key)) return;
    await this.options.ledger.recordQueue(campaign, this.options.queue.name);
    this.recordedQueues.add(key);
  }
}
