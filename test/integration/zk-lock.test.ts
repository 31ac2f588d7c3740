import zookeeper from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { herdDriver, predecessorDriver, protectedNodePrefix, type LockDriver } from '../../shared/lock/lock-driver.js';
import { recoverProtected, type LockObserver } from '../../shared/lock/lock-internals.js';
import { LockTimeoutError } from '../../shared/lock/zk-errors.js';
import { testZkConnect } from '../support/env.js';
import { ZkFixture } from '../support/zk.js';
import { eventually, sleep } from '../support/async.js';

const deadline = () => Date.now() + 5000;
let zk: ZkFixture;

afterEach(() => zk?.closeAll());

const fixture = () => (zk = new ZkFixture(testZkConnect()));

describe('ZooKeeper lock', () => {
  it('gives each contender one ephemeral-sequential node with a GUID under a persistent parent', async () => {
    fixture();
    const a = await zk.lock().acquire('pool', { timeoutMs: 5000 });
    const waiting = zk.lock().acquire('pool', { timeoutMs: 5000 });
    await eventually(async () => (await zk.children('pool')).length === 2, 5000, 'second contender node');
    const session = await zk.session();
    const names = await zk.children('pool');
    for (const name of names) {
      expect(name).toMatch(/^_c_[0-9a-f-]{36}-lock-\d{10}$/);
      const stat = await session.exists(`${zk.root}/pool/${name}`, deadline());
      expect(stat!.ephemeralOwner.readBigUInt64BE(0)).not.toBe(0n);
    }
    const parent = await session.exists(`${zk.root}/pool`, deadline());
    expect(parent!.ephemeralOwner.readBigUInt64BE(0)).toBe(0n);
    await a.release();
    await (await waiting).release();
  });

  it('grants the lock in sequence order, whatever the GUIDs', async () => {
    fixture();
    const order: number[] = [];
    const first = await zk.lock().acquire('fifo', { timeoutMs: 5000 });
    const waiters = [];
    for (let i = 0; i < 5; i++) {
      waiters.push(
        zk
          .lock()
          .acquire('fifo', { timeoutMs: 10_000 })
          .then(async (h) => {
            order.push(i);
            await h.release();
          }),
      );
      await eventually(async () => (await zk.children('fifo')).length === i + 2, 5000, 'contender queued');
    }
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('re-checks instead of hanging when the predecessor vanished before the watch was set', async () => {
    fixture();
    const holder = await zk.lock().acquire('vanish', { timeoutMs: 5000 });
    const middle = zk
      .lock()
      .acquire('vanish', { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    await eventually(async () => (await zk.children('vanish')).length === 2, 5000, 'middle queued');
    const deleter = await zk.session();
    let raced = false;
    // Deletes the predecessor in the window between listing the children and setting the watch.
    const racingDriver: LockDriver = {
      ...predecessorDriver,
      async watch(session, parentPath, standing, dl, onEvent) {
        if (!raced && !standing.holds) {
          raced = true;
          await deleter.remove(`${parentPath}/${standing.watchNode}`, dl);
        }
        return predecessorDriver.watch(session, parentPath, standing, dl, onEvent);
      },
    };
    const last = zk.lock({ driver: racingDriver }).acquire('vanish', { timeoutMs: 8000 });
    await eventually(() => raced, 5000, 'race injected');
    await holder.release();
    const handle = await last;
    expect(handle.fencingToken).toBeGreaterThan(holder.fencingToken);
    await handle.release();
    await middle;
  });

  it('deletes its node when acquire times out or is aborted', async () => {
    fixture();
    const holder = await zk.lock().acquire('timeout', { timeoutMs: 5000 });
    const waiter = zk.lock();
    await expect(waiter.acquire('timeout', { timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await zk.children('timeout')).toHaveLength(1);
    const abort = new AbortController();
    const aborted = waiter.acquire('timeout', { timeoutMs: 10_000, signal: abort.signal });
    await eventually(async () => (await zk.children('timeout')).length === 2, 5000, 'waiter queued');
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await zk.children('timeout')).toHaveLength(1);
    await holder.release();
    expect(await zk.children('timeout')).toHaveLength(0);
  });

  it('release is idempotent', async () => {
    fixture();
    const lock = zk.lock();
    const handle = await lock.acquire('idem', { timeoutMs: 5000 });
    const first = handle.release();
    expect(handle.release()).toBe(first);
    await first;
    await handle.release();
    expect(await zk.children('idem')).toHaveLength(0);
    const again = await lock.acquire('idem', { timeoutMs: 5000 });
    expect(again.fencingToken).toBeGreaterThan(handle.fencingToken);
    await again.release();
  });

  it('adopts a node found by GUID only when this session owns it', async () => {
    fixture();
    const owner = await zk.session();
    const other = await zk.session();
    const parent = `${zk.root}/owner`;
    await owner.ensurePath(parent, deadline());
    const id = 'guid-under-test';
    const created = await owner.create(
      `${parent}/${protectedNodePrefix(id)}`,
      zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
      deadline(),
    );
    expect(await recoverProtected(owner, parent, id, deadline())).toEqual({ path: created });
    expect(await recoverProtected(other, parent, id, deadline())).toEqual({ foreign: true });
    expect(await owner.exists(created, deadline())).toBeNull();
  });

  it('fencing tokens strictly increase across holders, also after the parent is deleted and re-created', async () => {
    fixture();
    const tokens: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await zk.lock().acquire('fence', { timeoutMs: 5000 });
      tokens.push(h.fencingToken);
      await h.release();
    }
    const session = await zk.session();
    await session.remove(`${zk.root}/fence`, deadline());
    const h = await zk.lock().acquire('fence', { timeoutMs: 5000 });
    tokens.push(h.fencingToken);
    await h.release();
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  });

  it('shares one node per lock among acquirers in one process, first come first served', async () => {
    fixture();
    const outsider = await zk.lock().acquire('local', { timeoutMs: 5000 });
    const lock = zk.lock();
    const order: number[] = [];
    const all = Array.from({ length: 6 }, (_, i) =>
      lock.acquire('local', { timeoutMs: 10_000 }).then(async (h) => {
        order.push(i);
        expect((await zk.children('local')).length).toBeLessThanOrEqual(2);
        await h.release();
      }),
    );
    await sleep(200);
    expect(await zk.children('local')).toHaveLength(2);
    await outsider.release();
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('keeping a released lock for the next batch', () => {
  it('reuses the node while nobody else waits, and gives it up as soon as a contender appears', async () => {
    fixture();
    const keeper = zk.lock({ retainMs: 5000 });
    const first = await keeper.acquire('keep', { timeoutMs: 5000 });
    await first.release();
    expect(await zk.children('keep')).toHaveLength(1);
    const second = await keeper.acquire('keep', { timeoutMs: 5000 });
    expect(second.fencingToken).toBe(first.fencingToken);
    await second.release();
    const t0 = Date.now();
    const other = await zk.lock().acquire('keep', { timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(other.fencingToken).toBeGreaterThan(first.fencingToken);
    const third = keeper.acquire('keep', { timeoutMs: 5000 });
    await other.release();
    expect((await third).fencingToken).toBeGreaterThan(other.fencingToken);
    await (await third).release();
    await keeper.close();
    await eventually(async () => (await zk.children('keep')).length === 0, 5000, 'kept node deleted on close');
  });

  it('keeps one child watch per lock however often the node is kept and reclaimed', async () => {
    fixture();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const keeper = zk.lock({ retainMs: 5000 });
    for (let i = 0; i < 30; i++) await (await keeper.acquire('rekeep', { timeoutMs: 5000 })).release();
    await sleep(100);
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    await keeper.close();
  });

  it('lets a kept node go after the retain time', async () => {
    fixture();
    const keeper = zk.lock({ retainMs: 100 });
    await (await keeper.acquire('expire', { timeoutMs: 5000 })).release();
    await eventually(async () => (await zk.children('expire')).length === 0, 3000, 'kept node given up');
  });
});

describe('herd measurement', () => {
  async function wakeupsPerRelease(driver: LockDriver, contenders: number): Promise<number> {
    let wakeups = 0;
    let releases = 0;
    const observer: LockObserver = { wakeup: () => void wakeups++ };
    const locks = Array.from({ length: contenders }, () =>
      zk.lock({ driver, observer, onRelease: () => void releases++ }),
    );
    const first = await locks[0]!.acquire('herd', { timeoutMs: 5000 });
    // Holding briefly, as real work does, lets every waiter see each release rather than a merged one.
    const rest = locks.slice(1).map((l) =>
      l.acquire('herd', { timeoutMs: 20_000 }).then(async (h) => {
        await sleep(20);
        await h.release();
      }),
    );
    await eventually(async () => (await zk.children('herd')).length === contenders, 5000, 'all queued');
    await first.release();
    await Promise.all(rest);
    return wakeups / releases;
  }

  // A measurement of watch timing: on a starved machine the herd's waiters may re-arm their
  // one-shot watches too late to see every release, so a low count is retried.
  it('the predecessor recipe wakes about one waiter per release; the herd variant wakes more as contenders grow', {
    retry: 2,
  }, async () => {
    fixture();
    const zk8 = await wakeupsPerRelease(predecessorDriver, 8);
    const herd4 = await wakeupsPerRelease(herdDriver, 4);
    const herd8 = await wakeupsPerRelease(herdDriver, 8);
    expect(zk8).toBeLessThanOrEqual(1.01);
    // Below 7/8 only when a waiter found its predecessor already gone as it set the watch: it
    // re-checks without an event, so fewer wakeups, never more.
    expect(zk8).toBeGreaterThan(0.5);
    expect(herd4).toBeGreaterThan(1.3);
    expect(herd8).toBeGreaterThan(herd4);
  });
});
