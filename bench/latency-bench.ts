import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { CampaignSpec } from '../shared/campaign/spec.js';
import type { CampaignRecord } from '../shared/ledger/ledger-types.js';
import type { Logger } from '../shared/logging/logger.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { buildReport } from '../producer/campaign-report.js';
import { enqueueGrabs } from '../producer/enqueue.js';
import { runVariant, startWorker, stopWorker, untilConsuming, variants, type VariantRunOptions } from './e2e-bench.js';
import { LevelRecorder, type LatencyRow } from './level-recorder.js';
import { batchSize, RateSchedule, scheduledUsers } from './rate-schedule.js';
import { SettlementStream } from './settlement-stream.js';

/** The fleet strategies (`grab work` flags) a latency run can use: every e2e variant but the ceiling. */
export const strategies = variants.filter((v) => v.workArgs !== undefined);
const ceilingVariant = variants.find((v) => v.workArgs === undefined)!;

export interface LatencyBenchOptions extends VariantRunOptions {
  logger: Logger;
  /** Fractions of the ceiling's rate, one load level each, in this order. */
  loads: readonly number[];
  seconds: number;
  warmupSeconds: number;
  strategy: string;
  pools: number;
  /** Grabs the no-op ceiling drains to measure its rate. */
  ceilingGrabs: number;
  onRow?: (row: LatencyRow) => void;
}

/** A batch of grabs goes out about this often: small batches, so grabs wait little to be sent. */
const SEND_TICK_MS = 2;
/** addBulk chunks in flight at most: far above what the levels need, a bound should Redis stall. */
const MAX_IN_FLIGHT = 10_000;

/**
 * First the no-op ceiling drains a filled queue with the fleet's shape; then a real fleet gets
 * grabs at a fixed rate, a fraction of that ceiling per level, through the producer's own enqueue
 * path, and each grab's latency is measured from its intended send time to its recorded
 * outcome. Each level has a campaign of its own, audited once the level has settled.
 */
export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyRow[]> {
  const { settings, services } = options;
  const strategy = strategies.find((s) => s.name === options.strategy);
  if (!strategy) throw new Error(`no strategy "${options.strategy}"`);
  const queue = await ShardedQueue.open(`${settings.queue}-bench`, settings.queueShards, services.redis, {
    logger: options.logger,
  });
  const campaigns: string[] = [];
  try {
    const ceiling = await runVariant(
      options,
      queue,
      { name: 'latency', pools: options.pools, grabs: options.ceilingGrabs },
      ceilingVariant,
    );
    const ceilingPerSec = ceiling.grabsPerSec;
    options.onProgress?.(`ceiling (no-op workers): ${ceilingPerSec} grabs/s`);
    await queue.obliterate();

    const recorders = new Map<string, LevelRecorder>();
    const stream = SettlementStream.start(services.redis, queue, (jobId, atMs) => {
      // A grab's job id is campaign.instance.pool.user, and the bench's users are u<index>.
      const user = jobId.slice(jobId.lastIndexOf('.') + 1);
      recorders.get(jobId.slice(0, jobId.indexOf('.')))?.record(Number(user.slice(1)), atMs);
    });
    const ports = Array.from({ length: options.workers }, (_, i) => options.metricsPortBase + i);
    const workers = ports.map((port) => startWorker(settings, queue.name, options.concurrency, strategy, port));
    const rows: LatencyRow[] = [];
    try {
      await untilConsuming(services.redis, queue.name, strategy, workers);
      options.onProgress?.(`${options.workers} workers (${strategy.name}) ready`);
      for (const [level, loadFraction] of options.loads.entries()) {
        const rate = Math.max(1, Math.round(loadFraction * ceilingPerSec));
        const seconds = options.warmupSeconds + options.seconds;
        const record = await createLevelCampaign(options, level, RateSchedule.grabs(rate, seconds));
        campaigns.push(record.spec.id);
        const recorder = new LevelRecorder(
          loadFraction,
          new RateSchedule(rate, Date.now(), seconds),
          options.warmupSeconds * 1000,
          options.seconds * 1000,
        );
        recorders.set(record.spec.id, recorder);
        await runLevel(options, queue, record, recorder, workers, stream);
        const report = await buildReport(services, record);
        const row = recorder.row(ceilingPerSec, report.ok && report.outcomes.failed === 0);
        rows.push(row);
        options.onRow?.(row);
      }
    } finally {
      await stream.stop();
      await Promise.all(workers.map(stopWorker));
    }
    return rows;
  } finally {
    for (const id of campaigns) await services.ledger.deleteCampaign(id);
    await queue.close();
  }
}

/** Every grab of the level can be granted (each pool holds a packet for all of them), so each goes the whole way. */
async function createLevelCampaign(
  { services, pools }: LatencyBenchOptions,
  level: number,
  packets: number,
): Promise<CampaignRecord> {
  const spec: CampaignSpec = {
    id: `bench-latency-${level + 1}-${Date.now()}`,
    split: 'random',
    pools: Array.from({ length: pools }, (_, i) => ({ id: `p${i + 1}`, amountCents: packets * 100, packets })),
  };
  await services.ledger.createCampaign(spec);
  return (await services.ledger.getCampaign(spec.id))!;
}

/** Sends the level's grabs on schedule, then waits until every one of them has its outcome. */
async function runLevel(
  options: LatencyBenchOptions,
  queue: ShardedQueue,
  record: CampaignRecord,
  recorder: LevelRecorder,
  workers: readonly ChildProcess[],
  stream: SettlementStream,
): Promise<void> {
  const { schedule } = recorder;
  const label = `load ${recorder.loadFraction}`;
  options.onProgress?.(
    `${label}: ${schedule.ratePerSec} grabs/s for ${options.warmupSeconds} s warm-up + ${options.seconds} s measured`,
  );
  // The producer sends a chunk once it is full, so chunks of the schedule's batches go out on time.
  const batch = batchSize(schedule.ratePerSec, SEND_TICK_MS);
  const sending = enqueueGrabs({
    queue,
    campaign: record,
    ledger: options.services.ledger,
    outcomes: options.services.outcomes,
    slots: options.services.slots,
    users: scheduledUsers(schedule, batch),
    distribution: 'uniform',
    chunkSize: batch,
    inFlight: MAX_IN_FLIGHT,
  });
  // Polled, not raced: a settled promise in the race would spin the loop without ever yielding.
  let sent = false;
  let sendFailed = false;
  let sendFailure: unknown;
  sending.then(
    () => (sent = true),
    (err: unknown) => {
      sendFailed = true;
      sendFailure = err;
    },
  );
  const deadline =
    schedule.intendedAt(schedule.count) + Math.max(60_000, 2 * (schedule.count / schedule.ratePerSec) * 1000);
  while (!(sent && recorder.done)) {
    if (sendFailed) throw sendFailure;
    stream.check();
    if (workers.some((w) => w.exitCode !== null)) throw new Error('a worker exited early');
    if (Date.now() > deadline) {
      const { finished } = await options.services.outcomes.progress(record, record.stripes);
      throw new Error(
        `${label}: ${recorder.settled} of ${schedule.count} completions seen, ${finished} outcomes recorded, ` +
          'after the deadline: the fleet fell far behind, or the events streams were trimmed before they were read',
      );
    }
    await sleep(50);
  }
  options.onProgress?.(`${label}: all ${schedule.count} grabs settled`);
}
