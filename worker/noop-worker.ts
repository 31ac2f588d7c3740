// The benchmark's ceiling: a BullMQ worker process whose processor does nothing, consuming the
// shards of the queue exactly as `grab work` does. What it reaches is BullMQ's own limit on this
// machine, which no real strategy can pass.
import { loadSettings } from '../shared/config/settings.js';
import { createLogger } from '../shared/logging/logger.js';
import { createRedis } from '../shared/redis/connection.js';
import { QUEUE_PREFIX } from '../shared/queue/queue-names.js';
import { jobLockOptions } from './shard-consumer.js';
import { startShardedConsumption } from './sharded-consumption.js';

const [queue, concurrency, shardCount, redisUrl] = process.argv.slice(2);
if (!queue || !concurrency || !shardCount || !redisUrl) throw new Error('usage: noop-worker.js QUEUE CONCURRENCY SHARDS REDIS_URL');

const logger = createLogger('noop-worker', 'warn');
const redis = createRedis(redisUrl, 'command');
const connection = createRedis(redisUrl, 'worker');
const consumption = await startShardedConsumption({
  redis,
  queue,
  shardCount: Number(shardCount),
  affinity: true,
  concurrency: Number(concurrency),
  processor: async () => undefined,
  onWorker: (worker) => worker.on('error', (err) => logger.error({ err }, 'noop worker error')),
  logger,
  // The job lock and stall check of `grab work` (GRAB_JOB_LOCK_MS, GRAB_STALLED_INTERVAL_MS), which cost Redis commands too.
  workerOptions: { connection, prefix: QUEUE_PREFIX, removeOnComplete: { count: 1000 }, ...jobLockOptions(loadSettings(process.env)) },
});
process.once('SIGTERM', () =>
  void consumption.stop(10_000).then(() => {
    redis.disconnect();
    connection.disconnect();
    process.exit(0);
  }),
);
