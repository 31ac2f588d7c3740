import type { Redis } from 'ioredis';

/**
 * How many replicas must acknowledge a write before it counts (Redis WAIT), and for how long to
 * wait. Replication is asynchronous: without the wait, a master can acknowledge a grant and die
 * before any replica has it, and the promoted replica never heard of it.
 */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
  /** Hears each write that timed out waiting: it is on the master, not known to be on a replica. */
  onUnconfirmed?: () => void;
}

/**
 * A write reached the master, but fewer replicas than required acknowledged it in time. It may
 * survive a failover or not: the caller must not report what it wrote as done. The grab is
 * put back and tried again; its next delivery finds what survived (see docs/ledger.md).
 */
export class CommitUnconfirmedError extends Error {
  override readonly name = 'CommitUnconfirmedError';
  constructor(
    readonly acked: number,
    readonly required: number,
    timeoutMs: number,
  ) {
    super(
      `a commit reached ${acked} of the ${required} replicas it needs within ${timeoutMs} ms ` +
        `(GRAB_COMMIT_WAIT_MS); the grabs are put back and tried again`,
    );
  }
}

/** Checks WAIT's reply: the number of replicas that acknowledged. */
export function checkAcked(acked: unknown, wait: ReplicaWait): void {
  const count = Number(acked);
  if (count >= wait.replicas) return;
  wait.onUnconfirmed?.();
  throw new CommitUnconfirmedError(count, wait.replicas, wait.timeoutMs);
}

/**
 * What GRAB_COMMIT_REPLICAS=auto means for this Redis: 1 if it has a replica now, else 0. A
 * number is taken as it is.
 */
export async function resolveCommitReplicas(redis: Redis, setting: 'auto' | number): Promise<number> {
  if (setting !== 'auto') return setting;
  const info = await redis.info('replication');
  const replicas = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
  return replicas > 0 ? 1 : 0;
}
