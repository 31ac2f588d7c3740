import { z } from 'zod';
import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { startWorker } from './run-worker.js';
import { strategyNames } from './strategies.js';

export const DEFAULT_MAX_BATCH = 64;
export const DEFAULT_LOCK_RETAIN_MS = 30_000;

export const workOptions = {
  concurrency: { type: 'string' },
  lock: { type: 'string' },
  'max-batch': { type: 'string' },
  'lock-timeout-ms': { type: 'string' },
  'lock-retain-ms': { type: 'string' },
  'grace-ms': { type: 'string' },
  seed: { type: 'string' },
  affinity: { type: 'string' },
} as const;

export const workCommand: Command = {
  name: 'work',
  summary: 'Run one worker process: consume grab jobs and pay out packets under a lock',
  usage:
    'grab work [--concurrency N] [--lock zk|zk-herd|redis|none|atomic] [--max-batch N] [--lock-timeout-ms MS] [--lock-retain-ms MS] [--affinity on|off] [--grace-ms MS] [--seed N] [--metrics-port P] [--metrics-host H]',
  example: 'grab work --concurrency 200 --lock zk',
  options: workOptions,
  async run({ values, settings }) {
    const strategy = option(values, 'lock', z.enum(strategyNames, { error: `must be one of ${strategyNames.join(', ')}` }).default('zk'));
    const concurrency = option(values, 'concurrency', intFlag(1, 10_000, 200));
    const maxBatch = option(values, 'max-batch', intFlag(1, 10_000, DEFAULT_MAX_BATCH));
    const lockTimeoutMs = option(values, 'lock-timeout-ms', intFlag(100, 600_000, 30_000));
    const lockRetainMs = option(values, 'lock-retain-ms', intFlag(0, 60_000, DEFAULT_LOCK_RETAIN_MS));
    const graceMs = option(values, 'grace-ms', intFlag(0, 600_000, 10_000));
    // --lock none is the article's uncoordinated fleet: no lock, and no pool affinity either.
    const affinity = option(values, 'affinity', z.enum(['on', 'off'], { error: 'must be on or off' }).default(strategy === 'none' ? 'off' : 'on')) === 'on';
    const seed = values.seed === undefined ? undefined : option(values, 'seed', intFlag(0, 2 ** 32 - 1));
    const logger = settingsLogger('worker', settings);
    const running = await startWorker({ settings, logger, strategy, concurrency, maxBatch, lockTimeoutMs, lockRetainMs, affinity, seed });
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'stopping');
        resolve();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    await running.stop(graceMs);
    // Everything is closed; a handle a dead connection left behind must not keep the process up.
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  },
};
