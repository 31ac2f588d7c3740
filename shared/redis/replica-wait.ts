import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';

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
 * What GRAB_COMMIT_REPLICAS=auto means for this Redis: 1 if it has a replica now (on a cluster:
 * if every master serving slots has one), else 0. A number is taken as it is.
 */
export async function resolveCommitReplicas(redis: RedisClient, setting: 'auto' | number): Promise<number> {
  if (setting !== 'auto') return setting;
  return (await fewestReplicas(redis)) > 0 ? 1 : 0;
}

/** The replicas of the master with the fewest, as the Redis (or the cluster) says now. */
async function fewestReplicas(redis: RedisClient): Promise<number> {
  if (!(redis instanceof Cluster)) {
    const info = await redis.info('replication');
    return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
  }
  // CLUSTER NODES: id address flags master-id ... slots; a replica names its master's id.
  const nodes = String(await redis.call('CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
  const live = (flags: string, role: string) => flags.split(',').includes(role) && !flags.includes('fail');
  const masters = nodes.filter((n) => live(n[2]!, 'master') && n.length > 8);
  if (masters.length === 0) return 0;
  return Math.min(...masters.map((m) => nodes.filter((n) => live(n[2]!, 'slave') && n[3] === m[0]).length));
}
