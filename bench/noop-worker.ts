// The benchmark's ceiling: a BullMQ worker process whose processor does nothing, consuming the
// shards of the queue exactly as `grab work` does. What it reaches is BullMQ's own limit on this
// machine, which no real strategy can pass. Its settings come from the environment, as grab's.
import { loadSettings } from '../shared/config/settings.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { createRedis } from '../shared/redis/connection.js';
import { jobLockOptions } from '../worker/shard-consumer.js';
import { startShardedConsumption } from '../worker/sharded-consumption.js';

const [concurrency] = process.argv.slice(2);
if (!concurrency)
  throw new Error(
    'usage: noop-worker.js CONCURRENCY (REDIS_URL, GRAB_QUEUE and the other settings from the environment)',
  );

const settings = loadSettings(process.env);
const logger = settingsLogger('noop-worker', settings);
const redis = createRedis(settings, 'command', logger);
const connection = createRedis(settings, 'worker');
const consumption = await startShardedConsumption({
  redis,
  queue: settings.queue,
  shardCount: settings.queueShards,
  affinity: true,
  concurrency: Number(concurrency),
  processor: async () => undefined,
  onWorker: (worker) => worker.on('error', (err) => logger.error({ err }, 'noop worker error')),
  logger,
  // The job lock and stall check of `grab work` (GRAB_JOB_LOCK_MS, GRAB_STALLED_INTERVAL_MS), which
  // cost Redis commands too.
  workerOptions: { connection, removeOnComplete: { count: 1000 }, ...jobLockOptions(settings) },
});
process.once('SIGTERM', () => {
  consumption
    .stop(10_000)
    .catch((err: unknown) => logger.error({ err }, 'noop worker did not stop cleanly'))
    .finally(() => {
      redis.disconnect();
      connection.disconnect();
      process.exit(0);
    });
});
