import type { Histogram } from 'prom-client';
import { once, type AcquireOptions, type DistributedLock, type LockHandle } from '../lock/lock-handle.js';
import type { LockMetrics } from './metrics.js';

/**
 * Any lock strategy, timed from outside: wait is from asking to holding, hold from holding to
 * release; a held lock that reports itself lost is counted by reason. `onAcquired` hears each
 * acquisition's queue length.
 */
export class MeasuredLock implements DistributedLock {
  readonly strategy: string;
  private readonly wait: Histogram.Internal<'strategy'>;
  private readonly hold: Histogram.Internal<'strategy'>;

  constructor(
    private readonly inner: DistributedLock,
    private readonly metrics: LockMetrics,
    private readonly onAcquired: (lockKey: string, contenders: number) => void,
  ) {
    this.strategy = inner.strategy;
    this.wait = metrics.waitSeconds.labels(inner.strategy);
    this.hold = metrics.holdSeconds.labels(inner.strategy);
  }

  async acquire(lockKey: string, options: AcquireOptions): Promise<LockHandle> {
    const askedAt = performance.now();
    const handle = await this.inner.acquire(lockKey, options);
    const heldAt = performance.now();
    this.wait.observe((heldAt - askedAt) / 1000);
    this.onAcquired(lockKey, handle.contenders);
    this.countLoss(handle.lost);
    return {
      fencingToken: handle.fencingToken,
      contenders: handle.contenders,
      lost: handle.lost,
      isSafe: () => handle.isSafe(),
      release: once(() => {
        this.hold.observe((performance.now() - heldAt) / 1000);
        return handle.release();
      }),
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private countLoss(lost: AbortSignal): void {
    const count = () => this.metrics.lost.inc({ reason: String(lost.reason) });
    if (lost.aborted) count();
    else lost.addEventListener('abort', count, { once: true });
  }
}
