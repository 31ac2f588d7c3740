export interface AcquireOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A held lock. Protected writes carry its fencing token and stop once `lost` fires. */
export interface LockHandle {
  readonly fencingToken: bigint;
  /** Fires when the lock may no longer be held; `lost.reason` says why. */
  readonly lost: AbortSignal;
  /** Contenders queued on the lock, this holder included, when it was acquired. */
  readonly contenders: number;
  /** True while the lock is certainly still held: checked just before a protected write. */
  isSafe(): boolean;
  /** Idempotent: every call returns the same promise. */
  release(): Promise<void>;
}

/** One lock strategy: ZooKeeper (standard or herd) or Redis. */
export interface DistributedLock {
  readonly strategy: string;
  acquire(lockKey: string, options: AcquireOptions): Promise<LockHandle>;
  close(): Promise<void>;
}

/** Memoises an async function so it runs once and every caller shares its result. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}
