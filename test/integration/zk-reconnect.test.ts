/**
 * A link to ZooKeeper cut for longer than the session timeout, while nothing asks for a lock:
 * a connection that keeps its session opens a new one by itself soon after the link is back, and
 * a worker's /readyz goes 503 during the cut and 200 again after it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZkConnection, type DownReason } from '../../shared/lock/zk-connection.js';
import { startGrab } from '../support/cli.js';
import { testZkConnect } from '../support/env.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, sleep } from '../support/async.js';
import { freePortRange } from '../support/ports.js';

const SESSION_MS = 2000;
/** Past the session timeout: the session cannot survive it. */
const CUT_MS = 4000;
/** How soon after the restore the connection must be back. */
const BACK_WITHIN_MS = 5000;

let proxy: TcpProxy;
const connections: ZkConnection[] = [];
beforeAll(async () => {
  const [host, port] = testZkConnect().split(':');
  proxy = await startTcpProxy(host!, Number(port));
});
afterAll(() => proxy.close());
afterEach(() => {
  for (const c of connections.splice(0)) c.close();
  proxy.restore();
});

function connection(keepSession: boolean): ZkConnection {
  const c = new ZkConnection({ connect: proxy.address, sessionTimeoutMs: SESSION_MS, keepSession });
  connections.push(c);
  return c;
}

describe('a ZooKeeper link cut past the session timeout, with no lock demand', () => {
  it('a connection that keeps its session goes down, then up in a new ' +
    'session within seconds of the restore', async () => {
    const kept = connection(true);
    const events: Array<'up' | DownReason> = [];
    kept.on('up', () => events.push('up'));
    kept.on('down', (reason: DownReason) => events.push(reason));
    const before = await kept.session();
    expect(kept.isConnected).toBe(true);
    expect(events).toEqual(['up']);

    proxy.cut();
    await eventually(() => !kept.isConnected, 1000, 'down once the link is cut');
    await sleep(CUT_MS);
    expect(kept.liveSession).toBeUndefined();
    expect(kept.isConnected).toBe(false);
    const restoredAt = Date.now();
    proxy.restore();
    await eventually(() => kept.isConnected, BACK_WITHIN_MS, 'up again after the restore');
    const reconnectMs = Date.now() - restoredAt;
    console.log(`kept session: connected again ${reconnectMs} ms after the restore`);

    expect(kept.liveSession!.id).not.toBe(before.id);
    expect(before.isLost).toBe(true);
    // down at the disconnect, then the session ended (our deadline or the server's word), then up in the new one
    expect(events[0]).toBe('up');
    expect(events[1]).toBe('disconnected');
    expect(events.at(-1)).toBe('up');
    expect(events.filter((e) => e === 'up')).toHaveLength(2);
    expect(
      events
        .filter((e) => e !== 'up')
        .every((e) => ['disconnected', 'safe_deadline_passed', 'session_expired'].includes(e)),
    ).toBe(true);
    expect(await kept.session()).toBe(kept.liveSession);
  }, 30_000);

  it('without keepSession, nothing reconnects until a session is asked for', async () => {
    const onDemand = connection(false);
    await onDemand.session();
    proxy.cut();
    await sleep(CUT_MS);
    proxy.restore();
    await sleep(BACK_WITHIN_MS);
    expect(onDemand.isConnected).toBe(false);
    expect(proxy.connections).toBe(0);
    await onDemand.session();
    expect(onDemand.isConnected).toBe(true);
  }, 30_000);

  it('close() during the cut stops a kept connection for good, even if the link comes back at once', async () => {
    const kept = connection(true);
    await kept.session();
    proxy.cut();
    await sleep(SESSION_MS);
    kept.close();
    proxy.restore();
    await sleep(2000);
    expect(kept.isConnected).toBe(false);
    expect(proxy.connections).toBe(0);
  }, 30_000);
});

describe('a worker cut off ZooKeeper past its session timeout, owning no busy shard', () => {
  it('is not ready during the cut, and ready again within seconds of the restore', async () => {
    const port = await freePortRange(1);
    // An empty queue of its own: the worker never asks for a lock.
    const worker = startGrab(
      [
        'work',
        '--lock',
        'zk',
        '--concurrency',
        '4',
        '--metrics-port',
        String(port),
        '--zk-session-timeout-ms',
        String(SESSION_MS),
      ],
      {
        GRAB_QUEUE: `reconnect-${randomUUID().slice(0, 8)}`,
        ZK_CONNECT: proxy.address,
      },
    );
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return res ? { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } } : undefined;
    };
    try {
      await eventually(async () => (await readyz())?.status === 200, 15_000, 'worker ready');
      proxy.cut();
      await eventually(async () => (await readyz())?.status === 503, 2000, 'not ready without ZooKeeper');
      expect((await readyz())?.body.checks).toEqual({ redis: true, zookeeper: false });
      await sleep(CUT_MS);
      expect((await readyz())?.status).toBe(503);
      const restoredAt = Date.now();
      proxy.restore();
      await eventually(async () => (await readyz())?.status === 200, BACK_WITHIN_MS, 'ready again with ZooKeeper back');
      console.log(`worker: ready again ${Date.now() - restoredAt} ms after the restore`);
      expect(proxy.connections).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^grab_zk_connected 1$/m);
    } finally {
      expect(await worker.stop(), worker.output().slice(-3000)).toBe(0);
    }
  }, 60_000);
});
