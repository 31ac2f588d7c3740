import { setImmediate as settle } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { GrabResult } from '../../shared/queue/grab-job.js';
import type { Deduction, GrabRequest, PoolRef } from '../../worker/grab-request.js';
import { PoolBatcher } from '../../worker/pool-batcher.js';

const poolOf = (poolId: string, instance = 1): PoolRef => ({
  campaignId: 'c',
  instance,
  poolId,
  stripe: 0,
  split: 'equal',
});
const p1 = poolOf('p1');
const grabOf = (user: string): GrabRequest => ({ user, jobId: `c.1.p1.${user}` });
/** Each grab's result carries its user's number, so a result handed to the wrong grab shows. */
const resultFor = (grab: GrabRequest): GrabResult => ({ outcome: 'granted', cents: Number(grab.user.slice(1)) });

interface Call {
  pool: PoolRef;
  users: string[];
  finish(results?: GrabResult[]): void;
  fail(err: Error): void;
}

/** A deduction that settles each batch only when the test says so, recording the batches it was given. */
function heldDeduction() {
  const calls: Call[] = [];
  const deduct: Deduction = (pool, grabs) =>
    new Promise((resolve, reject) => {
      calls.push({
        pool,
        users: grabs.map((g) => g.user),
        finish: (results = grabs.map(resultFor)) => resolve(results),
        fail: reject,
      });
    });
  return { calls, deduct };
}

function submitAll(batcher: PoolBatcher, pool: PoolRef, users: string[]): Promise<PromiseSettledResult<GrabResult>[]> {
  return Promise.allSettled(users.map((u) => batcher.submit(pool, grabOf(u))));
}

describe('PoolBatcher', () => {
  it('sends the grabs submitted in one tick as one batch, in order, and gives each grab its own result', async () => {
    const { calls, deduct } = heldDeduction();
    const results = submitAll(new PoolBatcher(deduct, 100), p1, ['u3', 'u1', 'u2']);
    await settle();
    expect(calls.map((c) => c.users)).toEqual([['u3', 'u1', 'u2']]);
    calls[0]!.finish();
    expect(await results).toEqual(
      [3, 1, 2].map((cents) => ({ status: 'fulfilled', value: { outcome: 'granted', cents } })),
    );
  });

  it(
    'queues the grabs that arrive while a batch runs and sends them ' + 'together next, one batch of a pool at a time',
    async () => {
      const { calls, deduct } = heldDeduction();
      const batcher = new PoolBatcher(deduct, 100);
      const first = submitAll(batcher, p1, ['u1']);
      await settle();
      const second = submitAll(batcher, p1, ['u2', 'u3']);
      await settle();
      const third = submitAll(batcher, p1, ['u4']);
      await settle();
      expect(calls).toHaveLength(1);
      calls[0]!.finish();
      await first;
      await settle();
      expect(calls.map((c) => c.users)).toEqual([['u1'], ['u2', 'u3', 'u4']]);
      calls[1]!.finish();
      await Promise.all([second, third]);
      // The pool's queue is gone once drained; a later grab starts a new batch at once.
      const later = submitAll(batcher, p1, ['u5']);
      await settle();
      expect(calls.map((c) => c.users)).toEqual([['u1'], ['u2', 'u3', 'u4'], ['u5']]);
      calls[2]!.finish();
      await later;
    },
  );

  it('splits a queue longer than maxBatch into batches of at most maxBatch, in order', async () => {
    const { calls, deduct } = heldDeduction();
    const results = submitAll(new PoolBatcher(deduct, 3), p1, ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']);
    for (let i = 0; i < 3; i++) {
      await settle();
      expect(calls).toHaveLength(i + 1);
      calls[i]!.finish();
    }
    expect(calls.map((c) => c.users)).toEqual([['u1', 'u2', 'u3'], ['u4', 'u5', 'u6'], ['u7']]);
    expect((await results).map((r) => r.status === 'fulfilled' && r.value)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((cents) => ({ outcome: 'granted', cents })),
    );
  });

  it('runs the batches of different pools, and of different instances of a pool, side by side', async () => {
    const { calls, deduct } = heldDeduction();
    const batcher = new PoolBatcher(deduct, 100);
    const results = Promise.all([
      submitAll(batcher, p1, ['u1', 'u2']),
      submitAll(batcher, poolOf('p2'), ['u3']),
      submitAll(batcher, poolOf('p1', 2), ['u4']),
    ]);
    await settle();
    expect(calls.map((c) => [c.pool, c.users])).toEqual([
      [p1, ['u1', 'u2']],
      [poolOf('p2'), ['u3']],
      [poolOf('p1', 2), ['u4']],
    ]);
    for (const call of calls) call.finish();
    await results;
  });

  it("rejects only the failed batch's grabs; the batch queued behind it still runs", async () => {
    const { calls, deduct } = heldDeduction();
    const batcher = new PoolBatcher(deduct, 100);
    const first = submitAll(batcher, p1, ['u1', 'u2']);
    await settle();
    const second = submitAll(batcher, p1, ['u3']);
    const boom = new Error('ledger unreachable');
    calls[0]!.fail(boom);
    expect(await first).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    await settle();
    calls[1]!.finish();
    expect(await second).toEqual([{ status: 'fulfilled', value: { outcome: 'granted', cents: 3 } }]);
  });

  it.each([
    ['fewer', [{ outcome: 'sold_out' }]],
    ['more', [{ outcome: 'sold_out' }, { outcome: 'sold_out' }, { outcome: 'sold_out' }]],
  ] as const)(
    'rejects the whole batch, naming the pool and the counts, when the deduction returns %s results than grabs',
    async (_, wrong) => {
      const { calls, deduct } = heldDeduction();
      const batcher = new PoolBatcher(deduct, 100);
      const first = submitAll(batcher, p1, ['u1', 'u2']);
      await settle();
      const second = submitAll(batcher, p1, ['u3']);
      calls[0]!.finish([...wrong]);
      const message = `the deduction for pool c@1/p1 returned ${wrong.length} results for 2 grabs`;
      expect(await first).toEqual([
        { status: 'rejected', reason: new Error(message) },
        { status: 'rejected', reason: new Error(message) },
      ]);
      await settle();
      calls[1]!.finish();
      expect(await second).toEqual([{ status: 'fulfilled', value: { outcome: 'granted', cents: 3 } }]);
    },
  );
});
