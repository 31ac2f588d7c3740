import { spawn } from 'node:child_process';
import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { grabEntry } from '../shared/cli/grab-entry.js';
import { childEnv } from '../shared/config/child-env.js';
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
  /** Enqueue (grab produce) and settle, over every grab. */
  redisCpuUsPerGrab: number;
  batches: number;
  meanBatch: number;
  zkWritesPerBatch: number;
  zkWritesPerGrab: number;
  /** CPU of the `grab work` processes over every grab. */
  workerCpuUsPerGrab: number;
  /** Redis memory left per settled grab: grant, outcome, dedup marks and the queue's retained jobs. */
  redisBytesPerGrab: number;
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
 * campaign whose every grab is granted (so each goes through lock, read, compute and commit),
 * enqueued by `grab produce` while a fleet of `grab work` processes settles it. The counters are
 * read before the produce and after `grab wait`: Redis's CPU and memory (INFO), ZooKeeper's last
 * transaction id (srvr), and the workers' CPU and batches (their /metrics).
 */
export async function runCostBench(options: CostBenchOptions): Promise<CostBenchResult> {
  const { settings, services, grabs, pools } = options;
  const { redis } = services;
  const queueName = `${settings.queue}-bench-cost-${Date.now()}`;
  const campaignId = `bench-cost-${Date.now()}`;
  const env = childEnv({ ...settings, queue: queueName, metricsPort: undefined, logLevel: 'warn' });
  const run = (args: string[]) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [grabEntry, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', resolve);
    });
  const packets = Math.ceil(grabs / pools);
  const created = await run([
    'campaign',
    'create',
    '--id',
    campaignId,
    '--pools',
    String(pools),
    '--packets',
    String(packets),
    '--amount-cents',
    String(packets * 100),
  ]);
  if (created !== 0) throw new Error('campaign create failed');
  const ports = Array.from({ length: options.workers }, (_, i) => options.metricsPortBase + i);
  const workers = ports.map((port) => startWorker(settings, queueName, options.concurrency, zk, port));
  try {
    await untilConsuming(redis, queueName, zk, workers);
    options.onProgress?.(`${options.workers} workers consuming; enqueuing ${grabs} grabs over ${pools} pools`);
    const before = await Promise.all([
      usedCpuSeconds(redis),
      usedMemory(redis),
      lastZxid(settings.zkConnect),
      scrape(ports),
    ]);
    const startedAt = performance.now();
    if ((await run(['produce', '--campaign', campaignId, '--users', String(grabs), '--distribution', 'uniform'])) !== 0)
      throw new Error('produce failed');
    if ((await run(['wait', '--campaign', campaignId, '--timeout', '3600'])) !== 0) throw new Error('wait failed');
    const seconds = (performance.now() - startedAt) / 1000;
    const after = await Promise.all([
      usedCpuSeconds(redis),
      usedMemory(redis),
      lastZxid(settings.zkConnect),
      scrape(ports),
    ]);
    const batches = sumOf(after[3], 'grab_batch_size_count') - sumOf(before[3], 'grab_batch_size_count');
    const zkWrites = Number(after[2] - before[2]);
    const workerCpu = sumOf(after[3], 'process_cpu_seconds_total') - sumOf(before[3], 'process_cpu_seconds_total');
    const reportOk = (await run(['report', '--campaign', campaignId])) === 0;
    return {
      grabs,
      pools,
      workers: options.workers,
      redisCpuUsPerGrab: Math.round(((after[0] - before[0]) / grabs) * 1e6 * 10) / 10,
      batches,
      meanBatch: Math.round((grabs / Math.max(1, batches)) * 10) / 10,
      zkWritesPerBatch: Math.round((zkWrites / Math.max(1, batches)) * 100) / 100,
      zkWritesPerGrab: Math.round((zkWrites / grabs) * 1000) / 1000,
      workerCpuUsPerGrab: Math.round((workerCpu / grabs) * 1e6 * 10) / 10,
      redisBytesPerGrab: Math.round((after[1] - before[1]) / grabs),
      settledPerSec: Math.round(grabs / seconds),
      reportOk,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await run(['campaign', 'delete', '--id', campaignId, '--force']);
    const queue = await ShardedQueue.open(queueName, settings.queueShards, redis);
    await queue.obliterate();
    await queue.close();
    await redis.del(shardCountKey(queueName));
  }
}
