/** The lock on a 3-node ensemble (scripts/zk-ensemble.sh) while its leader goes away and comes back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkFixture } from '../support/zk.js';
import { startZkEnsemble, type ZkEnsemble } from '../support/zk-ensemble.js';
import { eventually } from '../support/async.js';

let ensemble: ZkEnsemble | undefined;
let zk: ZkFixture | undefined;

beforeAll(async () => {
  ensemble = await startZkEnsemble();
});

afterAll(async () => {
  zk?.closeAll();
  await ensemble?.stopAll();
});

describe('ZooKeeper ensemble', () => {
  it('starts three nodes, one leading', async () => {
    const modes = await Promise.all(ensemble!.nodes.map((n) => n.mode()));
    expect(modes.sort()).toEqual(['follower', 'follower', 'leader']);
    expect(ensemble!.connect.split(',')).toHaveLength(3);
  });

  it(
    'elects a new leader when the leader stops; the lock holds through it, ' +
      'and the next holder gets a higher token',
    async () => {
      zk = new ZkFixture(ensemble!.connect);
      const first = await zk.lock().acquire('pool', { timeoutMs: 10_000 });
      const oldLeader = (await ensemble!.leader())!;

      await oldLeader.stop();
      let newLeader: Awaited<ReturnType<ZkEnsemble['leader']>>;
      await eventually(
        async () => {
          newLeader = await ensemble!.leader();
          return newLeader !== undefined;
        },
        20_000,
        'a new leader among the two nodes left',
      );
      expect(newLeader!.id).not.toBe(oldLeader.id);

      // Sessions live in the ensemble, not in one server: a leader change is not a loss.
      const next = zk.lock().acquire('pool', { timeoutMs: 20_000 });
      await eventually(async () => (await zk!.children('pool')).length === 2, 10_000, 'a second contender queued');
      expect(first.lost.aborted).toBe(false);
      expect(first.isSafe()).toBe(true);
      await first.release();
      const second = await next;
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      await second.release();

      await oldLeader.start();
      expect(await oldLeader.mode()).toBe('follower');
      const third = await zk.lock().acquire('pool', { timeoutMs: 10_000 });
      expect(third.fencingToken).toBeGreaterThan(second.fencingToken);
      await third.release();
    },
  );
});
