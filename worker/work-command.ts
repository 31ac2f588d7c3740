import type { Command as Cli, OptionValues } from '@commander-js/extra-typings';
import { defineCommand } from '../shared/cli/command.js';
import { stopSignal } from '../shared/cli/stop-signal.js';
import { flag, oneOf } from '../shared/cli/flags.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { startWorker } from './run-worker.js';
import { strategyNames } from './strategies.js';

export const DEFAULT_MAX_BATCH = 64;
export const DEFAULT_LOCK_RETAIN_MS = 30_000;

/** The flags of one worker process: `grab work`'s, and each worker's in `grab fleet`. */
export const workFlagOptions = () => ({
  concurrency: flag(
    '--concurrency <n>',
    'grab jobs in flight per queue shard consumed',
    coercedWholeNumber(1, 10_000),
  ).default(200),
  lock: oneOf(
    '--lock <strategy>',
    "how a pool's payouts are kept apart: a ZooKeeper lock (zk, or its " +
      'naive herd variant), a Redis lock, none at all, or one atomic Redis ' +
      'script',
    strategyNames,
  ).default('zk'),
  maxBatch: flag(
    '--max-batch <n>',
    'grabs of one pool settled under one lock acquisition',
    coercedWholeNumber(1, 10_000),
  ).default(DEFAULT_MAX_BATCH),
  lockTimeoutMs: flag(
    '--lock-timeout-ms <ms>',
    "how long a batch waits for its pool's lock before its grabs are retried",
    coercedWholeNumber(100, 600_000),
  ).default(30_000),
  lockRetainMs: flag(
    '--lock-retain-ms <ms>',
    "how long zk keeps a released lock node for this process's next batch while nobody else waits",
    coercedWholeNumber(0, 60_000),
  ).default(DEFAULT_LOCK_RETAIN_MS),
  affinity: oneOf(
    '--affinity <on|off>',
    'off: consume every queue shard, not only those the fleet assigns; on by default, off with --lock none',
    ['on', 'off'],
  ),
  graceMs: flag(
    '--grace-ms <ms>',
    'on SIGTERM or SIGINT: stop taking jobs, finish those in flight within this, release the locks, exit 0',
    coercedWholeNumber(0, 600_000),
  ).default(10_000),
  seed: flag('--seed <n>', 'seed of the random split, for a reproducible run', coercedWholeNumber(0, 2 ** 32 - 1)),
});

/** Adds the worker's flags to a command. */
export function workFlags<Opts extends OptionValues>(command: Cli<[], Opts>) {
  const f = workFlagOptions();
  return command
    .addOption(f.concurrency)
    .addOption(f.lock)
    .addOption(f.maxBatch)
    .addOption(f.lockTimeoutMs)
    .addOption(f.lockRetainMs)
    .addOption(f.affinity)
    .addOption(f.graceMs)
    .addOption(f.seed);
}

export const workCommand = defineCommand({
  name: 'work',
  summary: 'Run one worker process: consume grab jobs and pay out packets under a lock',
  example: 'grab work --concurrency 200 --lock zk',
  flags: (c) => workFlags(c),
  async run(opts, { settings }) {
    const { lock: strategy, concurrency, maxBatch, lockTimeoutMs, lockRetainMs, graceMs, seed } = opts;
    // --lock none is the article's uncoordinated fleet: no lock, and no pool affinity either.
    const affinity = (opts.affinity ?? (strategy === 'none' ? 'off' : 'on')) === 'on';
    const logger = settingsLogger('worker', settings);
    const running = await startWorker({
      settings,
      logger,
      strategy,
      concurrency,
      maxBatch,
      lockTimeoutMs,
      lockRetainMs,
      affinity,
      seed,
    });
    await stopSignal(logger);
    await running.stop(graceMs);
    // Everything is closed; a handle a dead connection left behind must not keep the process up.
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  },
});
