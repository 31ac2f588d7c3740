import type { GrabResult } from '../shared/queue/grab-job.js';
import type { Deduction, GrabRequest, PoolRef } from './grab-request.js';
import { poolInstanceName } from '../shared/campaign/pool-name.js';

interface Waiting {
  grab: GrabRequest;
  resolve: (result: GrabResult) => void;
  reject: (err: unknown) => void;
}

interface PoolQueue {
  pool: PoolRef;
  waiting: Waiting[];
}

/**
 * Coalesces the grabs of one pool inside this process: while one batch holds the pool's lock,
 * the grabs that arrive queue up and go together in the next batch, under one acquisition.
 * Batches of a pool run one after another, so the process never contends with itself.
 */
export class PoolBatcher {
  private readonly queues = new Map<string, PoolQueue>();

  constructor(
    private readonly deduct: Deduction,
    private readonly maxBatch: number,
  ) {}

  submit(pool: PoolRef, grab: GrabRequest): Promise<GrabResult> {
    const key = poolInstanceName(pool);
    let queue = this.queues.get(key);
    const result = new Promise<GrabResult>((resolve, reject) => {
      if (!queue) {
        queue = { pool, waiting: [] };
        this.queues.set(key, queue);
        queue.waiting.push({ grab, resolve, reject });
        void this.drain(key, queue);
      } else {
        queue.waiting.push({ grab, resolve, reject });
      }
    });
    return result;
  }

  private async drain(key: string, queue: PoolQueue): Promise<void> {
    // Lets the grabs delivered in the same tick join the first batch.
    await Promise.resolve();
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, this.maxBatch);
      try {
        const results = await this.deduct(
          queue.pool,
          batch.map((w) => w.grab),
        );
        if (results.length !== batch.length) {
          throw new Error(`the deduction for pool ${key} returned ${results.length} results for ${batch.length} grabs`);
        }
        for (const [i, w] of batch.entries()) w.resolve(results[i]!);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.queues.delete(key);
  }
}
