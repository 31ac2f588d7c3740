import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../shared/config/settings.js';
import type { CampaignSpec } from '../shared/campaign/spec.js';
import type { CommandServices } from '../shared/cli/services.js';
import { grabEntry } from '../shared/cli/grab-entry.js';
import { childEnv } from '../shared/config/child-env.js';
import type { Logger } from '../shared/logging/logger.js';
import { quantile } from '../shared/metrics/quantile.js';
import type { RedisClient } from '../shared/redis/connection.js';
import { defaultMembership, membersKey } from '../shared/queue/fleet-membership.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { buildReport } from '../producer/campaign-report.js';
import { enqueueGrabs } from '../producer/enqueue.js';
import { generatedUsers } from '../producer/user-source.js';
import { histogramQuantile, parsePrometheusText, sumOf, type Sample } from './prometheus-text.js';

const noopWorker = fileURLToPath(new URL('./noop-worker.js', import.meta.url));

export interface Scenario {
  name: string;
  pools: number;
  grabs: number;
  /** Packets per pool; enough for every grab when absent. */
  packetsPerPool?: number;
}

export interface BenchVariant {
  name: string;
  /** `grab work` flags, or undefined for the no-op ceiling. */
  workArgs?: string[];
  /** Settings of its workers that differ from the bench's. */
  settings?: Partial<Settings>;
  /** Runs only in these scenarios; in every one when absent. */
  scenarios?: string[];
  /** False for workers without pool affinity: they consume every shard and never join the fleet. */
  joinsFleet?: false;
}

export const scenarios: Scenario[] = [
  { name: 'hot', pools: 1, grabs: 100_000 },
  { name: 'spread', pools: 1_000, grabs: 200_000 },
  // 100 grabs per packet: once a pool sells out, admission settles its grabs without the lock.
  { name: 'oversubscribed', pools: 100, grabs: 1_000_000, packetsPerPool: 100 },
];

export const variants: BenchVariant[] = [
  { name: 'ceiling' },
  { name: 'atomic', workArgs: ['--lock', 'atomic'] },
  { name: 'zk', workArgs: ['--lock', 'zk'] },
  // One ZooKeeper acquisition per grab: no batching, and no keeping the lock for the next batch.
  { name: 'zk --max-batch 1', workArgs: ['--lock', 'zk', '--max-batch', '1', '--lock-retain-ms', '0'] },
  { name: 'zk-herd', workArgs: ['--lock', 'zk-herd'] },
  { name: 'redis', workArgs: ['--lock', 'redis'] },
  { name: 'none', workArgs: ['--lock', 'none'], joinsFleet: false },
  // The lock path for every grab, sold out or not: what admission saves.
  {
    name: 'zk admission off',
    workArgs: ['--lock', 'zk'],
    settings: { admission: 'off' },
    scenarios: ['oversubscribed'],
  },
];

export interface BenchRow {
  scenario: string;
  strategy: string;
  grabsPerSec: number;
  ratioToCeiling: number;
  p99JobMs: number;
  lockWaitP99Ms: number;
  meanBatch: number;
  invariantsOk: boolean | null;
}

export interface E2eBenchOptions {
  settings: Settings;
  services: CommandServices;
  logger: Logger;
  workers: number;
  concurrency: number;
  /** Multiplies every scenario's grab count (a smoke run uses a small fraction). */
  scale: number;
  metricsPortBase: number;
  scenarioNames?: string[] | undefined;
  variantNames?: string[] | undefined;
  /** Each worker writes a V8 CPU profile here when it exits (node --cpu-prof). */
  cpuProfDir?: string | undefined;
  onRow?: (row: BenchRow) => void;
  onProgress?: (line: string) => void;
}

/** What running one variant needs: the services and the fleet's shape. */
export type VariantRunOptions = Pick<
  E2eBenchOptions,
  'settings' | 'services' | 'workers' | 'concurrency' | 'metricsPortBase' | 'cpuProfDir' | 'onProgress'
>;

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Every variant on the same fleet shape, one scenario at a time. Grabs are enqueued into a
 * paused queue first, so the clock measures settling alone, not enqueuing or process start-up.
 * In `hot` and `spread` every packet can be granted, so each grab goes through the whole
 * lock-read-compute-commit path; `oversubscribed` has 100 grabs per packet.
 */
export async function runE2eBench(options: E2eBenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const queueName = `${options.settings.queue}-bench`;
  const queue = await ShardedQueue.open(queueName, options.settings.queueShards, options.services.redis, {
    logger: options.logger,
  });
  try {
    for (const scenario of scenarios.filter((s) => !options.scenarioNames || options.scenarioNames.includes(s.name))) {
      let ceiling = 0;
      const chosen = variants.filter(
        (v) =>
          (!options.variantNames || options.variantNames.includes(v.name)) &&
          (!v.scenarios || v.scenarios.includes(scenario.name)),
      );
      for (const variant of chosen) {
        const row = await runVariant(
          options,
          queue,
          { ...scenario, grabs: Math.max(scenario.pools, Math.round(scenario.grabs * options.scale)) },
          variant,
        );
        if (variant.name === 'ceiling') ceiling = row.grabsPerSec;
        row.ratioToCeiling = ceiling > 0 ? round(row.grabsPerSec / ceiling) : 0;
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    await queue.close();
  }
  return rows;
}

/**
 * One variant on one scenario: the grabs enqueued into the paused queue, the workers started,
 * then timed from resuming the queue until it is drained.
 */
export async function runVariant(
  options: VariantRunOptions,
  queue: ShardedQueue,
  scenario: Scenario,
  variant: BenchVariant,
): Promise<BenchRow> {
  const { services, settings } = options;
  await queue.obliterate();
  await queue.pause();
  const spec: CampaignSpec = {
    id: `bench-${scenario.name}-${variant.name.replace(/[^a-z0-9]+/g, '-')}-${Date.now()}`,
    split: 'random',
    pools: Array.from({ length: scenario.pools }, (_, i) => {
      const packets = scenario.packetsPerPool ?? Math.ceil(scenario.grabs / scenario.pools);
      return { id: `p${i + 1}`, amountCents: packets * 100, packets };
    }),
  };
  await services.ledger.createCampaign(spec);
  const record = (await services.ledger.getCampaign(spec.id))!;
  await enqueueGrabs({
    queue,
    campaign: record,
    ledger: services.ledger,
    outcomes: services.outcomes,
    slots: services.slots,
    users: generatedUsers(scenario.grabs),
    distribution: 'uniform',
    chunkSize: 1000,
    inFlight: 4,
  });
  options.onProgress?.(
    `${scenario.name} / ${variant.name}: ${scenario.grabs} grabs enqueued, starting ${options.workers} workers`,
  );

  const ports = Array.from({ length: options.workers }, (_, i) => options.metricsPortBase + i);
  const nodeArgs = options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
  const workers = ports.map((port) => startWorker(settings, queue.name, options.concurrency, variant, port, nodeArgs));
  try {
    await untilConsuming(services.redis, queue.name, variant, workers);
    const startedAt = performance.now();
    await queue.resume();
    // Every variant is timed alike, by the queue: a real worker records a grab's outcome before
    // its job completes. Counting outcomes instead would cost Redis a call per pool per poll.
    while (!Object.values(await queue.jobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0)) {
      if (workers.some((w) => w.exitCode !== null)) throw new Error(`a ${variant.name} worker exited early`);
      await sleep(50);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    if (variant.workArgs) {
      const { finished } = await services.outcomes.progress(record, record.stripes);
      if (finished !== scenario.grabs)
        throw new Error(`${variant.name}: the queue drained with ${finished} of ${scenario.grabs} outcomes recorded`);
    }
    const samples = variant.workArgs ? await scrape(ports) : [];
    const recent = (await Promise.all(queue.shards.map((q) => q.getCompleted(0, 999)))).flat();
    const report = variant.workArgs ? await buildReport(services, record) : undefined;
    const batches = sumOf(samples, 'grab_batch_size_count');
    return {
      scenario: scenario.name,
      strategy: variant.name,
      grabsPerSec: Math.round(scenario.grabs / seconds),
      ratioToCeiling: 0,
      p99JobMs: round(
        quantile(
          recent.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)),
          0.99,
        ),
      ),
      lockWaitP99Ms: round(histogramQuantile(samples, 'grab_lock_wait_seconds', 0.99) * 1000),
      meanBatch: batches > 0 ? round(sumOf(samples, 'grab_batch_size_sum') / batches) : 0,
      invariantsOk: report ? report.ok : null,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await services.ledger.deleteCampaign(spec.id);
  }
}

const JOIN_TIMEOUT_MS = 60_000;

/**
 * Until the started workers consume: those that join the fleet have joined (their heartbeats are
 * in the members set; on a busy machine a process can take seconds to start, and no clock may run
 * before) and split the shards; those that do not get the time a process takes to start.
 */
export async function untilConsuming(
  redis: RedisClient,
  queueName: string,
  variant: BenchVariant,
  workers: readonly ChildProcess[],
): Promise<void> {
  if (variant.joinsFleet === false) await sleep(2000);
  else {
    await untilJoined(redis, queueName, workers);
    // Each member hears of the others at its next heartbeat, and then takes its own shards.
    await sleep(defaultMembership.heartbeatMs);
  }
}

async function untilJoined(redis: RedisClient, queueName: string, workers: readonly ChildProcess[]): Promise<void> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  const live = () => redis.zcount(membersKey(queueName), Date.now() - defaultMembership.ttlMs, '+inf');
  while ((await live()) < workers.length) {
    if (workers.some((w) => w.exitCode !== null)) throw new Error('a worker exited before it joined the fleet');
    if (Date.now() > deadline) throw new Error(`the workers did not join the fleet within ${JOIN_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

export function startWorker(
  settings: Settings,
  queueName: string,
  concurrency: number,
  variant: BenchVariant,
  metricsPort: number,
  nodeArgs: readonly string[] = [],
): ChildProcess {
  const args = variant.workArgs
    ? [grabEntry, 'work', '--concurrency', String(concurrency), ...variant.workArgs]
    : [noopWorker, String(concurrency)];
  return spawn(process.execPath, [...nodeArgs, ...args], {
    env: childEnv({ ...settings, ...variant.settings, queue: queueName, metricsPort, logLevel: 'warn' }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

export async function scrape(ports: number[]): Promise<Sample[]> {
  const texts = await Promise.all(
    ports.map((port) =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      ),
    ),
  );
  return texts.flatMap(parsePrometheusText);
}
