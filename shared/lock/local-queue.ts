import { LockTimeoutError } from './zk-errors.js';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * First-come-first-served turns per lock key inside one process, so a process has at most one
 * contender node per lock in ZooKeeper and never herds itself.
 */
export class LocalQueue {
  private readonly queues = new Map<string, { busy: boolean; waiters: Waiter[] }>();

  /** Resolves when the caller's turn comes; rejects (leaving the queue) on deadline or abort. */
  take(key: string, deadline: number, signal?: AbortSignal): Promise<void> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { busy: false, waiters: [] };
      this.queues.set(key, queue);
    }
    if (!queue.busy) {
      queue.busy = true;
      return Promise.resolve();
    }
    const waiters = queue.waiters;
    return new Promise<void>((resolve, reject) => {
      const leave = (err: Error) => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => leave(new LockTimeoutError('lock acquisition aborted'));
      const timer = setTimeout(
        () => leave(new LockTimeoutError('lock not acquired before the timeout')),
        Math.max(0, deadline - Date.now()),
      );
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: leave,
      };
      waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the turn to the next waiter, or frees the key. */
  pass(key: string): void {
    const queue = this.queues.get(key);
    if (!queue) return;
    const next = queue.waiters.shift();
    if (next) next.resolve();
    else this.queues.delete(key);
  }
}
