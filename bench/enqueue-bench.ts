import { spawn } from 'node:child_process';
import { samplePeakRss } from './peak-rss.js';
import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { grabEntry } from '../shared/cli/grab-entry.js';
import { childEnv } from '../shared/config/child-env.js';
import type { Logger } from '../shared/logging/logger.js';
import { ShardedQueue, type GrabBulkJob } from '../shared/queue/sharded-queue.js';
import { defaultRetryBudget, grabBulkJob, grabJobOptions } from '../shared/enqueue/grab-enqueue.js';
import { generatedUsers } from '../producer/user-source.js';
import { usedMemory } from './redis-memory.js';

export interface EnqueueBenchResult {
  jobs: number;
  producerJobsPerSec: number;
  baselineJobsPerSec: number;
  ratio: number;
  peakRssMb: number;
  redisBytesPerJob: number;
}

const NAIVE_CHUNK = 1000;

/**
 * `grab produce` (a separate process, so its peak RSS is its own) against a naive producer:
 * addBulk chunks of 1,000 sent one after another, with the same job shape, into the same Redis.
 */
export async function runEnqueueBench(
  settings: Settings,
  services: CommandServices,
  jobs: number,
  logger: Logger,
): Promise<EnqueueBenchResult> {
  const queueName = `${settings.queue}-bench`;
  const queue = await ShardedQueue.open(queueName, settings.queueShards, services.redis, { logger });
  const campaignId = `bench-enqueue-${Date.now()}`;
  await services.ledger.createCampaign({
    id: campaignId,
    split: 'random',
    pools: [{ id: 'p1', amountCents: jobs, packets: jobs }],
  });
  try {
    await queue.obliterate();
    const baselineSec = await naiveEnqueue(queue, campaignId, (await services.ledger.instanceOf(campaignId))!, jobs);
    await queue.obliterate();
    const before = await usedMemory(services.redis);
    const { seconds, peakRssMb } = await producerProcess(settings, queueName, campaignId, jobs);
    const redisBytesPerJob = Math.round(((await usedMemory(services.redis)) - before) / jobs);
    await queue.obliterate();
    const producerJobsPerSec = Math.round(jobs / seconds);
    const baselineJobsPerSec = Math.round(jobs / baselineSec);
    return {
      jobs,
      producerJobsPerSec,
      baselineJobsPerSec,
      ratio: Math.round((producerJobsPerSec / baselineJobsPerSec) * 100) / 100,
      peakRssMb,
      redisBytesPerJob,
    };
  } finally {
    await services.ledger.deleteCampaign(campaignId);
    await queue.close();
  }
}

async function naiveEnqueue(queue: ShardedQueue, campaignId: string, instance: number, jobs: number): Promise<number> {
  const startedAt = performance.now();
  let chunk: GrabBulkJob[] = [];
  for await (const user of generatedUsers(jobs)) {
    const data = { campaign: campaignId, instance, pool: 'p1', user };
    chunk.push(grabBulkJob(data, grabJobOptions(defaultRetryBudget)));
    if (chunk.length === NAIVE_CHUNK) {
      await queue.addBulk(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await queue.addBulk(chunk);
  return (performance.now() - startedAt) / 1000;
}

export async function producerProcess(
  settings: Settings,
  queueName: string,
  campaignId: string,
  jobs: number,
): Promise<{ seconds: number; peakRssMb: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [grabEntry, 'produce', '--campaign', campaignId, '--users', String(jobs)], {
    env: childEnv({ ...settings, queue: queueName, metricsPort: undefined, logLevel: 'warn' }),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const peakRss = samplePeakRss(child.pid);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const peakBytes = peakRss();
  if (code !== 0) throw new Error(`grab produce exited with ${code}`);
  return { seconds: (performance.now() - startedAt) / 1000, peakRssMb: Math.round(peakBytes / 1024 / 1024) };
}
