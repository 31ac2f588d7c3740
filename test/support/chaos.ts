/**
 * Shared machinery of the chaos scenarios (test/chaos/): sizes that scale with CHAOS_FULL, a
 * private Redis per file, a fleet whose worker pids and metrics can be reached, a progress
 * monitor that measures recovery after each fault, and the result table.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import { parsePrometheusText, sumOf } from '../../bench/prometheus-text.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import type { CampaignRecord } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { shardQueuePrefix } from '../../shared/queue/queue-names.js';
import { shardOf, shardQueueName } from '../../shared/queue/queue-shards.js';
import type { ChaosCheck } from './chaos-checker.js';
import { sleep } from './async.js';
import { campaignCreateArgs, grab, startGrab } from './cli.js';
import { freePortRange } from './ports.js';

/** `npm run chaos` sets CHAOS_FULL=1: bigger campaigns, more faults. CI runs the short form. */
export const FULL = process.env.CHAOS_FULL === '1';
export const scale = <T>(short: T, full: T): T => (FULL ? full : short);

/** Where each scenario appends its result row (NDJSON); test/chaos/print-table.mjs prints them. */
export const RESULTS_FILE = process.env.CHAOS_RESULTS ?? join(tmpdir(), 'grab-chaos-results.ndjson');

export const randomInt = (n: number) => Math.floor(Math.random() * n);

/** Pids of a process's direct children (`pgrep -P`). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The process state letter from /proc (R, S, T for stopped, Z, ...); undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Sums the samples of each metric in a Prometheus text exposition. */
export function metricSums(text: string, names: readonly string[]): Record<string, number> {
  const samples = parsePrometheusText(text);
  return Object.fromEntries(names.map((name) => [name, sumOf(samples, name)]));
}

export const CHAOS_METRICS = [
  'grab_lock_lost_total',
  'grab_fencing_rejections_total',
  'grab_zk_session_expirations_total',
  'grab_zk_disconnects_total',
] as const;

/**
 * Counters scraped from every worker's /metrics, summed over restarts: a restarted worker starts
 * its counters at 0, so a drop means "add what the last process had counted".
 */
export class MetricsTracker {
  private readonly last = new Map<string, number>();
  private readonly banked = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  scrapes = 0;

  constructor(private readonly ports: number[]) {}

  async scrape(): Promise<void> {
    await Promise.all(
      this.ports.map(async (port) => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) });
          const sums = metricSums(await res.text(), CHAOS_METRICS);
          this.scrapes++;
          for (const [name, value] of Object.entries(sums)) {
            const key = `${port}/${name}`;
            const prev = this.last.get(key) ?? 0;
            if (value < prev) this.banked.set(key, (this.banked.get(key) ?? 0) + prev);
            this.last.set(key, value);
          }
        } catch {
          // a worker being restarted (or stopped) does not answer; the next scrape will
        }
      }),
    );
  }

  start(everyMs = 300): void {
    this.timer = setInterval(() => void this.scrape(), everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scrape();
  }

  total(name: (typeof CHAOS_METRICS)[number]): number {
    let sum = 0;
    for (const port of this.ports) {
      const key = `${port}/${name}`;
      sum += (this.last.get(key) ?? 0) + (this.banked.get(key) ?? 0);
    }
    return sum;
  }
}

/**
 * Samples how many grabs of a campaign have an outcome, so the time from a fault to the fleet's
 * next progress (recovery) can be measured.
 */
export class ProgressMonitor {
  private readonly redis: Redis;
  private readonly outcomes: OutcomeLog;
  private readonly ledger: Ledger;
  private record: CampaignRecord | undefined;
  private readonly samples: Array<{ at: number; finished: number }> = [];
  private readonly faults: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    redisUrl: string,
    private readonly campaign: string,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.outcomes = new OutcomeLog(this.redis);
    this.ledger = new Ledger(this.redis);
  }

  async sample(): Promise<number> {
    this.record ??= await this.ledger.getCampaign(this.campaign);
    if (!this.record) throw new Error(`no campaign ${this.campaign}`);
    const { finished } = await this.outcomes.progress(this.record, this.record.stripes);
    this.samples.push({ at: Date.now(), finished });
    return finished;
  }

  start(everyMs = 100): void {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), everyMs);
  }

  /** Marks a fault now. */
  fault(): void {
    this.faults.push(Date.now());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sample().catch(() => undefined);
    this.redis.disconnect();
  }

  /** Outcomes recorded by the time of the last fault (NaN if no fault). */
  finishedAtLastFault(): number {
    const last = this.faults.at(-1);
    if (last === undefined) return Number.NaN;
    return [...this.samples].reverse().find((s) => s.at <= last)?.finished ?? 0;
  }

  /** From the last fault until every one of `total` grabs had an outcome (NaN if no fault or never). */
  drainMs(total: number): number {
    const last = this.faults.at(-1);
    const done = this.samples.find((s) => s.finished >= total);
    return last === undefined || !done ? Number.NaN : Math.max(0, done.at - last);
  }

  /**
   * The longest time from a fault to the first sample showing more outcomes than the last
   * sample before it (NaN if no fault); a fault after which nothing moved counts to the end.
   */
  maxRecoveryMs(): number {
    let worst = Number.NaN;
    for (const t of this.faults) {
      const before = [...this.samples].reverse().find((s) => s.at <= t);
      const base = before?.finished ?? 0;
      const after = this.samples.find((s) => s.at > t && s.finished > base);
      const ms = after ? after.at - t : (this.samples.at(-1)?.at ?? t) - t;
      worst = Number.isNaN(worst) ? ms : Math.max(worst, ms);
    }
    return worst;
  }
}

/** Where a grab that is not settled yet can be in its queue shard. */
const UNSETTLED: JobType[] = ['active', 'wait', 'delayed'];

/**
 * How long grabs that were in a pool's queue shard when a fault struck stayed unsettled. At each
 * fault the shard's jobs in the given states are noted ('active': those taken; with 'wait', every
 * grab enqueued before the fault), and the time until none of them was left active, waiting or
 * delayed is kept. After a kill -9, 'active' gives how long the killed worker's grabs waited
 * (those of live workers settle at once), whatever backlog the queue holds behind them.
 */
export class InFlightTracker {
  private readonly redis: Redis;
  private readonly shard: Queue;
  private readonly pending: Array<{ at: number; jobs: Set<string> }> = [];
  private readonly settledMs: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    redisUrl: string,
    queue: string,
    shards: number,
    campaign: string,
    pool: string,
    private readonly noted: JobType[] = ['active'],
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const shard = shardOf(campaign, pool, shards);
    this.shard = new Queue(shardQueueName(queue, shard), { connection: this.redis, prefix: shardQueuePrefix(shard) });
  }

  /** Notes the grabs there are now, and tells how many; call it right after the fault. */
  async fault(): Promise<number> {
    const at = Date.now();
    const jobs = new Set(await this.shard.getRanges(this.noted, 0, -1));
    this.pending.push({ at, jobs });
    return jobs.size;
  }

  start(everyMs = 100): void {
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll()).catch(() => undefined);
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll().catch(() => undefined);
    await this.shard.close();
    this.redis.disconnect();
  }

  /** The longest a fault's grabs took to settle; Infinity while some never did, NaN without a fault. */
  maxSettleMs(): number {
    if (this.pending.length > 0) return Number.POSITIVE_INFINITY;
    return this.settledMs.length === 0 ? Number.NaN : Math.max(...this.settledMs);
  }

  private async poll(): Promise<void> {
    if (this.pending.length === 0) return;
    const unsettled = new Set(await this.shard.getRanges(UNSETTLED, 0, -1));
    const now = Date.now();
    for (const entry of [...this.pending]) {
      for (const id of entry.jobs) if (!unsettled.has(id)) entry.jobs.delete(id);
      if (entry.jobs.size > 0) continue;
      this.settledMs.push(now - entry.at);
      this.pending.splice(this.pending.indexOf(entry), 1);
    }
  }
}

/** `grab fleet` with its workers' metrics on ports base…base+workers−1. */
export async function startChaosFleet(
  workers: number,
  flags: string[],
  env: Record<string, string>,
  /** How long every worker may take to serve /healthz. */
  upWithinMs = 30_000,
) {
  const metricsBase = await freePortRange(workers);
  const fleet = startGrab(
    ['fleet', '--workers', String(workers), '--metrics-port', String(metricsBase), ...flags],
    env,
  );
  const ports = Array.from({ length: workers }, (_, i) => metricsBase + i);
  const pid = fleet.child.pid!;
  // Wait until every worker runs and serves /healthz.
  const until = Date.now() + upWithinMs;
  for (;;) {
    const up = await Promise.all(ports.map((p) => healthz(p)));
    if (up.every(Boolean) && childPids(pid).length === workers) break;
    if (fleet.child.exitCode !== null || Date.now() > until)
      throw new Error(`the fleet did not come up:\n${fleet.output().slice(-3000)}`);
    await sleep(100);
  }
  return { ...fleet, pid, ports, workerPids: () => childPids(pid) };
}

/** Whether the process on this metrics port answers 200 on `path`. */
async function answers200(port: number, path: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

export const healthz = (port: number) => answers200(port, '/healthz');

export const readyz = (port: number) => answers200(port, '/readyz');

export interface ResultRow {
  scenario: string;
  grabs: number;
  faults: string;
  violations: number;
  lostGrabs: number;
  duplicateGrants: number;
  fencedWrites: number | string;
  recovery: string;
  seconds: number;
}

/** What a scenario tells of its run; the rest of its row comes from the checker's verdict. */
export interface ScenarioRun {
  scenario: string;
  grabs: number;
  faults: string;
  fencedWrites: number | string;
  recovery: string;
  startedAt: number;
  /** Duplicate grants as this scenario counts them, when the checker's count is not all of it. */
  duplicateGrants?: number;
}

/** Appends the scenario's row to the results file, prints it, and prints the first violations if any. */
export function recordRow(run: ScenarioRun, check: ChaosCheck): void {
  const { startedAt, ...described } = run;
  const row: ResultRow = {
    ...described,
    violations: check.violations.length,
    lostGrabs: check.lostGrabs,
    duplicateGrants: run.duplicateGrants ?? check.duplicateGrants,
    seconds: (Date.now() - startedAt) / 1000,
  };
  appendFileSync(RESULTS_FILE, `${JSON.stringify({ ...row, full: FULL })}\n`);
  console.log(formatTable([row]));
  if (check.violations.length > 0)
    console.log(
      `violations (${run.scenario}; overspent ${check.overspentCents} cents):\n ` +
        ` ${check.violations.slice(0, 10).join('\n  ')}`,
    );
}

export function formatTable(rows: ResultRow[]): string {
  const head = [
    'scenario',
    'grabs',
    'faults injected',
    'violations',
    'lost grabs',
    'duplicate grants',
    'fenced writes',
    'recovery time',
    'run',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const cells = [
      r.scenario,
      r.grabs.toLocaleString('en-US'),
      r.faults,
      r.violations,
      r.lostGrabs,
      r.duplicateGrants,
      r.fencedWrites,
      r.recovery,
      `${r.seconds.toFixed(0)} s`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export const ms = (n: number) =>
  Number.isNaN(n)
    ? '–'
    : n === Number.POSITIVE_INFINITY
      ? 'never'
      : n >= 1000
        ? `${(n / 1000).toFixed(1)} s`
        : `${Math.round(n)} ms`;

export interface HotPoolRunOptions {
  /** Part of the campaign id, e.g. "kill-zk". */
  tag: string;
  packets: number;
  lock: 'zk' | 'none';
  sessionMs: number;
  redisUrl: string;
  env: Record<string, string>;
}

/** Creates campaign chaos-TAG-RANDOM: one pool of `packets` packets, 10 cents each; returns its id. */
export async function createHotPoolCampaign(tag: string, packets: number, env: Record<string, string>) {
  const id = `chaos-${tag}-${randomUUID().slice(0, 8)}`;
  const created = await grab(campaignCreateArgs(id, 1, packets, '--amount-cents', String(packets * 10)), env);
  if (created.code !== 0) throw new Error(`campaign create exited ${created.code}: ${created.stderr}`);
  return id;
}

/**
 * The common shape of a fault scenario: one hot pool, a 2-worker fleet racing for it, and the
 * trackers of its /metrics and its outcomes, already running.
 */
export async function startHotPoolRun({ tag, packets, lock, sessionMs, redisUrl, env }: HotPoolRunOptions) {
  const id = await createHotPoolCampaign(tag, packets, env);
  // Unlocked, one grab per batch: the two workers' reads and writes interleave as often as they
  // can, so a lost update (an overspend) shows however fast the machine is.
  const batch = lock === 'none' ? '1' : '8';
  const fleet = await startChaosFleet(
    2,
    ['--lock', lock, '--concurrency', '50', '--max-batch', batch, '--zk-session-timeout-ms', String(sessionMs)],
    env,
  );
  const metrics = new MetricsTracker(fleet.ports);
  const progress = new ProgressMonitor(redisUrl, id);
  metrics.start();
  progress.start();
  return { id, fleet, metrics, progress };
}
