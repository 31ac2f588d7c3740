import { deleteGuaranteed, attemptLock, type LockObserver } from './lock-internals.js';
import { predecessorDriver, type LockDriver } from './lock-driver.js';
import { LocalQueue } from './local-queue.js';
import { once, type AcquireOptions, type DistributedLock, type LockHandle } from './lock-handle.js';
import type { ZkConnection } from './zk-connection.js';
import { LockLostError } from './zk-errors.js';

export interface ZkLockOptions {
  /** Persistent parent of every lock: each lock key becomes a child path of it. */
  root?: string;
  driver?: LockDriver;
  observer?: LockObserver;
  /** Told after each release, for the herd-size denominator. */
  onRelease?: (driver: LockDriver['name']) => void;
}

export const LOCK_ROOT = '/grab/locks';

export const lockKeyPattern = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

const noObserver: LockObserver = { wakeup: () => undefined };

/** ZooKeeper lock strategy: the lock algorithm plus in-process sharing and handles. */
export class ZkLock implements DistributedLock {
  readonly strategy: LockDriver['name'];
  private readonly root: string;
  private readonly driver: LockDriver;
  private readonly observer: LockObserver;
  private readonly local = new LocalQueue();

  constructor(
    private readonly connection: ZkConnection,
    private readonly options: ZkLockOptions = {},
  ) {
    this.root = options.root ?? LOCK_ROOT;
    this.driver = options.driver ?? predecessorDriver;
    this.observer = options.observer ?? noObserver;
    this.strategy = this.driver.name;
  }

  parentPath(lockKey: string): string {
    if (!lockKeyPattern.test(lockKey)) throw new Error(`invalid lock key "${lockKey}": use letters, digits, _ and -, joined by /`);
    return `${this.root}/${lockKey}`;
  }

  async acquire(lockKey: string, { timeoutMs, signal }: AcquireOptions): Promise<LockHandle> {
    const parentPath = this.parentPath(lockKey);
    const deadline = Date.now() + timeoutMs;
    await this.local.take(lockKey, deadline, signal);
    try {
      const { session, held } = await this.attemptInLiveSession(parentPath, deadline, signal);
      const lost = new AbortController();
      const onLost = function (this: AbortSignal) {
        lost.abort(this.reason);
      };
      const sources = [session.lostSignal, held.vanished];
      for (const source of sources) {
        if (source.aborted) lost.abort(source.reason);
        else source.addEventListener('abort', onLost, { once: true });
      }
      const release = once(async () => {
        for (const source of sources) source.removeEventListener('abort', onLost);
        try {
          await deleteGuaranteed(session, held.path);
        } finally {
          this.options.onRelease?.(this.driver.name);
          this.local.pass(lockKey);
        }
      });
      return {
        fencingToken: held.token,
        contenders: held.contenders,
        lost: lost.signal,
        isSafe: () => !lost.signal.aborted && session.isSafe(),
        release,
      };
    } catch (err) {
      this.local.pass(lockKey);
      throw err;
    }
  }

  /** A waiter holds nothing, so when its session is lost it may start again in a fresh one. */
  private async attemptInLiveSession(parentPath: string, deadline: number, signal: AbortSignal | undefined) {
    for (;;) {
      const session = await this.connection.session();
      try {
        const held = await attemptLock({ session, parentPath, driver: this.driver, deadline, signal, observer: this.observer });
        return { session, held };
      } catch (err) {
        if (!(err instanceof LockLostError) || Date.now() >= deadline || signal?.aborted) throw err;
      }
    }
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
