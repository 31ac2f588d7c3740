/**
 * Grants that survive a failover: with a replica, a worker's commit counts only once WAIT says a
 * replica has it (GRAB_COMMIT_REPLICAS=auto). SIGSTOP the replica and the grabs stay unsettled,
 * counted as unconfirmed commits, until SIGCONT; then each settles once, and the replica holds
 * every grant. With the wait off, the same grabs settle while the replica hears nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sumOf } from '../../bench/prometheus-text.js';
import { grantsKey } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { OutcomeLog } from '../../shared/ledger/outcome-log.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { eventually, sleep } from '../support/async.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { campaignCreateArgs, grab, startGrab } from '../support/cli.js';
import { testZkConnect } from '../support/env.js';
import { freePort } from '../support/ports.js';
import { type RedisServer, startRedis } from '../support/servers.js';

const USERS = 10;

let master: RedisServer;
let replica: RedisServer;
let masterClient: Redis;
let replicaClient: Redis;
let env: Record<string, string>;

beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis({ replicaOf: master.port });
  masterClient = new Redis(master.url);
  replicaClient = new Redis(replica.url);
  await eventually(
    async () => /master_link_status:up/.test(await replicaClient.info('replication')),
    30_000,
    'the replica to sync with its master',
  );
  env = {
    REDIS_URL: master.url,
    ZK_CONNECT: testZkConnect(),
    GRAB_QUEUE: `wait-${randomUUID().slice(0, 8)}`,
    GRAB_COMMIT_WAIT_MS: '200',
    LOG_LEVEL: 'info',
  };
});

afterAll(async () => {
  process.kill(replica.pid, 'SIGCONT');
  masterClient.disconnect();
  replicaClient.disconnect();
  await replica.stop();
  await master.stop();
});

/**
 * A one-pool campaign and a worker on its own metrics port; the first user's grab is settled
 * (the campaign is claimed, replicated), then `midway` runs and the rest of USERS are enqueued.
 */
async function runWith(extraEnv: Record<string, string>, midway: () => void) {
  const id = `wait-${randomUUID().slice(0, 8)}`;
  const runEnv = { ...env, ...extraEnv };
  expect((await grab(campaignCreateArgs(id, 1, 20, '--amount-cents', '2000'), runEnv)).code).toBe(0);
  const port = await freePort();
  const worker = startGrab(['work', '--concurrency', '8', '--metrics-port', String(port)], runEnv);
  await eventually(() => worker.output().includes('"worker started"'), 60_000, 'the worker to start');
  const started = JSON.parse(
    worker
      .output()
      .split('\n')
      .find((l) => l.includes('"worker started"'))!,
  ) as {
    commitReplicas: number;
  };
  const produce = async (users: number) => {
    const produced = await grab(['produce', '--campaign', id, '--users', String(users)], runEnv);
    expect(produced.code, produced.stderr).toBe(0);
  };
  await produce(1);
  expect((await grab(['wait', '--campaign', id, '--timeout', '30'], runEnv)).code).toBe(0);
  midway();
  await produce(USERS);
  const ledger = new Ledger(masterClient);
  const record = (await ledger.getCampaign(id))!;
  const pool = poolAddress(record, record.spec.pools[0]!.id);
  const progress = () => new OutcomeLog(masterClient).progress(record, record.stripes);
  /** Grabs the users were told of: jobs BullMQ completed (the commit script records an outcome before its WAIT). */
  const told = async () => {
    const queue = await ShardedQueue.open(runEnv.GRAB_QUEUE!, 16, masterClient);
    try {
      return (await queue.jobCounts('completed')).completed ?? 0;
    } finally {
      await queue.close();
    }
  };
  const unconfirmed = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return sumOf(parsePrometheusText(text), 'grab_commits_unconfirmed_total');
  };
  return { id, runEnv, worker, pool, progress, told, unconfirmed, commitReplicas: started.commitReplicas };
}

// Several CLI runs each: generous limits for a busy machine.
describe('commits wait for a replica', { timeout: 300_000 }, () => {
  it('a stopped replica holds the grabs unsettled until it resumes; then each settles once', async () => {
    const run = await runWith({}, () => process.kill(replica.pid, 'SIGSTOP'));
    try {
      expect(run.commitReplicas).toBe(1);
      // Nothing the stopped replica cannot confirm is told: the grabs are put back, again and again.
      await eventually(async () => (await run.unconfirmed()) > 2, 60_000, 'commits to go unconfirmed');
      await sleep(1500);
      expect(await run.told()).toBe(1);
      process.kill(replica.pid, 'SIGCONT');
      const waited = await grab(['wait', '--campaign', run.id, '--timeout', '60'], run.runEnv);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${run.worker.output().slice(-3000)}`).toBe(0);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
      expect(await run.worker.stop()).toBe(0);
    }
    const check = await checkCampaign({ campaign: run.id, env: run.runEnv, expectedGrabs: USERS });
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted).toBe(USERS);
    expect(check.grants).toBe(USERS);
    expect(check.duplicateGrants).toBe(0);
    // Every grant the users were told of is on the replica.
    await eventually(
      async () => (await replicaClient.hlen(grantsKey(run.pool))) === USERS,
      30_000,
      'the replica to hold every grant',
    );
  });

  it('with the wait off, grabs settle while the replica is stopped', async () => {
    const run = await runWith({ GRAB_COMMIT_REPLICAS: '0' }, () => process.kill(replica.pid, 'SIGSTOP'));
    try {
      expect(run.commitReplicas).toBe(0);
      const waited = await grab(['wait', '--campaign', run.id, '--timeout', '60'], run.runEnv);
      expect(waited.code, waited.stdout + waited.stderr).toBe(0);
      // Settled and told, while the replica holds none of it: a failover now would lose them.
      expect(await run.unconfirmed()).toBe(0);
      expect((await run.progress()).outcomes.granted).toBe(USERS);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
      expect(await run.worker.stop()).toBe(0);
    }
  });
});
