import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { Settings } from '../shared/config/settings.js';
import { Ledger } from '../shared/ledger/ledger.js';
import { poolAddress } from '../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../shared/ledger/outcome-log.js';
import { cryptoSeededRng, seededRng } from '../shared/ledger/prng.js';
import type { Logger } from '../shared/logging/logger.js';
import {
  createRegistry,
  grabMetrics,
  lifecycleMetrics,
  lockMetrics,
  poolMetrics,
  shardMetrics,
} from '../shared/metrics/metrics.js';
import { campaignStates } from '../shared/ledger/ledger-types.js';
import { CampaignLifecycle } from '../shared/ledger/lifecycle.js';
import { PoolGauges } from '../shared/metrics/pool-gauges.js';
import { QueueCounts } from '../shared/metrics/queue-counts.js';
import { serveMetrics } from '../shared/metrics/serve-metrics.js';
import { watchZooKeeper } from '../shared/metrics/watch-zookeeper.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { createRedis } from '../shared/redis/connection.js';
import { CampaignDirectory } from './campaign-directory.js';
import { DependencyGate } from './dependency-gate.js';
import { admittedDeduction } from './admitted-deduction.js';
import { createGrabProcessor, recordFailure } from './grab-processor.js';
import { checkLockFamily } from './lock-family-check.js';
import { measuredDeduction } from './measured-deduction.js';
import { PoolBatcher } from './pool-batcher.js';
import { jobLockOptions } from './shard-consumer.js';
import { startShardedConsumption } from './sharded-consumption.js';
import { createStrategy, lockFamily, type StrategyName } from './strategies.js';
import { ExpirySweeper } from './expiry-sweeper.js';
import { grabJobSchema } from '../shared/queue/grab-job.js';

/** How long a grab put back during an outage, or for a paused pool, waits before it is tried again. */
const POSTPONE_MS = 1000;
/** How often each worker looks for campaigns that expired (or a lifecycle change cut short). */
const SWEEP_MS = 1000;
const STALLED_OUT = /stalled more than allowable limit/;

export interface WorkerOptions {
  settings: Settings;
  logger: Logger;
  strategy: StrategyName;
  concurrency: number;
  maxBatch: number;
  lockTimeoutMs: number;
  lockRetainMs: number;
  /** Whether this process consumes only the shards the fleet assigns it, or every shard. */
  affinity: boolean;
  /** Seeds the split's PRNG, for reproducible runs; crypto-seeded when absent. */
  seed?: number | undefined;
}

export interface RunningWorker {
  /** Leaves the fleet, stops taking jobs, waits up to `graceMs` for those in flight, then closes everything. */
  stop(graceMs: number): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  const redis = createRedis(settings, 'command', logger);
  const rng = options.seed === undefined ? cryptoSeededRng() : seededRng(options.seed);
  const ledger = new Ledger(redis, rng);
  const outcomes = new OutcomeLog(redis);
  const family = lockFamily(options.strategy);
  const queue = await checkLockFamily(ledger, outcomes, family, options.strategy, settings.queue)
    .then(() => ShardedQueue.open(settings.queue, settings.queueShards, redis, { dedicatedConnection: true, logger }))
    .catch((err: unknown) => {
      redis.disconnect();
      throw err;
    });
  const queueConnection = createRedis(settings, 'worker');
  const campaigns = new CampaignDirectory(ledger, family);
  const registry = createRegistry();
  const grabs = grabMetrics(registry);
  const pools = new PoolGauges(
    poolMetrics(registry),
    async (labels) => {
      const records = await Promise.all(labels.map((l) => campaigns.current(l.campaign)));
      return ledger.poolBalances(labels.map((l, i) => records[i] && poolAddress(records[i], l.pool)));
    },
    logger,
  );
  const strategy = createStrategy(options.strategy, {
    settings,
    redis,
    ledger,
    outcomes,
    rng,
    logger,
    lockTimeoutMs: options.lockTimeoutMs,
    lockRetainMs: options.lockRetainMs,
    lockMetrics: lockMetrics(registry),
    onLockAcquired: (lockKey, contenders) => pools.contenders(lockKey, contenders),
  });
  const { zookeeper } = strategy;
  if (zookeeper) watchZooKeeper(zookeeper, registry);
  const metricsServer = await serveMetrics(settings, new QueueCounts(queue), {
    registry,
    logger,
    readiness: () => ({
      redis: redis.status === 'ready' && queueConnection.status === 'ready',
      ...(zookeeper ? { zookeeper: zookeeper.isConnected } : {}),
    }),
  });
  if (zookeeper) await zookeeper.session();
  const locked = strategy.deduction;
  const admitted =
    settings.admission === 'on'
      ? admittedDeduction(ledger, locked, (reason, count) => grabs.admissionSettled.inc({ reason }, count))
      : locked;
  const batcher = new PoolBatcher(measuredDeduction(admitted, grabs, pools), options.maxBatch);
  const processor = createGrabProcessor({
    campaigns,
    batcher,
    outcomes,
    logger,
    postponeMs: POSTPONE_MS,
    onUnsettled: (outcome) => grabs.grabs.inc({ outcome }),
  });

  // The processor records a grab's last failed attempt itself; a job BullMQ fails without
  // running it (stalled too often) is recorded here. Both end in the same failed outcome.
  const recordFailedForGood = async (job: Job, err: Error) => {
    const grab = grabJobSchema.safeParse(job.data);
    if (!grab.success || !job.id) return;
    const lookup = await campaigns.lookup(grab.data.campaign, grab.data.instance, grab.data.pool);
    if (lookup.status === 'ok') await recordFailure(outcomes, lookup.pool, job.id, err);
  };
  const onWorker = (worker: Worker) => {
    worker.on('error', (err) => logger.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (err instanceof UnrecoverableError) {
        grabs.grabs.inc({ outcome: 'rejected' });
        return;
      }
      if (!job || (job.attemptsMade < (job.opts.attempts ?? 1) && !STALLED_OUT.test(err.message))) return;
      grabs.grabs.inc({ outcome: 'failed' });
      logger.warn({ jobId: job.id, err }, 'grab failed for good; grab redrive re-enqueues it');
      recordFailedForGood(job, err).catch((recordErr: unknown) =>
        logger.error({ err: recordErr, jobId: job.id }, 'recording a failed grab failed; it stays pending'),
      );
    });
  };
  const consumption = await startShardedConsumption({
    redis,
    queue: settings.queue,
    shardCount: settings.queueShards,
    affinity: options.affinity,
    concurrency: options.concurrency,
    processor,
    onWorker,
    logger,
    workerOptions: {
      connection: queueConnection,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
      maxStalledCount: 5,
      ...jobLockOptions(settings),
    },
  });
  shardMetrics(registry, () => consumption.consumer.shards.length);
  const gate = new DependencyGate({
    checks: {
      redis: () => redis.status === 'ready' && queueConnection.status === 'ready',
      ...(zookeeper ? { zookeeper: () => zookeeper.isConnected } : {}),
    },
    onChange: (up) => (up ? consumption.consumer.resume() : consumption.consumer.pause()),
    logger,
  });
  const sweeper = new ExpirySweeper({
    redis,
    ledger,
    lifecycle: new CampaignLifecycle(redis),
    logger,
    intervalMs: SWEEP_MS,
    onRefund: (state) => lifecycle.refunds.inc({ state }),
  });
  const lifecycle = lifecycleMetrics(registry, () => sweeper.campaigns(), campaignStates);
  gate.start();
  pools.start();
  sweeper.start();
  logger.info(
    { strategy: options.strategy, concurrency: options.concurrency, maxBatch: options.maxBatch },
    'worker started',
  );

  return {
    async stop(graceMs) {
      // A job still running when the grace ends is redelivered by stall detection: its grab is
      // settled under its pool's lock again, and its outcome is replayed from the ledger.
      gate.stop();
      await sweeper.stop();
      if (!(await consumption.stop(graceMs)))
        logger.warn({ graceMs }, 'in-flight grabs did not finish in time; they will be redelivered');
      await strategy.close();
      await pools.stop();
      await metricsServer?.close();
      await queue.close();
      redis.disconnect();
      queueConnection.disconnect();
      logger.info('worker stopped');
    },
  };
}
