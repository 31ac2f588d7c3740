import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/async.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';

describe('scripts/redis-cluster.sh', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts 3 masters and 3 replicas, and a replica takes over a killed master', async () => {
    const roles = await Promise.all(cluster.members.map((m) => m.role()));
    expect(roles.filter((r) => r === 'master')).toHaveLength(3);
    expect(roles.filter((r) => r === 'slave')).toHaveLength(3);
    expect(cluster.nodes.split(',')).toHaveLength(6);

    const key = 'grab:pool:{c@1/0}:p';
    const master = await cluster.masterOf(key);
    await master.kill9();
    const tookOver = async () => (await cluster.masterOf(key).catch(() => master)).port !== master.port;
    await eventually(tookOver, 20_000, 'a replica to take over the killed master');

    await cluster.restartDown();
    expect(await master.role()).toBe('slave');
  }, 90_000);
});
