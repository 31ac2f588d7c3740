import type { RedisClient } from '../shared/redis/connection.js';
import type { Logger } from '../shared/logging/logger.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { Rng } from '../shared/ledger/prng.js';
import { herdDriver, predecessorDriver } from '../shared/lock/lock-driver.js';
import type { DistributedLock } from '../shared/lock/lock-handle.js';
import { RedisLock } from '../shared/lock/redis-lock.js';
import { ZkConnection } from '../shared/lock/zk-connection.js';
import { ZkLock } from '../shared/lock/zk-lock.js';
import { zkSessionOptions } from '../shared/lock/zk-settings.js';
import type { Settings } from '../shared/config/settings.js';
import { MeasuredLock } from '../shared/metrics/measured-lock.js';
import type { LockMetrics } from '../shared/metrics/metrics.js';
import { zkLockHooks } from '../shared/metrics/zk-lock-hooks.js';
import { atomicDeduction, lockedDeduction, unlockedDeduction } from './deductions.js';
import type { Deduction } from './grab-request.js';
import { recordingDeduction } from './recording-deduction.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';

export const strategyNames = ['zk', 'zk-herd', 'redis', 'none', 'atomic'] as const;
export type StrategyName = (typeof strategyNames)[number];

/**
 * Strategies whose commits may meet on one campaign: the same fencing tokens (ZooKeeper czxids
 * for both ZooKeeper drivers), or none. A campaign records the family of its first worker.
 */
export const lockFamily = (strategy: StrategyName): string => (strategy === 'zk-herd' ? 'zk' : strategy);

export interface Strategy {
  /** Settles a batch and records its outcomes before it returns. */
  deduction: Deduction;
  /** Whether this strategy needs ZooKeeper, for readiness. */
  zookeeper?: ZkConnection;
  close(): Promise<void>;
}

export interface StrategyDeps {
  settings: Settings;
  redis: RedisClient;
  ledger: Ledger;
  outcomes: OutcomeLog;
  rng: Rng;
  logger: Logger;
  lockTimeoutMs: number;
  /** How long `zk` keeps a released lock for this process's next batch of the same pool. */
  lockRetainMs: number;
  lockMetrics: LockMetrics;
  /** Hears each lock acquisition's queue length, for the per-pool contenders gauge. */
  onLockAcquired: (lockKey: string, contenders: number) => void;
}

export function createStrategy(name: StrategyName, deps: StrategyDeps): Strategy {
  const { settings, redis, ledger, outcomes, rng, logger, lockTimeoutMs, lockMetrics } = deps;
  const locked = (lock: DistributedLock) =>
    lockedDeduction(
      new MeasuredLock(lock, lockMetrics, deps.onLockAcquired),
      ledger,
      outcomes,
      rng,
      lockTimeoutMs,
      logger,
    );
  switch (name) {
    case 'zk':
    case 'zk-herd': {
      // Kept even when no shard this process owns needs a lock: readiness, and whoever pauses on
      // 'down', see ZooKeeper again soon after any cut.
      const zookeeper = new ZkConnection({ ...zkSessionOptions(settings, logger), keepSession: true });
      const driver = name === 'zk' ? predecessorDriver : herdDriver;
      const retainMs = name === 'zk' ? deps.lockRetainMs : 0;
      const lock = new ZkLock(zookeeper, { driver, retainMs, ...zkLockHooks(lockMetrics, driver.name) });
      return { deduction: locked(lock), zookeeper, close: () => lock.close() };
    }
    case 'redis': {
      const lock = new RedisLock(redis);
      return { deduction: locked(lock), close: () => lock.close() };
    }
    case 'none':
      return { deduction: recordingDeduction(unlockedDeduction(ledger, rng), outcomes), close: async () => undefined };
    case 'atomic':
      return { deduction: recordingDeduction(atomicDeduction(ledger), outcomes), close: async () => undefined };
  }
}
