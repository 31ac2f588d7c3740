import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { shardCountKey } from '../shared/queue/queue-names.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { scrape, startWorker, stopWorker, untilConsuming, type BenchVariant } from './e2e-bench.js';
import { sumOf } from './prometheus-text.js';
import { connectedClients, usedCpuSeconds, usedMemory } from './redis-info.js';

export interface ShardsBenchRow {
  shards: number;
  /** Redis client connections the one idle worker holds. */
  redisConnections: number;
  /** Redis CPU while the worker idles, ms per second, less Redis's own idle CPU measured just before. */
  redisIdleCpuMsPerSec: number;
  /** Redis's idle CPU with no worker, ms per second, measured just before: the baseline. */
  redisBaselineCpuMsPerSec: number;
  /** Redis memory the idle worker's queue and connections take. */
  redisMemoryKb: number;
  workerRssMb: number;
  workerIdleCpuMsPerSec: number;
}

export interface ShardsBenchOptions {
  settings: Settings;
  services: CommandServices;
  shardCounts: readonly number[];
  /** How long each idle window lasts. */
  seconds: number;
  metricsPort: number;
  onProgress?: (line: string) => void;
}

const zk: BenchVariant = { name: 'zk', workArgs: ['--lock', 'zk'] };
/** Lets a worker that just took its shards open every blocking connection before anything is read. */
const SETTLE_MS = 2000;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * What consuming many shards costs while nothing happens, one shard count after the other in one
 * run: one `grab work` process (a fleet of one consumes every shard) on an empty queue of that
 * many shards. Each row's Redis CPU is measured side by side with a window of no worker at all.
 */
export async function runShardsBench(options: ShardsBenchOptions): Promise<ShardsBenchRow[]> {
  const { redis } = options.services;
  const rows: ShardsBenchRow[] = [];
  const windowMs = options.seconds * 1000;
  const cpuMsPerSec = async (during: () => Promise<unknown>) => {
    const before = await usedCpuSeconds(redis);
    await during();
    return (((await usedCpuSeconds(redis)) - before) / options.seconds) * 1000;
  };
  for (const shards of options.shardCounts) {
    const queueName = `${options.settings.queue}-bench-shards-${shards}-${Date.now()}`;
    const baseline = await cpuMsPerSec(() => sleep(windowMs));
    const clientsBefore = await connectedClients(redis);
    const memoryBefore = await usedMemory(redis);
    options.onProgress?.(`${shards} shards: starting one worker`);
    const worker = startWorker({ ...options.settings, queueShards: shards }, queueName, 1, zk, options.metricsPort);
    try {
      await untilConsuming(redis, queueName, zk, [worker]);
      await sleep(SETTLE_MS);
      const cpuBefore = sumOf(await scrape([options.metricsPort]), 'process_cpu_seconds_total');
      const idle = await cpuMsPerSec(() => sleep(windowMs));
      const samples = await scrape([options.metricsPort]);
      rows.push({
        shards,
        redisConnections: (await connectedClients(redis)) - clientsBefore,
        redisIdleCpuMsPerSec: round(idle - baseline),
        redisBaselineCpuMsPerSec: round(baseline),
        redisMemoryKb: Math.round(((await usedMemory(redis)) - memoryBefore) / 1024),
        workerRssMb: round(sumOf(samples, 'process_resident_memory_bytes') / 1024 / 1024),
        workerIdleCpuMsPerSec: round(
          ((sumOf(samples, 'process_cpu_seconds_total') - cpuBefore) / options.seconds) * 1000,
        ),
      });
    } finally {
      await stopWorker(worker);
      const queue = await ShardedQueue.open(queueName, shards, redis);
      await queue.obliterate();
      await queue.close();
      await redis.del(shardCountKey(queueName));
    }
  }
  return rows;
}
