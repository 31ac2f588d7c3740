/** ZK_AUTH: the lock's nodes belong to the fleet's digest credentials; strangers may only look. */
import { randomUUID } from 'node:crypto';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteTree } from '../../shared/lock/delete-tree.js';
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { LOCK_ROOT, ZkLock } from '../../shared/lock/zk-lock.js';
import { grab } from '../support/cli.js';
import { testZkConnect } from '../support/env.js';
import { startZooKeeper, stopAll } from '../support/servers.js';
import { eventually } from '../support/async.js';

const { Exception, CreateMode } = zookeeper;
const FLEET_AUTH = 'fleet:s3cret';
// Its own top-level root: an ACL'd ancestor shared with other tests would lock them out.
const root = `/grab-acl-test-${randomUUID()}`;
const connections: ZkConnection[] = [];
const clients: Client[] = [];

const fleetLock = (connect = testZkConnect(), lockRoot = root) => {
  const connection = new ZkConnection({ connect, sessionTimeoutMs: 10_000, auth: FLEET_AUTH });
  connections.push(connection);
  return new ZkLock(connection, { root: lockRoot });
};

/** A plain node-zookeeper-client, as anyone on the network could open one. */
async function stranger(auth?: string, connect = testZkConnect()): Promise<Client> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, retries: 0 });
  clients.push(client);
  if (auth) client.addAuthInfo('digest', Buffer.from(auth));
  const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
  client.connect();
  await connected;
  return client;
}

/** The ZooKeeper error code a callback-style call fails with, or 'ok'. */
function outcome(call: (cb: (err: Error | zookeeper.Exception | null) => void) => void): Promise<number | 'ok'> {
  return new Promise((resolve) => call((err) => resolve(err instanceof Exception ? err.getCode() : err ? -1 : 'ok')));
}

const children = (client: Client, path: string) =>
  new Promise<string[]>((resolve, reject) =>
    client.getChildren(path, (err, names) => (err ? reject(err) : resolve(names))),
  );

afterAll(async () => {
  const cleaner = new ZkConnection({ connect: testZkConnect(), sessionTimeoutMs: 10_000, auth: FLEET_AUTH });
  connections.push(cleaner);
  await deleteTree(await cleaner.session(), root);
  for (const c of connections) c.close();
  for (const c of clients) c.close();
  await stopAll();
});

describe('ZooKeeper lock with ZK_AUTH', () => {
  it('only the fleet credentials can delete a held lock node or queue under the lock', async () => {
    const held = await fleetLock().acquire('campaign/pool', { timeoutMs: 5000 });
    const parent = `${root}/campaign/pool`;
    const anonymous = await stranger();
    const [nodeName] = await children(anonymous, parent);
    expect(nodeName).toMatch(/-lock-\d{10}$/);

    expect(await outcome((cb) => anonymous.remove(`${parent}/${nodeName}`, -1, cb))).toBe(Exception.NO_AUTH);
    expect(await outcome((cb) => anonymous.create(`${parent}/intruder`, cb))).toBe(Exception.NO_AUTH);
    expect(await outcome((cb) => anonymous.create(`${parent}/_c_x-lock-`, CreateMode.EPHEMERAL_SEQUENTIAL, cb))).toBe(
      Exception.NO_AUTH,
    );
    expect(await outcome((cb) => anonymous.create(`${root}/other-campaign`, cb))).toBe(Exception.NO_AUTH);

    const wrongPassword = await stranger('fleet:guess');
    expect(await outcome((cb) => wrongPassword.remove(`${parent}/${nodeName}`, -1, cb))).toBe(Exception.NO_AUTH);

    expect(held.lost.aborted).toBe(false);
    await held.release();
  });

  it('works as usual between fleet members: they queue, hand over and fence', async () => {
    const first = await fleetLock().acquire('campaign/pool', { timeoutMs: 5000 });
    const next = fleetLock().acquire('campaign/pool', { timeoutMs: 5000 });
    const anonymous = await stranger();
    await eventually(
      async () => (await children(anonymous, `${root}/campaign/pool`)).length === 2,
      5000,
      'second contender queued',
    );
    await first.release();
    const second = await next;
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await second.release();
  });

  it(
    'grab commands authenticate with ZK_AUTH; without it, campaign delete ' + 'is refused before deleting anything',
    async () => {
      // A ZooKeeper of its own: the lock root gets the fleet's ACL, which other tests' unauthenticated locks would hit.
      const zk = await startZooKeeper();
      const id = `acl-${randomUUID().slice(0, 8)}`;
      const env = { ZK_CONNECT: zk.connect };
      expect(
        (await grab(['campaign', 'create', '--id', id, '--pools', '1', '--packets', '2', '--amount-cents', '10'], env))
          .code,
      ).toBe(0);
      await (await fleetLock(zk.connect, LOCK_ROOT).acquire(`${id}/p1`, { timeoutMs: 5000 })).release();

      const refused = await grab(['campaign', 'delete', '--id', id], env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('NO_AUTH');
      expect((await grab(['campaign', 'show', '--id', id], env)).code).toBe(0);

      const deleted = await grab(['campaign', 'delete', '--id', id], { ...env, ZK_AUTH: FLEET_AUTH });
      expect(deleted.stderr).toBe('');
      expect(deleted.code).toBe(0);
      expect(await children(await stranger(undefined, zk.connect), `${LOCK_ROOT}`)).toEqual([]);
    },
  );
});
