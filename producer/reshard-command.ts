import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag } from '../shared/cli/flags.js';
import { withServices } from '../shared/cli/services.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { ReshardRefused, reshardQueue } from '../shared/queue/reshard.js';

/** Long enough for a producer's chunk that read the old count to land before the second pass. */
const SETTLE_MS = 2000;

export const reshardCommand = defineCommand({
  name: 'queue reshard',
  summary:
    "Change a live queue's shard count without losing a grab: pause, drain the grabs in flight, " +
    'record the count, move waiting grabs to their new shard (same job id), resume; workers and producers follow',
  example: 'grab queue reshard --to 64',
  flags: (c) =>
    c
      .addOption(flag('--to <n>', 'the new shard count', coercedWholeNumber(1, 1024)).makeOptionMandatory())
      .addOption(
        flag(
          '--drain-timeout-ms <ms>',
          'how long the grabs in flight may take to finish once the shards are paused',
          coercedWholeNumber(1000, 600_000),
        ).default(60_000),
      ),
  async run(opts, { settings }) {
    const result = await withServices(settings, (services) =>
      reshardQueue(services.redis, settings.queue, opts.to, {
        drainTimeoutMs: opts.drainTimeoutMs,
        settleMs: SETTLE_MS,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      }).catch((err: unknown) => {
        throw err instanceof ReshardRefused ? new CommandFailure(err.message) : err;
      }),
    );
    process.stdout.write(
      `queue "${result.queue}": ${result.from} -> ${result.to} shards, ${result.moved} waiting grabs moved; ` +
        `start new producers and workers with GRAB_QUEUE_SHARDS=${result.to}\n`,
    );
    return 0;
  },
});
