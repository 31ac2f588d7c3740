import { setImmediate as settle } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalQueue } from '../../shared/lock/local-queue.js';
import { LockTimeoutError } from '../../shared/lock/zk-errors.js';

const HOUR = 3_600_000;

/** Takes a turn and records in `order` when it comes. */
function queueUp(
  local: LocalQueue,
  order: string[],
  name: string,
  key = 'pool',
  deadline = Date.now() + HOUR,
  signal?: AbortSignal,
): Promise<void> {
  return local.take(key, deadline, signal).then(() => void order.push(name));
}

describe('LocalQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the turn over one pass at a time, first come first served', async () => {
    const local = new LocalQueue();
    const order: string[] = [];
    await queueUp(local, order, 'a');
    const waiting = ['b', 'c', 'd'].map((name) => queueUp(local, order, name));
    await settle();
    expect(order).toEqual(['a']);
    for (const expected of [
      ['a', 'b'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c', 'd'],
    ]) {
      local.pass('pool');
      await settle();
      expect(order).toEqual(expected);
    }
    await Promise.all(waiting);
    local.pass('pool');
    await queueUp(local, order, 'e');
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps a queue per key', async () => {
    const local = new LocalQueue();
    const order: string[] = [];
    await queueUp(local, order, 'a', 'pool-1');
    await queueUp(local, order, 'b', 'pool-2');
    const c = queueUp(local, order, 'c', 'pool-1');
    local.pass('pool-2');
    await settle();
    expect(order).toEqual(['a', 'b']);
    local.pass('pool-1');
    await c;
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it(
    'a waiter past its deadline fails with a lock timeout and leaves the ' + 'queue; the turn goes to the next',
    async () => {
      const local = new LocalQueue();
      const order: string[] = [];
      await queueUp(local, order, 'a');
      const late = queueUp(local, order, 'late', 'pool', Date.now() + 1000);
      const next = queueUp(local, order, 'next');
      const timedOut = expect(late).rejects.toThrow(new LockTimeoutError('lock not acquired before the timeout'));
      vi.advanceTimersByTime(999);
      await settle();
      expect(order).toEqual(['a']);
      vi.advanceTimersByTime(1);
      await timedOut;
      local.pass('pool');
      await next;
      expect(order).toEqual(['a', 'next']);
    },
  );

  it('an aborted waiter fails with a lock timeout and leaves the queue; the turn goes to the next', async () => {
    const local = new LocalQueue();
    const order: string[] = [];
    await queueUp(local, order, 'a');
    const abort = new AbortController();
    const aborted = queueUp(local, order, 'aborted', 'pool', Date.now() + HOUR, abort.signal);
    const next = queueUp(local, order, 'next');
    abort.abort();
    await expect(aborted).rejects.toThrow(new LockTimeoutError('lock acquisition aborted'));
    local.pass('pool');
    await next;
    expect(order).toEqual(['a', 'next']);
  });
});
