import zookeeper from 'node-zookeeper-client';

const { Exception } = zookeeper;

/** A ZooKeeper call that got no answer before its deadline (node-zookeeper-client has no timeout of its own). */
export class ZkTimeoutError extends Error {
  override readonly name = 'ZkTimeoutError';
}

/** The lock can no longer be trusted: session expired, safe deadline passed, or the session was closed. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  constructor(readonly reason: LostReason) {
    super(`lock lost: ${reason}`);
  }
}

/** acquire() gave up: its timeout passed or its signal aborted. Its contender node is gone. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

export type LostReason = 'session_expired' | 'safe_deadline_passed' | 'session_closed' | 'node_vanished';

const zkCode = (err: unknown): number | undefined =>
  typeof (err as { getCode?: unknown })?.getCode === 'function' ? (err as { getCode(): number }).getCode() : undefined;

export const isNoNode = (err: unknown) => zkCode(err) === Exception.NO_NODE;
/** The request may or may not have been applied: the reply never arrived. */
export const isConnectionLoss = (err: unknown) =>
  zkCode(err) === Exception.CONNECTION_LOSS ||
  zkCode(err) === Exception.OPERATION_TIMEOUT ||
  err instanceof ZkTimeoutError;
/** ZooKeeper's code for a session that moved to another server; node-zookeeper-client names no constant for it. */
const SESSION_MOVED = -118;
/** The session is gone or moved: whatever was asked must be asked again in a new session. */
export const isSessionLoss = (err: unknown) =>
  zkCode(err) === Exception.SESSION_EXPIRED || zkCode(err) === SESSION_MOVED;
