/** ZK_AUTH: the lock's nodes belong to the fleet's digest credentials; strangers may only look. */
import { randomUUID } from 'node:crypto';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteTree } from '../../shared/lock/delete-tree.js';
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { ZkLock } from '../../shared/lock/zk-lock.js';
import { testZkConnect } from '../support/env.js';
import { eventually } from '../support/zk.js';

const { Exception, CreateMode } = zookeeper;
const FLEET_AUTH = 'fleet:s3cret';
// Its own top-level root: an ACL'd ancestor shared with other tests would lock them out.
const root = `/grab-acl-test-${randomUUID()}`;
const connections: ZkConnection[] = [];
const clients: Client[] = [];

const fleetLock = () => {
  const connection = new ZkConnection({ connect: testZkConnect(), sessionTimeoutMs: 10_000, auth: FLEET_AUTH });
  connections.push(connection);
  return new ZkLock(connection, { root });
};

/** A plain node-zookeeper-client, as anyone on the network could open one. */
async function stranger(auth?: string): Promise<Client> {
  const client = zookeeper.createClient(testZkConnect(), { sessionTimeout: 10_000, retries: 0 });
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
  new Promise<string[]>((resolve, reject) => client.getChildren(path, (err, names) => (err ? reject(err) : resolve(names))));

afterAll(async () => {
  if (connections[0]) await deleteTree(await connections[0].session(), root);
  for (const c of connections) c.close();
  for (const c of clients) c.close();
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
    expect(await outcome((cb) => anonymous.create(`${parent}/_c_x-lock-`, CreateMode.EPHEMERAL_SEQUENTIAL, cb))).toBe(Exception.NO_AUTH);
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
    await eventually(async () => (await children(anonymous, `${root}/campaign/pool`)).length === 2, 5000, 'second contender queued');
    await first.release();
    const second = await next;
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await second.release();
  });
});
