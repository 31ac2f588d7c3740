import { deleteGuaranteed, attemptLock, type HeldNode, type LockObserver } from './lock-internals.js';
import { isLockNode, predecessorDriver, sequenceOf, type LockDriver } from './lock-driver.js';
import { LocalQueue } from './local-queue.js';
import { once, type AcquireOptions, type DistributedLock, type LockHandle } from './lock-handle.js';
import type { ZkConnection } from './zk-connection.js';
import type { ZkSession } from './zk-session.js';
import { LockLostError } from './zk-errors.js';

export interface ZkLockOptions {
  /** Persistent parent of every lock: each lock key becomes a child path of it. */
  root?: string;
  driver?: LockDriver;
  observer?: LockObserver;
  /**
   * How long a released node may be kept for this process's next acquisition of the same lock,
   * while no other contender waits. 0 (the default) deletes it at once.
   */
  retainMs?: number;
  /** Told after each release, for the herd-size denominator. */
  onRelease?: (driver: LockDriver['name']) => void;
}

export const LOCK_ROOT = '/grab/locks';

export const lockKeyPattern = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

interface KeptNode {
  session: ZkSession;
  held: HeldNode;
  timer: NodeJS.Timeout;
}

const noObserver: LockObserver = { wakeup: () => undefined };

/** ZooKeeper lock strategy: the lock algorithm plus in-process sharing and handles. */
export class ZkLock implements DistributedLock {
  readonly strategy: LockDriver['name'];
  private readonly root: string;
  private readonly driver: LockDriver;
  private readonly observer: LockObserver;
  private readonly local = new LocalQueue();
  private readonly kept = new Map<string, KeptNode>();
  /** Parents with a child watch set, and the session it was set in. */
  private readonly watching = new Map<string, ZkSession>();
  private readonly retainMs: number;

  constructor(
    private readonly connection: ZkConnection,
    private readonly options: ZkLockOptions = {},
  ) {
    this.root = options.root ?? LOCK_ROOT;
    this.driver = options.driver ?? predecessorDriver;
    this.observer = options.observer ?? noObserver;
    this.strategy = this.driver.name;
    this.retainMs = options.retainMs ?? 0;
  }

  parentPath(lockKey: string): string {
    if (!lockKeyPattern.test(lockKey))
      throw new Error(`invalid lock key "${lockKey}": use letters, digits, _ and -, joined by /`);
    return `${this.root}/${lockKey}`;
  }

  async acquire(lockKey: string, { timeoutMs, signal }: AcquireOptions): Promise<LockHandle> {
    const parentPath = this.parentPath(lockKey);
    const deadline = Date.now() + timeoutMs;
    await this.local.take(lockKey, deadline, signal);
    try {
      const kept = this.reclaim(lockKey);
      const { session, held } = kept ?? (await this.attemptInLiveSession(parentPath, deadline, signal));
      return this.handle(lockKey, parentPath, session, held);
    } catch (err) {
      this.local.pass(lockKey);
      throw err;
    }
  }

  private handle(lockKey: string, parentPath: string, session: ZkSession, held: HeldNode): LockHandle {
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
        if (this.retainMs > 0 && !lost.signal.aborted && session.isSafe())
          this.keep(lockKey, parentPath, session, held);
        else await this.deleteNode(session, held);
      } finally {
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
  }

  /** Takes back a node kept after its last release, if it is still certainly ours. */
  private reclaim(lockKey: string): { session: ZkSession; held: HeldNode } | undefined {
    const kept = this.kept.get(lockKey);
    if (!kept) return undefined;
    this.kept.delete(lockKey);
    clearTimeout(kept.timer);
    if (kept.session.isSafe() && !kept.held.vanished.aborted) return kept;
    void this.deleteNode(kept.session, kept.held);
    return undefined;
  }

  /**
   * Keeps the node after a release while nobody else waits: the next batch of this process for
   * the same lock then needs no ZooKeeper round trip. A watch on the parent gives it up as soon
   * as another contender appears, and a timer after `retainMs` in any case.
   */
  private keep(lockKey: string, parentPath: string, session: ZkSession, held: HeldNode): void {
    const kept: KeptNode = { session, held, timer: setTimeout(() => this.giveUp(lockKey, kept), this.retainMs) };
    kept.timer.unref();
    this.kept.set(lockKey, kept);
    // A child watch still pending in this session was set by a listing that showed no successor
    // (or the node was given up); any contender since then fires it, so there is nothing to check.
    if (this.watching.get(parentPath) === session) return;
    this.watching.set(parentPath, session);
    const ownSequence = sequenceOf(held.path);
    // Gives up the node kept now, if any: by the time a reply or event arrives, the node may be
    // in use again (a local batch reclaimed it) and kept anew after that.
    const yieldToOthers = () => {
      if (this.watching.get(parentPath) === session) this.watching.delete(parentPath);
      const current = this.kept.get(lockKey);
      if (current) this.giveUp(lockKey, current);
    };
    session.getChildren(parentPath, Date.now() + session.sessionTimeoutMs, yieldToOthers).then((children) => {
      // A successor already waits, so the watch will not fire for it: forget the watch, and
      // the next keep lists again if the node is in use now.
      if (children.some((name) => isLockNode(name) && sequenceOf(name) > ownSequence)) yieldToOthers();
    }, yieldToOthers);
  }

  private giveUp(lockKey: string, kept: KeptNode): void {
    if (this.kept.get(lockKey) !== kept) return;
    this.kept.delete(lockKey);
    clearTimeout(kept.timer);
    void this.deleteNode(kept.session, kept.held);
  }

  /** Never rejects (deleteGuaranteed does not), so a node given up in the background needs no catch. */
  private async deleteNode(session: ZkSession, held: HeldNode): Promise<void> {
    try {
      await deleteGuaranteed(session, held.path);
    } finally {
      this.options.onRelease?.(this.driver.name);
    }
  }

  /** A waiter holds nothing, so when its session is lost it may start again in a fresh one. */
  private async attemptInLiveSession(parentPath: string, deadline: number, signal: AbortSignal | undefined) {
    for (;;) {
      const session = await this.connection.session();
      try {
        const held = await attemptLock({
          session,
          parentPath,
          driver: this.driver,
          deadline,
          signal,
          observer: this.observer,
        });
        return { session, held };
      } catch (err) {
        if (!(err instanceof LockLostError) || Date.now() >= deadline || signal?.aborted) throw err;
      }
    }
  }

  async close(): Promise<void> {
    for (const [key, kept] of [...this.kept]) this.giveUp(key, kept);
    this.connection.close();
  }
}
