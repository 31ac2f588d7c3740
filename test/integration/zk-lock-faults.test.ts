import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeper, type ZkServer } from '../support/servers.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { ZkFixture } from '../support/zk.js';
import { eventually, sleep } from '../support/async.js';

const fixtureScript = (name: string) => new URL(`../../dist/test/support/${name}.js`, import.meta.url).pathname;

let zk: ZkFixture;
afterEach(() => zk?.closeAll());

function run(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [fixtureScript(script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Collects a child's JSON lines and lets a test wait for one that matches. */
function jsonLines(child: ChildProcess) {
  const seen: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) =>
    seen.push(JSON.parse(line) as Record<string, unknown>),
  );
  return {
    seen,
    async next(event: string, timeoutMs: number) {
      await eventually(() => seen.some((e) => e.event === event), timeoutMs, `child event ${event}`);
      return seen.find((e) => e.event === event)!;
    },
  };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );

describe('mutual exclusion across OS processes', () => {
  async function count(useLock: boolean): Promise<number> {
    const redis = new Redis(testRedisUrl());
    const key = `test:counter:${randomUUID()}`;
    const env = {
      ZK_CONNECT: testZkConnect(),
      REDIS_URL: testRedisUrl(),
      COUNTER_KEY: key,
      ITERATIONS: '50',
      LOCK_ROOT: `/grab-test/${randomUUID()}`,
      USE_LOCK: useLock ? '1' : '0',
    };
    const children = Array.from({ length: 4 }, () => run('counter-contender', env));
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0, 0]);
    const value = Number(await redis.get(key));
    redis.disconnect();
    return value;
  }

  it('4 processes incrementing under the lock end exactly at 200', async () => {
    expect(await count(true)).toBe(200);
  });

  it('the same processes without the lock lose updates, so the check can fail', async () => {
    expect(await count(false)).toBeLessThan(200);
  });
});

describe('SIGSTOP of a holder beyond the session timeout', () => {
  it('the next holder gets a higher token and the stopped holder learns it lost the lock', async () => {
    zk = new ZkFixture(testZkConnect());
    const holder = run('lock-holder', {
      ZK_CONNECT: testZkConnect(),
      SESSION_MS: '2000',
      LOCK_ROOT: zk.root,
      LOCK_KEY: 'stop',
    });
    const lines = jsonLines(holder);
    try {
      const acquired = await lines.next('acquired', 10_000);
      holder.kill('SIGSTOP');
      const t0 = Date.now();
      const next = await zk.lock().acquire('stop', { timeoutMs: 15_000 });
      expect(Date.now() - t0).toBeGreaterThan(1000);
      expect(next.fencingToken).toBeGreaterThan(BigInt(acquired.token as string));
      holder.kill('SIGCONT');
      const lost = await lines.next('lost', 5000);
      expect(lost.safe).toBe(false);
      expect(['safe_deadline_passed', 'session_expired']).toContain(lost.reason);
      await next.release();
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('link faults between a client and ZooKeeper', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const [host, port] = testZkConnect().split(':');
    proxy = await startTcpProxy(host!, Number(port));
  });
  afterAll(() => proxy.close());
  afterEach(() => {
    proxy.restore();
    proxy.resume();
  });

  it('a create whose reply was lost is found by its GUID, not created twice', async () => {
    zk = new ZkFixture(testZkConnect());
    const holder = await zk.lock().acquire('cut', { timeoutMs: 5000 });
    const viaProxy = zk.lock({ connect: proxy.address, sessionTimeoutMs: 8000 });
    await viaProxy.acquire('warm', { timeoutMs: 5000 }).then((h) => h.release());
    proxy.pauseReplies();
    const waiting = viaProxy.acquire('cut', { timeoutMs: 15_000 });
    await eventually(async () => (await zk.children('cut')).length === 2, 5000, 'create reached the server');
    proxy.cut();
    await sleep(200);
    proxy.resume();
    proxy.restore();
    await sleep(1000);
    expect(await zk.children('cut')).toHaveLength(2);
    await holder.release();
    const handle = await waiting;
    expect(handle.fencingToken).toBeGreaterThan(holder.fencingToken);
    expect(await zk.children('cut')).toHaveLength(1);
    await handle.release();
    expect(await zk.children('cut')).toHaveLength(0);
  });

  it(
    'a silent link that still looks connected is caught by the heartbeat: ' +
      'lost fires before the session could expire',
    async () => {
      zk = new ZkFixture(testZkConnect());
      const lock = zk.lock({ connect: proxy.address, sessionTimeoutMs: 3000 });
      const handle = await lock.acquire('silent', { timeoutMs: 5000 });
      const t0 = Date.now();
      proxy.pause();
      await eventually(() => handle.lost.aborted, 5000, 'lost fired');
      expect(handle.lost.reason).toBe('safe_deadline_passed');
      expect(handle.isSafe()).toBe(false);
      expect(Date.now() - t0).toBeLessThan(3000);
      proxy.resume();
      const next = await zk.lock().acquire('silent', { timeoutMs: 10_000 });
      expect(next.fencingToken).toBeGreaterThan(handle.fencingToken);
      await next.release();
    },
  );

  it('the heartbeat keeps an idle holder on a healthy link safe well past the session timeout', async () => {
    zk = new ZkFixture(testZkConnect());
    const handle = await zk
      .lock({ connect: proxy.address, sessionTimeoutMs: 2000 })
      .acquire('idle', { timeoutMs: 5000 });
    await sleep(5000);
    expect(handle.lost.aborted).toBe(false);
    expect(handle.isSafe()).toBe(true);
    await handle.release();
  });

  it('release is retried through a connection cut until the node is gone', async () => {
    zk = new ZkFixture(testZkConnect());
    const lock = zk.lock({ connect: proxy.address, sessionTimeoutMs: 8000 });
    const handle = await lock.acquire('release', { timeoutMs: 5000 });
    proxy.cut();
    const released = handle.release();
    await sleep(500);
    expect(await zk.children('release')).toHaveLength(1);
    proxy.restore();
    await released;
    expect(await zk.children('release')).toHaveLength(0);
  });

  it('a handle is never carried into a new session', async () => {
    zk = new ZkFixture(testZkConnect());
    const connection = zk.connection(2000, proxy.address);
    const before = await connection.session();
    const { ZkLock } = await import('../../shared/lock/zk-lock.js');
    const lock = new ZkLock(connection, { root: zk.root });
    const handle = await lock.acquire('carry', { timeoutMs: 5000 });
    proxy.cut();
    await eventually(() => handle.lost.aborted, 5000, 'lost fired');
    proxy.restore();
    const after = await connection.session();
    expect(after.id).not.toBe(before.id);
    expect(handle.isSafe()).toBe(false);
    // Releasing a lost handle returns at once; it gives up the process's turn on the lock.
    await handle.release();
    const again = await lock.acquire('carry', { timeoutMs: 10_000 });
    expect(again.fencingToken).toBeGreaterThan(handle.fencingToken);
    expect(again.isSafe()).toBe(true);
    await again.release();
  });
});

describe('ZooKeeper restart', () => {
  let server: ZkServer;
  beforeAll(async () => {
    server = await startZooKeeper();
  });
  afterAll(() => server.stop());

  it('locks held and awaited across a restart keep mutual exclusion, and tokens keep increasing', async () => {
    zk = new ZkFixture(server.connect);
    const holder = await zk.lock({ sessionTimeoutMs: 15_000 }).acquire('restart', { timeoutMs: 5000 });
    let waiterAcquiredAt = 0;
    let holderReleasedAt = 0;
    const waiting = zk
      .lock({ sessionTimeoutMs: 15_000 })
      .acquire('restart', { timeoutMs: 40_000 })
      .then((h) => {
        waiterAcquiredAt = Date.now();
        return h;
      });
    await eventually(async () => (await zk.children('restart')).length === 2, 5000, 'waiter queued');
    await server.restart();
    expect(waiterAcquiredAt).toBe(0);
    if (!holder.lost.aborted) {
      holderReleasedAt = Date.now();
      await holder.release();
    } else {
      holderReleasedAt = Date.now();
    }
    const next = await waiting;
    expect(waiterAcquiredAt).toBeGreaterThanOrEqual(holderReleasedAt);
    expect(next.fencingToken).toBeGreaterThan(holder.fencingToken);
    await next.release();
    const fresh = await zk.lock().acquire('restart', { timeoutMs: 10_000 });
    expect(fresh.fencingToken).toBeGreaterThan(next.fencingToken);
    await fresh.release();
  });
});
