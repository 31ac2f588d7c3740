/**
 * A real Prometheus, loaded with prometheus/rules.yml and scraping real fleets every second:
 * every dashboard query and rule expression must come back with data, and the herd size read
 * from Prometheus must show what the zk-herd lock costs over the zk lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { loadSettings } from '../../shared/config/settings.js';
import { grab as grabCli, startGrab as startGrabCli, campaignCreateArgs } from '../support/cli.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { dashboardQueries, metricNames, readRules, repoFile } from '../support/observability.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, sleep } from '../support/async.js';
import { freePortRange } from '../support/ports.js';

const WORKERS = 4;
/** Grafana's $__rate_interval at a 1 s scrape interval, with room for a slow scrape. */
const RATE_INTERVAL = '15s';

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromReply {
  status: 'success' | 'error';
  error?: string;
  data: { resultType: string; result: PromResult[] };
}

let dir: string;
let prometheus: ChildProcess;
let promBase: string;
/** Worker i of phase p serves base + p * WORKERS + i; the producer serves producerPort. */
let base: number;
let producerPort: number;

const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;

/** A queue of this file's own, so no grab is left for another test's workers, nor taken from them. */
const queueName = newId('obs');
const grab = (args: string[]) => grabCli(args, { GRAB_QUEUE: queueName });
const startGrab = (args: string[], env: Record<string, string> = {}) =>
  startGrabCli(args, { GRAB_QUEUE: queueName, ...env });

/** prometheus/prometheus.yml as shipped, with this run's ports, a 1 s interval, and the rules by absolute path. */
function writeConfig(): string {
  const config = parseYaml(readFileSync(repoFile('prometheus/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  config.global = { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
  config.rule_files = [repoFile('prometheus/rules.yml')];
  const targets: Record<string, string[]> = {
    'grab-worker': Array.from({ length: 2 * WORKERS }, (_, i) => `127.0.0.1:${base + i}`),
    'grab-producer': [`127.0.0.1:${producerPort}`],
  };
  for (const job of config.scrape_configs) job.static_configs = [{ targets: targets[job.job_name]! }];
  const path = join(dir, 'prometheus.yml');
  writeFileSync(path, stringifyYaml(config));
  return path;
}

async function query(expr: string): Promise<PromReply> {
  const url = new URL('/api/v1/query', promBase);
  url.searchParams.set('query', expr);
  return (await (await fetch(url)).json()) as PromReply;
}

/** Polls until the expression returns at least one sample; the last reply otherwise. */
async function queryWithData(expr: string, timeoutMs: number): Promise<PromReply> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const reply = await query(expr);
    if ((reply.status === 'success' && reply.data.result.length > 0) || Date.now() > until) return reply;
    await sleep(500);
  }
}

const scalar = (reply: PromReply): number => Number(reply.data.result[0]?.value[1] ?? NaN);

/** Wakeups per release over the lifetime of the strategy's workers, as Prometheus last scraped them. */
async function herdSize(strategy: string): Promise<number> {
  const expr =
    `sum(grab_lock_wakeups_total{strategy="${strategy}"}) / ` + `sum(grab_lock_releases_total{strategy="${strategy}"})`;
  return scalar(await queryWithData(expr, 5000));
}

async function createCampaign(tag: string, pools: number, users: number): Promise<string> {
  const id = newId(tag);
  const created = await grab(campaignCreateArgs(id, pools, Math.ceil(users / 8), '--amount', '100.00'));
  expect(created.code, created.stderr).toBe(0);
  return id;
}

/** WORKERS processes taking one grab per lock acquisition, so on a hot pool every one of them queues. */
// Affinity off: every worker consumes the one pool's shard, so they contend for its lock.
function startFleet(lock: string, firstPort: number) {
  return startGrab([
    'fleet',
    '--workers',
    String(WORKERS),
    '--lock',
    lock,
    '--concurrency',
    '50',
    '--max-batch',
    '1',
    '--affinity',
    'off',
    '--metrics-port',
    String(firstPort),
  ]);
}

async function waitReady(ports: number[]): Promise<void> {
  await eventually(
    async () =>
      (
        await Promise.all(
          ports.map((p) =>
            fetch(`http://127.0.0.1:${p}/readyz`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        )
      ).every(Boolean),
    20_000,
    `workers on ${ports.join(', ')} ready`,
  );
}

/** Produces a campaign in one burst and waits until every grab has an outcome, then one more scrape. */
async function burst(campaign: string, users: number): Promise<void> {
  const produced = await grab(['produce', '--campaign', campaign, '--users', String(users), '--distribution', 'hot']);
  expect(produced.code, produced.stderr).toBe(0);
  const waited = await grab(['wait', '--campaign', campaign, '--timeout', '60']);
  expect(waited.code, waited.stderr).toBe(0);
  await sleep(2500);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grab-observability-'));
  base = await freePortRange(2 * WORKERS + 1);
  producerPort = base + 2 * WORKERS;
  const promPort = await freePortRange(1);
  promBase = `http://127.0.0.1:${promPort}`;
  const log = openSync(join(dir, 'prometheus.log'), 'a');
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${writeConfig()}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  let spawnError: Error | undefined;
  prometheus.once('error', (err) => (spawnError = err));
  await eventually(
    () => {
      if (spawnError)
        throw new Error(
          `cannot run prometheus (${spawnError.message}); install it with: sudo bash ` +
            `scripts/services.sh install --with-prometheus`,
        );
      if (prometheus.exitCode !== null)
        throw new Error(`prometheus exited: ${readFileSync(join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
      return fetch(`${promBase}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    },
    20_000,
    'prometheus ready',
  );
});

afterAll(async () => {
  const redis = new Redis(testRedisUrl());
  const queue = await ShardedQueue.open(queueName, loadSettings({}).queueShards, redis);
  await queue.obliterate();
  await queue.close();
  redis.disconnect();
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('observability against a real Prometheus', () => {
  let zkHerd = NaN;

  it('zk: each release wakes about one waiter', async () => {
    const campaign = await createCampaign('obs-zk', 1, 1200);
    const fleet = startFleet('zk', base);
    try {
      await waitReady(Array.from({ length: WORKERS }, (_, i) => base + i));
      expect(fleet.output()).toContain(
        `fleet: metrics http://127.0.0.1:${base}/metrics http://127.0.0.1:${base + 1}/metrics`,
      );
      await burst(campaign, 1200);
      zkHerd = await herdSize('zk');
    } finally {
      expect(await fleet.stop()).toBe(0);
    }
    // At most one waiter per release; above 0.5, the workers did queue (a release with nobody
    // waiting wakes no one, which a fast machine sees more often).
    expect(zkHerd).toBeGreaterThan(0.5);
    expect(zkHerd).toBeLessThanOrEqual(1.05);
  }, 60_000);

  it('zk-herd: each release wakes several waiters; every dashboard query and rule expression has data', async () => {
    const firstPort = base + WORKERS;
    const hot = await createCampaign('obs-herd', 1, 1200);
    const fleet = startFleet('zk-herd', firstPort);
    let producer: ReturnType<typeof startGrab> | undefined;
    try {
      await waitReady(Array.from({ length: WORKERS }, (_, i) => firstPort + i));
      await burst(hot, 1200);
      const herd = await herdSize('zk-herd');
      console.log(`herd size read from Prometheus: zk ${zkHerd.toFixed(2)}, zk-herd ${herd.toFixed(2)}`);
      expect(herd).toBeGreaterThan(1.5);
      expect(herd).toBeGreaterThan(zkHerd * 1.5);

      // A paced producer keeps its own metrics up while the queries run.
      const campaign = await createCampaign('obs-dash', 4, 1600);
      producer = startGrab([
        'produce',
        '--campaign',
        campaign,
        '--users',
        '1600',
        '--distribution',
        'hot',
        '--rate',
        '80',
        '--metrics-port',
        String(producerPort),
      ]);
      await eventually(
        () =>
          fetch(`http://127.0.0.1:${producerPort}/readyz`).then(
            (r) => r.ok,
            () => false,
          ),
        10_000,
        'producer serving metrics',
      );

      const queries = dashboardQueries({
        campaign,
        pool: '.*',
        job: '.+',
        instance: '.+',
        __rate_interval: RATE_INTERVAL,
      });
      const replies = await Promise.all(
        queries.map(async (q) => ({ ...q, reply: await queryWithData(q.expr, 20_000) })),
      );
      const empty = replies.filter((r) => r.reply.status !== 'success' || r.reply.data.result.length === 0);
      expect(empty.map((r) => `${r.where}: ${r.expr} -> ${r.reply.error ?? 'no data'}`)).toEqual([]);

      for (const rule of readRules()) {
        const reply = await query(rule.expr);
        expect(reply.status, `${rule.alert}: ${reply.error}`).toBe('success');
        if (rule.alert === 'GrabPoolBelowZero') {
          expect(reply.data.result, 'a pool below zero').toEqual([]);
          continue;
        }
        for (const name of metricNames(rule.expr)) {
          const series = await queryWithData(`count({__name__="${name}"})`, 5000);
          expect(series.data.result.length, `${rule.alert}: no ${name} series`).toBe(1);
        }
      }
      const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const evaluated = rules.data.groups.flatMap((g) => g.rules);
      expect(evaluated.map((r) => r.name).sort()).toEqual(
        readRules()
          .map((r) => r.alert)
          .sort(),
      );
      expect(
        evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      ).toEqual([]);
    } finally {
      await producer?.stop();
      expect(await fleet.stop()).toBe(0);
    }
  }, 90_000);

  it('/readyz turns 503 while ZooKeeper or Redis is unreachable, and /metrics keeps answering', async () => {
    const [zkHost, zkPort] = testZkConnect().split(':');
    const redisUrl = new URL(testRedisUrl());
    const proxies: TcpProxy[] = [
      await startTcpProxy(zkHost!, Number(zkPort)),
      await startTcpProxy(redisUrl.hostname, Number(redisUrl.port)),
    ];
    const [zk, redis] = proxies as [TcpProxy, TcpProxy];
    const port = producerPort; // free again: the producer has stopped
    // An empty queue of its own: no grab is in flight when it stops.
    const worker = startGrab(['work', '--lock', 'zk', '--concurrency', '4', '--metrics-port', String(port)], {
      GRAB_QUEUE: newId('obs-ready'),
      ZK_CONNECT: zk.address,
      REDIS_URL: `redis://${redis.address}`,
    });
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return res ? { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } } : undefined;
    };
    try {
      await eventually(async () => (await readyz())?.status === 200, 15_000, 'worker ready');
      zk.cut();
      await eventually(async () => (await readyz())?.status === 503, 5000, 'not ready without ZooKeeper');
      expect((await readyz())?.body.checks).toEqual({ redis: true, zookeeper: false });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^grab_zk_connected 0$/m);
      expect(metrics).toMatch(/^grab_zk_disconnects_total [1-9]/m);
      zk.restore();
      await eventually(async () => (await readyz())?.status === 200, 15_000, 'ready again with ZooKeeper back');

      redis.cut();
      await eventually(async () => (await readyz())?.status === 503, 5000, 'not ready without Redis');
      expect((await readyz())?.body.checks).toMatchObject({ redis: false });
      const duringOutage = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(duringOutage.status).toBe(200);
      expect(await duringOutage.text()).toMatch(/^grab_zk_connected 1$/m);
      redis.restore();
      await eventually(async () => (await readyz())?.status === 200, 15_000, 'ready again with Redis back');
    } finally {
      await worker.stop();
      for (const proxy of proxies) await proxy.close();
    }
  }, 60_000);
});
