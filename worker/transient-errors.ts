import { LockLostError, LockTimeoutError, isConnectionLoss, isSessionLoss } from '../shared/lock/zk-errors.js';
import { CommitUnconfirmedError } from '../shared/redis/replica-wait.js';
import { DeductionRefusedError } from './deductions.js';

/**
 * Replies and socket errors that say Redis is unreachable or not serving, or that a cluster slot
 * moved to another master (a failover), not that the grab is wrong.
 */
const REDIS_UNAVAILABLE = new RegExp(
  [
    'Connection is closed',
    "Stream isn't writeable",
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'LOADING',
    'READONLY',
    'MASTERDOWN',
    'CLUSTERDOWN',
    'TRYAGAIN',
    'MOVED',
    '^ASK ',
    'NOAUTH',
    'WRONGPASS',
  ].join('|'),
);

/**
 * Whether a grab failed because the fleet's lock service or ledger could not be reached or the
 * lock was lost, rather than because of the grab itself. Such a grab is put back without
 * spending one of its attempts: an outage, however long, must not use up the retry budget. So is
 * a grab whose commit its replicas did not confirm in time: it is not settled until they do.
 */
export function isTransient(err: unknown): boolean {
  if (
    err instanceof DeductionRefusedError ||
    err instanceof CommitUnconfirmedError ||
    err instanceof LockLostError ||
    err instanceof LockTimeoutError ||
    isConnectionLoss(err) ||
    isSessionLoss(err)
  )
    return true;
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return REDIS_UNAVAILABLE.test(err.message) || REDIS_UNAVAILABLE.test((err as { code?: string }).code ?? '');
}
