import { setTimeout as sleep } from 'node:timers/promises';
import type { GrabSlots } from '../shared/ledger/grab-slots.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { CampaignRecord } from '../shared/ledger/ledger-types.js';
import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { GrabJob } from '../shared/queue/grab-job.js';
import {
  defaultRetryBudget,
  enqueueChunk,
  grabBulkJob,
  grabJobOptions,
  jobsByPool,
  type RetryBudget,
} from '../shared/enqueue/grab-enqueue.js';
import type { GrabBulkJob, ShardedQueue } from '../shared/queue/sharded-queue.js';
import { poolChooser, type DistributionName } from '../shared/enqueue/distribution.js';
import type { AdmissionDoor } from '../shared/enqueue/admission-door.js';
import { SlotNumbering, type NumberedGrab } from './slot-numbering.js';

export interface EnqueueOptions {
  queue: ShardedQueue;
  campaign: CampaignRecord;
  /** Where the campaign notes the queue its grabs go through. */
  ledger: Ledger;
  /** Where each chunk's grabs are recorded as pending once the queue has taken them. */
  outcomes: OutcomeLog;
  /** Numbers the user source and gives its grabs their slots. */
  slots: GrabSlots;
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
  /** Settles the grabs of sold-out, closed or expired pools before the queue; all are enqueued when absent. */
  door?: AdmissionDoor | undefined;
  /** Told after each chunk: grabs sent so far, and how many of them were settled at the door. */
  onProgress?: (sent: number, settledAtDoor: number) => void;
}

export interface EnqueueResult {
  /** Grabs sent to the queue, one per user line. */
  sent: number;
  /** Grabs the campaign had not seen before: sent minus the grabs earlier runs over the same source enqueued. */
  added: number;
  /** Grabs sent that their pool settled at the door, sold out, closed or expired: they never entered the queue. */
  settledAtDoor: number;
}

interface ChunkSent {
  added: number;
  settledAtDoor: number;
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

/** Settles at the door what the grabs' pools turn away, and enqueues the rest. */
async function sendChunk(
  { queue, outcomes, campaign, door }: EnqueueOptions,
  chunk: readonly GrabBulkJob[],
): Promise<ChunkSent> {
  if (!door) return { added: await enqueueChunk(queue, outcomes, campaign, chunk), settledAtDoor: 0 };
  const sent: ChunkSent = { added: 0, settledAtDoor: 0 };
  const toQueue: GrabBulkJob[] = [];
  await Promise.all(
    [...jobsByPool(chunk)].map(async ([poolId, jobs]) => {
      const grabs = jobs.map((job) => ({ user: job.data.user, jobId: job.opts.jobId! }));
      const settled = await door.settle(campaign, poolId, grabs);
      if (!settled) return toQueue.push(...jobs);
      sent.added += settled.added;
      sent.settledAtDoor += jobs.length;
    }),
  );
  if (toQueue.length > 0) sent.added += await enqueueChunk(queue, outcomes, campaign, toQueue);
  return sent;
}

/**
 * Streams one grab job per user into the queue: memory holds only the chunks in flight, never
 * the whole campaign. Each grab gets a slot, its place among its pool's grabs in the source, so
 * its job id is a function of its position: re-sending a chunk, re-running the whole producer
 * after a crash, or re-running it over a longer list (users appended), adds no grab twice, and
 * each grab is counted once. Another list (another first user) is another source, whose grabs
 * are all new. A user listed twice is two grabs (the second is a `duplicate` if the first got a
 * packet). With a door, the grabs of a pool that can hand out nothing more are settled before
 * the queue, in one script per pool and chunk, and never become jobs.
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
  let settledAtDoor = 0;
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
    // The counts move together, once a chunk is done: progress never counts a chunk half.
    const request = withRetries(() => sendChunk(options, chunk)).then(
      (chunkSent) => {
        sent += chunk.length;
        added += chunkSent.added;
        settledAtDoor += chunkSent.settledAtDoor;
        options.onProgress?.(sent, settledAtDoor);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = request.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  // The source is named by its distribution and first user: a re-run, or a longer list with
  // users appended, is the same source, and numbers every grab as before.
  let numbering: SlotNumbering | undefined;
  let chunk: { user: string; grab: NumberedGrab }[] = [];
  const flush = async () => {
    const slots = await numbering!.slotsOf(chunk.map((c) => c.grab));
    const jobs = chunk.map(({ user, grab }, i): GrabBulkJob => {
      const data: GrabJob = { campaign: spec.id, instance, pool: spec.pools[grab.pool]!.id, user, slot: slots[i]! };
      return grabBulkJob(data, jobOptions);
    });
    chunk = [];
    await send(jobs);
  };
  for await (const user of options.users) {
    numbering ??= new SlotNumbering(
      options.slots,
      campaign,
      await options.slots.source(campaign, `${options.distribution}:${user}`),
    );
    chunk.push({ user, grab: numbering.next(choosePool(user)) });
    if (chunk.length === chunkSize) await flush();
  }
  if (chunk.length > 0) await flush();
  await Promise.all(pending);
  if (failure) throw failure;
  return { sent, added, settledAtDoor };
}
