import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { childEnv } from '../shared/config/child-env.js';
import { campaignCreateArgs, grabRunner } from './grab-process.js';
import { shardCountKey } from '../shared/queue/queue-names.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { scrape, startWorker, stopWorker, untilConsuming, type BenchVariant } from './e2e-bench.js';
import { sumOf } from './prometheus-text.js';
import { usedCpuSeconds, usedMemory } from './redis-info.js';
import { lastZxid } from './zookeeper-zxid.js';

export interface CostBenchResult {
  grabs: number;
  pools: number;
  workers: number;
  /** Redis CPU of `grab produce` adding the grabs, per grab. */
  redisEnqueueCpuUsPerGrab: number;
  /** Redis CPU of the fleet settling them, per grab. */
  redisSettleCpuUsPerGrab: number;
  batches: number;
  meanBatch: number;
  zkWritesPerBatch: number;
  zkWritesPerGrab: number;
  /** CPU of the `grab work` processes while they settle, per grab. */
  workerCpuUsPerGrab: number;
  /** Redis memory of a grab waiting in the queue. */
  redisBytesPerQueuedGrab: number;
  /** Redis memory a settled grab leaves (grant, outcome, enqueue mark), its finished job cleaned away. */
  redisBytesPerSettledGrab: number;
  settledPerSec: number;
  reportOk: boolean;
}

export interface CostBenchOptions {
  settings: Settings;
  services: CommandServices;
  grabs: number;
  pools: number;
  workers: number;
  concurrency: number;
  metricsPortBase: number;
  onProgress?: (line: string) => void;
}

const zk: BenchVariant = { name: 'zk', workArgs: ['--lock', 'zk'] };

/**
 * What one grab costs each part of the system, measured in one run through the real CLI: a
 * campaign whose every grab is granted (so each goes through lock, read, compute and commit) is
 * enqueued by `grab produce` into the paused queue, then settled by a fleet of `grab work`
 * processes once they have joined, as at a peak, when the queue is deep and batches are full.
 * The counters: Redis's CPU and memory (INFO), ZooKeeper's last transaction id (srvr), and the
 * workers' CPU and batches (their /metrics).
 */
export async function runCostBench(options: CostBenchOptions): Promise<CostBenchResult> {
  const { settings, services, grabs, pools } = options;
  const { redis } = services;
  const queueName = `${settings.queue}-bench-cost-${Date.now()}`;
  const campaignId = `bench-cost-${Date.now()}`;
  const env = childEnv({ ...settings, queue: queueName, metricsPort: undefined, logLevel: 'warn' });
  const run = grabRunner(env);
  const packets = Math.ceil(grabs / pools);
  const created = await run(campaignCreateArgs(campaignId, pools, packets, '--amount-cents', String(packets * 100)));
  if (created !== 0) throw new Error('campaign create failed');
  const queue = await ShardedQueue.open(queueName, settings.queueShards, redis);
  const ports = Array.from({ length: options.workers }, (_, i) => options.metricsPortBase + i);
  const workers: ReturnType<typeof startWorker>[] = [];
  try {
    const start = await Promise.all([usedCpuSeconds(redis), usedMemory(redis)]);
    options.onProgress?.(`enqueuing ${grabs} grabs over ${pools} pools into the paused queue`);
    await queue.pause();
    if ((await run(['produce', '--campaign', campaignId, '--users', String(grabs), '--distribution', 'uniform'])) !== 0)
      throw new Error('produce failed');
    const queued = await Promise.all([usedCpuSeconds(redis), usedMemory(redis)]);
    workers.push(...ports.map((port) => startWorker(settings, queueName, options.concurrency, zk, port)));
    await untilConsuming(redis, queueName, zk, workers);
    options.onProgress?.(`${options.workers} workers consuming; settling`);
    const before = await Promise.all([usedCpuSeconds(redis), lastZxid(settings.zkConnect), scrape(ports)]);
    const startedAt = performance.now();
    await queue.resume();
    if ((await run(['wait', '--campaign', campaignId, '--timeout', '3600'])) !== 0) throw new Error('wait failed');
    const seconds = (performance.now() - startedAt) / 1000;
    const after = await Promise.all([usedCpuSeconds(redis), lastZxid(settings.zkConnect), scrape(ports)]);
    await Promise.all(queue.shards.map((shard) => shard.clean(0, 0, 'completed')));
    const settled = await usedMemory(redis);
    const batches = sumOf(after[2], 'grab_batch_size_count') - sumOf(before[2], 'grab_batch_size_count');
    const zkWrites = Number(after[1] - before[1]);
    const workerCpu = sumOf(after[2], 'process_cpu_seconds_total') - sumOf(before[2], 'process_cpu_seconds_total');
    const reportOk = (await run(['report', '--campaign', campaignId])) === 0;
    const perGrab = (n: number, digits: number) => Math.round((n / grabs) * 10 ** digits) / 10 ** digits;
    return {
      grabs,
      pools,
      workers: options.workers,
      redisEnqueueCpuUsPerGrab: perGrab((queued[0] - start[0]) * 1e6, 1),
      redisSettleCpuUsPerGrab: perGrab((after[0] - before[0]) * 1e6, 1),
      batches,
      meanBatch: Math.round((grabs / Math.max(1, batches)) * 10) / 10,
      zkWritesPerBatch: Math.round((zkWrites / Math.max(1, batches)) * 100) / 100,
      zkWritesPerGrab: perGrab(zkWrites, 3),
      workerCpuUsPerGrab: perGrab(workerCpu * 1e6, 1),
      redisBytesPerQueuedGrab: perGrab(queued[1] - start[1], 0),
      redisBytesPerSettledGrab: perGrab(settled - start[1], 0),
      settledPerSec: Math.round(grabs / seconds),
      reportOk,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await run(['campaign', 'delete', '--id', campaignId, '--force']);
    await queue.obliterate();
    await queue.close();
    await redis.del(shardCountKey(queueName));
  }
}
