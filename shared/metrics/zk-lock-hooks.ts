import type { LockDriver } from '../lock/lock-driver.js';
import type { ZkLockOptions } from '../lock/zk-lock.js';
import type { LockMetrics } from './metrics.js';

/** ZkLock's observer and release hook for one strategy: the wakeups and releases whose ratio is the herd size. */
export function zkLockHooks(
  metrics: LockMetrics,
  strategy: LockDriver['name'],
): Required<Pick<ZkLockOptions, 'observer' | 'onRelease'>> {
  const acquired = metrics.wakeups.labels({ strategy, result: 'acquired' });
  const spurious = metrics.wakeups.labels({ strategy, result: 'spurious' });
  const releases = metrics.releases.labels({ strategy });
  // Exported from the start at 0, so rate() and increase() count the first wakeups and releases too.
  for (const counter of [acquired, spurious, releases]) counter.inc(0);
  return {
    observer: { wakeup: (_strategy, holds) => (holds ? acquired : spurious).inc() },
    onRelease: () => releases.inc(),
  };
}
