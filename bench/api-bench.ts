import { spawn, type ChildProcess } from 'node:child_process';
import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { grabEntry } from '../shared/cli/grab-entry.js';
import { childEnv } from '../shared/config/child-env.js';
import type { Logger } from '../shared/logging/logger.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { producerProcess } from './enqueue-bench.js';

export interface ApiBenchResult {
  /** Grabs each way of ingesting enqueued: `grab produce`, then POSTs to `grab serve`. */
  jobs: number;
  produceJobsPerSec: number;
  apiJobsPerSec: number;
  /** API over produce: the goal is at least 0.5. */
  ratio: number;
  /** HTTP connections autocannon kept open. */
  connections: number;
  /** The 2-worker fleet's settle rate, and the `?wait` latency at about half of it. */
  fleetGrabsPerSec: number;
  waitRatePerSec: number;
  waitP50Ms: number;
  waitP99Ms: number;
  /** `?wait` answers that came back 200 (settled) over all of them. */
  waitSettledShare: number;
}

export interface ApiBenchOptions {
  settings: Settings;
  services: CommandServices;
  logger: Logger;
  jobs: number;
  connections: number;
  waitSeconds: number;
  workers: number;
  onProgress: (line: string) => void;
}

const POOLS = 20;
/** Grabs the fleet settles to measure its rate: enough for a steady rate, few enough to be quick. */
const FLEET_JOBS = 20_000;

/**
 * Ingest side by side, with no worker running: `grab produce` (its own process) enqueues `jobs`
 * grabs of one campaign, then `grab serve` (its own process) takes as many POSTs from autocannon
 * into another. Then, with `workers` workers, the fleet's settle rate, and `?wait` latency while
 * grabs arrive at half of it. Everything goes to the bench queue, emptied before and after.
 */
export async function runApiBench(options: ApiBenchOptions): Promise<ApiBenchResult> {
  const { settings, services, jobs, onProgress } = options;
  const autocannon = await loadAutocannon();
  const queueName = `${settings.queue}-bench`;
  const env = childEnv({ ...settings, queue: queueName, metricsPort: undefined, logLevel: 'warn' });
  const queue = await ShardedQueue.open(queueName, settings.queueShards, services.redis, { logger: options.logger });
  const stamp = Date.now();
  const campaigns = ['produce', 'api', 'fleet', 'wait'].map((k) => `bench-api-${k}-${stamp}`);
  const [produceId, apiId, fleetId, waitId] = campaigns as [string, string, string, string];
  for (const id of campaigns)
    await services.ledger.createCampaign({
      id,
      split: 'random',
      pools: Array.from({ length: POOLS }, (_, i) => ({ id: `p${i + 1}`, amountCents: jobs * 100, packets: jobs })),
    });
  const server = await startServer(env);
  const workers: ChildProcess[] = [];
  try {
    await queue.obliterate();
    onProgress(`grab produce: ${jobs} grabs`);
    const produced = await producerProcess({ ...settings, queue: queueName }, queueName, produceId, jobs);
    await queue.obliterate();

    onProgress(`grab serve: ${jobs} POSTs over ${options.connections} connections`);
    const ingest = await autocannon({
      url: server.url,
      connections: options.connections,
      amount: jobs,
      requests: [grabRequest(apiId, 'u')],
    });
    const enqueued = (await services.outcomes.progress(await record(services, apiId), POOLS)).enqueued;
    if (enqueued !== jobs) throw new Error(`the API enqueued ${enqueued} grabs of the ${jobs} posted`);
    await queue.obliterate();

    for (let i = 0; i < options.workers; i++) workers.push(grabProcess(['work'], env));
    const fleetJobs = Math.min(jobs, FLEET_JOBS);
    onProgress(`fleet of ${options.workers}: settling ${fleetJobs} grabs`);
    const fleetStart = performance.now();
    await producerProcess({ ...settings, queue: queueName }, queueName, fleetId, fleetJobs);
    await settled(services, fleetId, fleetJobs);
    const fleetGrabsPerSec = Math.round(fleetJobs / ((performance.now() - fleetStart) / 1000));

    const waitRatePerSec = Math.max(1, Math.round(fleetGrabsPerSec / 2));
    onProgress(`?wait at ${waitRatePerSec} grabs/s for ${options.waitSeconds} s`);
    const waited = await autocannon({
      url: server.url,
      connections: Math.max(options.connections, 200),
      overallRate: waitRatePerSec,
      duration: options.waitSeconds,
      requests: [grabRequest(waitId, 'w', 'wait=30000')],
      timeout: 40,
    });
    return {
      jobs,
      produceJobsPerSec: Math.round(jobs / produced.seconds),
      apiJobsPerSec: Math.round(jobs / ingest.duration),
      ratio: Math.round((produced.seconds / ingest.duration) * 100) / 100,
      connections: options.connections,
      fleetGrabsPerSec,
      waitRatePerSec,
      waitP50Ms: waited.latency.p50,
      waitP99Ms: waited.latency.p99,
      waitSettledShare:
        Math.round(((waited.statusCodeStats?.['200']?.count ?? 0) / Math.max(1, waited.requests.total)) * 1000) / 1000,
    };
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    server.child.kill('SIGTERM');
    await Promise.all([...workers, server.child].map(exited));
    await queue.obliterate();
    for (const id of campaigns) await services.ledger.deleteCampaign(id);
    await queue.close();
  }
}

/** Each request a new user's grab: u0, u1, ... */
function grabRequest(campaignId: string, prefix: string, query = '') {
  let next = 0;
  return {
    method: 'POST' as const,
    path: `/v1/campaigns/${campaignId}/grabs${query ? `?${query}` : ''}`,
    headers: { 'content-type': 'application/json' },
    setupRequest: (request: object) => ({ ...request, body: `{"user":"${prefix}${next++}"}` }),
  };
}

const grabProcess = (args: string[], env: NodeJS.ProcessEnv): ChildProcess =>
  spawn(process.execPath, [grabEntry, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** `grab serve` on a free loopback port, without a token (loopback needs none); its URL from its first line. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = grabProcess(['serve', '--port', '0'], { ...env, GRAB_API_TOKEN: '' });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /serving the API at (http:\/\/\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`grab serve exited with ${code}`)));
  });
  child.stdout!.resume();
  return { child, url };
}

async function record({ ledger }: CommandServices, campaignId: string) {
  const found = await ledger.getCampaign(campaignId);
  if (!found) throw new Error(`campaign ${campaignId} is gone`);
  return found;
}

async function settled(services: CommandServices, campaignId: string, jobs: number): Promise<void> {
  const campaign = await record(services, campaignId);
  for (;;) {
    const { finished } = await services.outcomes.progress(campaign, campaign.stripes);
    if (finished >= jobs) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** autocannon is a dev dependency: the bench runs from a clone (npm ci), not from the production image. */
async function loadAutocannon() {
  try {
    return (await import('autocannon')).default;
  } catch (err) {
    throw new Error('grab bench api needs autocannon, a dev dependency: run it from a clone after npm ci', {
      cause: err,
    });
  }
}
