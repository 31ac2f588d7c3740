/**
 * The fleet on a real Redis Cluster (3 masters, 3 replicas; one cluster for the whole file):
 * a campaign settled end to end with its queue shards spread over the masters, and campaign
 * create and delete killed (kill -9) halfway through their pools, then run again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../shared/config/settings.js';
import { pendingCampaignKey, poolKey, stripeCount } from '../../shared/ledger/keys.js';
import { Ledger } from '../../shared/ledger/ledger.js';
import { poolAddress } from '../../shared/ledger/ledger-types.js';
import { shardQueuePrefix } from '../../shared/queue/queue-names.js';
import { shardQueueName } from '../../shared/queue/queue-shards.js';
import { createRedis, type RedisClient } from '../../shared/redis/connection.js';
import { scanKeys } from '../../shared/redis/scan-keys.js';
import { sleep } from '../support/async.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { startChaosFleet } from '../support/chaos.js';
import { grab, startGrab } from '../support/cli.js';
import { testZkConnect } from '../support/env.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';

let cluster: RedisCluster;
let env: Record<string, string>;
let redis: RedisClient;
let ledger: Ledger;

beforeAll(async () => {
  cluster = await startRedisCluster();
  env = { REDIS_CLUSTER_NODES: cluster.nodes, ZK_CONNECT: testZkConnect() };
  redis = createRedis(loadSettings({ ...process.env, ...env }), 'command');
  ledger = new Ledger(redis);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

/** The campaign's pool hashes there are now, of those given. */
const existing = async (keys: readonly string[]): Promise<number> =>
  (await Promise.all(keys.map((key) => redis.exists(key)))).reduce((a, b) => a + b, 0);

/** Polls until `ready`, then stops the process with SIGSTOP (so nothing moves while it is looked at). */
async function stopWhen(child: ReturnType<typeof startGrab>, ready: () => Promise<boolean>, what: string) {
  const until = Date.now() + 60_000;
  while (!(await ready())) {
    if (child.child.exitCode !== null || Date.now() > until)
      throw new Error(`${what} never happened before the command ended:\n${child.output()}`);
    await sleep(5);
  }
  child.child.kill('SIGSTOP');
}

async function killed(child: ReturnType<typeof startGrab>): Promise<void> {
  child.child.kill('SIGKILL');
  await child.exited;
  expect(child.child.signalCode).toBe('SIGKILL');
}

describe('the fleet on a Redis Cluster', () => {
  it('settles a campaign end to end, its queue shards spread over the masters', { timeout: 180_000 }, async () => {
    const id = `cl-${randomUUID().slice(0, 8)}`;
    const GRABS = 1000;
    const created = await grab(
      ['campaign', 'create', '--id', id, '--pools', '10', '--packets', '50', '--amount', '88.88'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const fleet = await startChaosFleet(2, ['--concurrency', '50'], env);
    try {
      const produced = await grab(
        ['produce', '--campaign', id, '--users', String(GRABS), '--distribution', 'uniform'],
        env,
      );
      expect(produced.code, produced.stderr).toBe(0);
      const waited = await grab(['wait', '--campaign', id, '--timeout', '120'], env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
    } finally {
      expect(await fleet.stop()).toBe(0);
    }
    const check = await checkCampaign({ campaign: id, env, expectedGrabs: GRABS });
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.granted + check.report.outcomes.sold_out).toBe(GRABS);

    const { queue, queueShards } = loadSettings({});
    const masters = await Promise.all(
      Array.from({ length: queueShards }, (_, i) =>
        cluster.masterOf(`${shardQueuePrefix(i)}:${shardQueueName(queue, i)}:meta`),
      ),
    );
    expect(new Set(masters.map((m) => m.port)).size).toBeGreaterThan(1);

    const deleted = await grab(['campaign', 'delete', '--id', id], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`and ${GRABS} of its jobs`);
  });

  it('a create or delete killed between pools is finished by running it again', { timeout: 240_000 }, async () => {
    const id = `cl-big-${randomUUID().slice(0, 8)}`;
    const POOLS = 30_000;
    const createArgs = ['campaign', 'create', '--id', id, '--pools', String(POOLS), '--packets', '2', '--amount', '1'];
    const stripes = stripeCount(POOLS);
    const pools = Array.from({ length: POOLS }, (_, i) => `p${i + 1}`);
    const keysOf = (instance: number) =>
      pools.map((p) => poolKey(poolAddress({ campaignId: id, instance, stripes }, p)));

    // Create: stopped once the first pools are written, then killed.
    const creating = startGrab(createArgs, env);
    let instance = 0;
    await stopWhen(
      creating,
      async () => {
        instance = Number(await redis.hget(pendingCampaignKey(id), 'instance'));
        return instance > 0 && (await existing(keysOf(instance).slice(0, 2000))) > 0;
      },
      'a first pool written',
    );
    const writtenAtKill = await existing(keysOf(instance));
    await killed(creating);
    expect(writtenAtKill).toBeGreaterThan(0);
    expect(writtenAtKill).toBeLessThan(POOLS);
    // Nothing a grab can use: no campaign, so the producer refuses it.
    await expect(ledger.getCampaign(id)).resolves.toBeUndefined();
    const produced = await grab(['produce', '--campaign', id, '--users', '10'], env);
    expect(produced.code).not.toBe(0);
    expect(produced.stderr).toContain(`campaign "${id}" is incomplete: its creation was cut short`);
    expect((await grab(['campaign', 'list'], env)).stdout).toContain(`${id}\tincomplete\t`);
    // Another spec under the id is refused, naming the way out.
    const other = await grab(
      ['campaign', 'create', '--id', id, '--pools', '3', '--packets', '2', '--amount', '1'],
      env,
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('cut short');

    const again = await grab(createArgs, env);
    expect(again.code, again.stderr).toBe(0);
    const record = await ledger.getCampaign(id);
    expect(record?.instance).toBe(instance);
    await expect(redis.exists(pendingCampaignKey(id))).resolves.toBe(0);
    const states = await ledger.poolStates(pools.map((p) => poolAddress(record!, p)));
    expect(states.filter((s) => s?.remainingPackets === 2 && s.remainingCents === 100)).toHaveLength(POOLS);

    // Delete: stopped once the first pools are gone, then killed; the record stays until the end.
    const deleting = startGrab(['campaign', 'delete', '--id', id], env);
    await stopWhen(
      deleting,
      async () => (await existing(keysOf(instance).slice(0, 2000))) < 2000,
      'a first pool deleted',
    );
    const leftAtKill = await existing(keysOf(instance));
    await killed(deleting);
    expect(leftAtKill).toBeGreaterThan(0);
    expect(leftAtKill).toBeLessThan(POOLS);
    await expect(ledger.getCampaign(id)).resolves.toMatchObject({ instance });

    const deletedAgain = await grab(['campaign', 'delete', '--id', id], env);
    expect(deletedAgain.code, deletedAgain.stderr).toBe(0);
    await expect(ledger.getCampaign(id)).resolves.toBeUndefined();
    await expect(ledger.listCampaigns()).resolves.not.toContain(id);
    const left: string[] = [];
    for await (const keys of scanKeys(redis, `*{${id}*`)) left.push(...keys);
    expect(left).toEqual([]);
  });
});
