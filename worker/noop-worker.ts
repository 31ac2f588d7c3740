// The benchmark's ceiling: a BullMQ worker whose processor does nothing, run as its own process.
// What it reaches is BullMQ's own limit on this machine, which no real strategy can pass.
import { Worker } from 'bullmq';
import { createRedis } from '../shared/redis/connection.js';
import { QUEUE_PREFIX } from '../shared/queue/queue-names.js';

const [queueName, concurrency, redisUrl] = process.argv.slice(2);
if (!queueName || !concurrency || !redisUrl) throw new Error('usage: noop-worker.js QUEUE CONCURRENCY REDIS_URL');

const worker = new Worker(queueName, async () => undefined, {
  connection: createRedis(redisUrl, 'worker'),
  prefix: QUEUE_PREFIX,
  concurrency: Number(concurrency),
  removeOnComplete: { count: 1000 },
});
worker.on('error', (err) => process.stderr.write(`noop worker: ${err.message}\n`));
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
