import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Settings } from '../shared/config/settings.js';
import { Ledger } from '../shared/ledger/ledger.js';
import { OutcomeLog } from '../shared/ledger/outcome-log.js';
import { cryptoSeededRng, seededRng } from '../shared/ledger/prng.js';
import type { Logger } from '../shared/logging/logger.js';
import { createRegistry, grabMetrics, lockMetrics, poolMetrics } from '../shared/metrics/metrics.js';
import { PoolGauges } from '../shared/metrics/pool-gauges.js';
import { serveMetrics } from '../shared/metrics/serve-metrics.js';
import { watchZooKeeper, zooKeeperConnected } from '../shared/metrics/watch-zookeeper.js';
import { QUEUE_PREFIX } from '../shared/queue/queue-names.js';
import { createRedis } from '../shared/redis/connection.js';
import { CampaignDirectory } from './campaign-directory.js';
import { createGrabProcessor } from './grab-processor.js';
import { measuredDeduction } from './measured-deduction.js';
import { PoolBatcher } from './pool-batcher.js';
import { recordingDeduction } from './recording-deduction.js';
import { createStrategy, type StrategyName } from './strategies.js';

export interface WorkerOptions {
  settings: Settings;
  logger: Logger;
  strategy: StrategyName;
  concurrency: number;
  maxBatch: number;
  lockTimeoutMs: number;
  lockRetainMs: number;
  /** Seeds the split's PRNG, for reproducible runs; crypto-seeded when absent. */
  seed?: number | undefined;
}

export interface RunningWorker {
  /** Stops taking jobs, waits up to `graceMs` for those in flight, then closes everything. */
  stop(graceMs: number): Promise<void>;
  readonly worker: Worker;
}

const FORCED_CLOSE_MS = 2000;

/** Whether the promise settled within the time; it is left running either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true as const,
    () => true as const,
  );
  const result = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return result;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  const redis = createRedis(settings.redisUrl, 'command');
  const queueConnection = createRedis(settings.redisUrl, 'worker');
  const rng = options.seed === undefined ? cryptoSeededRng() : seededRng(options.seed);
  const ledger = new Ledger(redis, rng);
  const outcomes = new OutcomeLog(redis);
  const registry = createRegistry();
  const grabs = grabMetrics(registry);
  const pools = new PoolGauges(poolMetrics(registry), (campaignId, poolId) => ledger.poolState(campaignId, poolId), logger);
  const strategy = createStrategy(options.strategy, {
    settings,
    redis,
    ledger,
    rng,
    logger,
    lockTimeoutMs: options.lockTimeoutMs,
    lockRetainMs: options.lockRetainMs,
    lockMetrics: lockMetrics(registry),
    onLockAcquired: (lockKey, contenders) => pools.contenders(lockKey, contenders),
  });
  const { zookeeper } = strategy;
  if (zookeeper) watchZooKeeper(zookeeper, registry);
  const metricsQueue = new Queue(settings.queue, { connection: redis, prefix: QUEUE_PREFIX });
  const metricsServer = await serveMetrics(settings, metricsQueue, {
    registry,
    logger,
    readiness: () => ({
      redis: redis.status === 'ready' && queueConnection.status === 'ready',
      ...(zookeeper ? { zookeeper: zooKeeperConnected(zookeeper) } : {}),
    }),
  });
  if (zookeeper) await zookeeper.session();
  const batcher = new PoolBatcher(measuredDeduction(recordingDeduction(strategy.deduction, outcomes), grabs, pools), options.maxBatch);
  const processor = createGrabProcessor({ campaigns: new CampaignDirectory(ledger), batcher, outcomes });

  const worker = new Worker(settings.queue, processor, {
    connection: queueConnection,
    prefix: QUEUE_PREFIX,
    concurrency: options.concurrency,
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 10_000 },
    maxStalledCount: 5,
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (err instanceof UnrecoverableError) grabs.grabs.inc({ outcome: 'rejected' });
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) logger.warn({ jobId: job.id, reason: err.message }, 'grab failed for good');
  });
  await worker.waitUntilReady();
  pools.start();
  logger.info({ strategy: options.strategy, concurrency: options.concurrency, maxBatch: options.maxBatch }, 'worker started');

  return {
    worker,
    async stop(graceMs) {
      if (!(await settlesWithin(worker.close(), graceMs))) {
        logger.warn({ graceMs }, 'in-flight grabs did not finish in time; they will be redelivered');
        // A forced close can itself hang when Redis went away mid-job: the jobs are redelivered anyway.
        if (!(await settlesWithin(worker.close(true), FORCED_CLOSE_MS))) logger.warn('worker did not close; leaving its jobs to stall detection');
      }
      await strategy.close();
      await pools.stop();
      await metricsServer?.close();
      await metricsQueue.close();
      redis.disconnect();
      queueConnection.disconnect();
      logger.info('worker stopped');
    },
  };
}
