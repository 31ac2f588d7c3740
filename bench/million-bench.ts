import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { childEnv } from '../shared/config/child-env.js';
import { poolAddresses } from '../shared/ledger/ledger-types.js';
import { campaignJobIdPrefix } from '../shared/queue/grab-job.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { samplePeakRss } from './peak-rss.js';
import { campaignCreateArgs, grabRunner, grabStarter } from './grab-process.js';
import { usedMemory } from './redis-info.js';
import { bytesPerSettledGrab, type BytesPerSettledGrab } from './settled-memory.js';

export interface MillionBenchOptions {
  jobs: number;
  workers: number;
  /** 1,000 pools of 100 packets, grabs spread evenly: most grabs settle not granted. */
  oversubscribed: boolean;
  /** The producer's --max-backlog: the queue's bound. */
  maxBacklog: number;
  /** False: the producer enqueues every grab (`--admission off` for it alone). */
  door: boolean;
}

export interface MillionBenchResult {
  jobs: number;
  pools: number;
  packets: number;
  wallSeconds: number;
  redisPeakBytes: number;
  producerPeakRssBytes: number;
  /** Once the campaign settled and its jobs are removed. */
  bytesPerSettledGrab: BytesPerSettledGrab;
  reportOk: boolean;
}

/** Pools, packets per pool and how users are spread over them. */
function campaignShape({ jobs, oversubscribed }: MillionBenchOptions) {
  if (oversubscribed) return { pools: 1000, packets: 100, distribution: 'uniform' };
  const pools = 100;
  return { pools, packets: Math.ceil(jobs / pools / 2), distribution: 'zipf' };
}

/**
 * The whole operator path at scale, with the default fleet: campaign create, produce (with
 * --max-backlog, so the queue stays bounded), a `grab fleet`, wait, report; each a real `grab`
 * process, as an operator would run them. Then the campaign's jobs are removed and what its
 * settled grabs keep in Redis is measured, before the campaign is deleted.
 */
export async function runMillionBench(
  settings: Settings,
  services: CommandServices,
  options: MillionBenchOptions,
  onProgress: (line: string) => void,
): Promise<MillionBenchResult> {
  const { jobs } = options;
  const campaignId = `bench-million-${Date.now()}`;
  const { pools, packets, distribution } = campaignShape(options);
  const queueName = `${settings.queue}-bench`;
  // No metrics port: the produce run and the fleet's first worker would both ask for it.
  const env = childEnv({ ...settings, queue: queueName, metricsPort: undefined, logLevel: 'warn' });
  const start = grabStarter(env);
  const run = grabRunner(env);
  let redisPeakBytes = 0;
  const sampler = setInterval(() => {
    usedMemory(services.redis).then(
      (bytes) => {
        redisPeakBytes = Math.max(redisPeakBytes, bytes);
      },
      () => undefined,
    );
  }, 500);
  const startedAt = performance.now();
  if ((await run(campaignCreateArgs(campaignId, pools, packets, '--amount-cents', String(packets * 100)))) !== 0) {
    clearInterval(sampler);
    throw new Error('campaign create failed');
  }
  onProgress(`created ${campaignId}: ${pools} pools of ${packets} packets; enqueuing ${jobs} grabs (${distribution})`);
  const fleet = start(['fleet', '--workers', String(options.workers)]);
  const fleetExited = new Promise((resolve) => fleet.once('exit', resolve));
  let producerPeakRssBytes = 0;
  try {
    const producer = start([
      'produce',
      ...['--campaign', campaignId, '--users', String(jobs), '--distribution', distribution],
      ...['--max-backlog', String(options.maxBacklog)],
      ...(options.door ? [] : ['--admission', 'off']),
    ]);
    const peakRss = samplePeakRss(producer.pid);
    const produced = await new Promise<number | null>((resolve) => producer.once('exit', resolve));
    producerPeakRssBytes = peakRss();
    if (produced !== 0) throw new Error('produce failed');
    onProgress('all grabs enqueued; waiting for the fleet to settle them');
    if ((await run(['wait', '--campaign', campaignId, '--timeout', '86400'])) !== 0) throw new Error('wait failed');
  } finally {
    clearInterval(sampler);
    fleet.kill('SIGTERM');
    await fleetExited;
  }
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const reportOk = (await run(['report', '--campaign', campaignId])) === 0;
  const bytes = await settledBytes(services, queueName, settings.queueShards, campaignId);
  await run(['campaign', 'delete', '--id', campaignId]);
  return {
    jobs,
    pools,
    packets,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    redisPeakBytes,
    producerPeakRssBytes,
    bytesPerSettledGrab: bytes,
    reportOk,
  };
}

/** Removes the settled campaign's jobs left in the queue, then measures what its grabs keep. */
async function settledBytes(
  { redis, ledger, outcomes }: CommandServices,
  queueName: string,
  shards: number,
  campaignId: string,
): Promise<BytesPerSettledGrab> {
  const record = await ledger.getCampaign(campaignId);
  if (!record) throw new Error(`campaign ${campaignId} is gone before its memory was measured`);
  const queue = await ShardedQueue.open(queueName, shards, redis);
  try {
    await queue.removeJobs(campaignJobIdPrefix(campaignId, record.instance), redis);
  } finally {
    await queue.close();
  }
  const progress = await outcomes.progress(record, record.stripes);
  return bytesPerSettledGrab(redis, poolAddresses(record), {
    grabs: progress.finished,
    granted: progress.outcomes.granted,
  });
}
