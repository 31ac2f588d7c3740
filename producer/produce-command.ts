import { UsageError } from '../shared/config/errors.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag, oneOf, text } from '../shared/cli/flags.js';
import { progressReporter } from '../shared/cli/progress.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';
import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { createRegistry, producerMetrics } from '../shared/metrics/metrics.js';
import { QueueCounts } from '../shared/metrics/queue-counts.js';
import { serveMetrics } from '../shared/metrics/serve-metrics.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { distributionNames } from '../shared/enqueue/distribution.js';
import { AdmissionDoor } from '../shared/enqueue/admission-door.js';
import { enqueueGrabs, type EnqueueResult } from './enqueue.js';
import { defaultRetryBudget } from '../shared/enqueue/grab-enqueue.js';
import { countUsers, generatedUsers, usersFromFile } from './user-source.js';

/**
 * How long a pool the door found open goes without asking again. The producer sends thousands of
 * grabs a second over every pool, so this keeps an open pool's asks to one a second; a pool that
 * sells out meanwhile has its grabs settled by the worker's own admission.
 */
const DOOR_OPEN_FOR_MS = 1000;

export const produceCommand = defineCommand({
  name: 'produce',
  summary: 'Enqueue one grab job per user line of a campaign (a re-run, or a longer list, never duplicates a grab)',
  example: 'grab produce --campaign new-year --users 100000 --distribution hot',
  flags: (c) =>
    c
      .addOption(campaignFlag())
      .addOption(
        flag('--users <n>', 'enqueue users u0 to u{n-1} (or give --users-file)', coercedWholeNumber(1, 100_000_000)),
      )
      .addOption(text('--users-file <path>', 'enqueue the users of this file, one id per line'))
      .addOption(
        oneOf('--distribution <name>', "how each user's pool is picked, deterministically", distributionNames).default(
          'uniform',
        ),
      )
      .addOption(flag('--chunk <n>', 'grabs per addBulk call', coercedWholeNumber(1, 10_000)).default(1000))
      .addOption(flag('--in-flight <n>', 'addBulk calls in flight at once', coercedWholeNumber(1, 64)).default(4))
      .addOption(
        flag(
          '--max-backlog <n>',
          'pause while more grabs than this wait in the queue',
          coercedWholeNumber(1, 100_000_000),
        ),
      )
      .addOption(flag('--rate <r>', 'enqueue at most this many grabs per second', coercedWholeNumber(1, 10_000_000)))
      .addOption(
        flag('--attempts <n>', "each grab's tries before it counts as failed", coercedWholeNumber(1, 100)).default(
          defaultRetryBudget.attempts,
        ),
      )
      .addOption(
        flag(
          '--backoff-ms <ms>',
          'the first retry delay; each next one doubles',
          coercedWholeNumber(1, 600_000),
        ).default(defaultRetryBudget.backoffMs),
      ),
  async run(opts, { settings }) {
    const { campaign: campaignId, users: userCount, usersFile, distribution } = opts;
    if ((userCount === undefined) === (usersFile === undefined))
      throw new UsageError('give exactly one of --users N or --users-file F');
    const retry = { attempts: opts.attempts, backoffMs: opts.backoffMs };
    const logger = settingsLogger('producer', settings);
    const users = () => (usersFile !== undefined ? usersFromFile(usersFile) : generatedUsers(userCount!));

    return withCampaign(settings, campaignId, async ({ redis, ledger, outcomes, slots, record }) => {
      const total = userCount ?? (await countUsers(users()));
      const queue = await ShardedQueue.open(settings.queue, settings.queueShards, redis, { logger });
      const registry = createRegistry();
      const queueCounts = new QueueCounts(queue);
      const { producedJobs, doorSettled } = producerMetrics(registry, async () => (await queueCounts.get())?.waiting);
      const metricsServer = await serveMetrics(settings, queueCounts, {
        registry,
        logger,
        readiness: () => ({ redis: redis.status === 'ready' }),
      });
      const progress = progressReporter(`enqueue ${campaignId}`, total);
      let counted = { sent: 0, settledAtDoor: 0 };
      try {
        const { sent, added, settledAtDoor } = await enqueueGrabs({
          queue,
          campaign: record,
          ledger,
          outcomes,
          slots,
          retry,
          users: users(),
          distribution,
          chunkSize: opts.chunk,
          inFlight: opts.inFlight,
          maxBacklog: opts.maxBacklog,
          rate: opts.rate,
          door: settings.admission === 'on' ? new AdmissionDoor(ledger, DOOR_OPEN_FOR_MS) : undefined,
          onProgress: (sent, settledAtDoor) => {
            progress.update(sent);
            doorSettled.inc(settledAtDoor - counted.settledAtDoor);
            producedJobs.inc(sent - settledAtDoor - (counted.sent - counted.settledAtDoor));
            counted = { sent, settledAtDoor };
          },
        });
        progress.finish(sent);
        process.stdout.write(`${producedSummary(campaignId, { sent, added, settledAtDoor })}\n`);
        logger.info(
          { campaign: campaignId, instance: record.instance, sent, added, settledAtDoor, distribution },
          'grabs enqueued',
        );
      } catch (err) {
        if (err instanceof UnknownPoolError)
          throw new CommandFailure(`campaign "${campaignId}" was deleted while its grabs were being enqueued`);
        throw err;
      } finally {
        await metricsServer?.close();
        await queue.close();
      }
      return 0;
    });
  },
});

function producedSummary(campaignId: string, { sent, added, settledAtDoor }: EnqueueResult): string {
  const repeated = sent - added;
  return (
    `enqueued ${added} new grabs for ${campaignId}` +
    (repeated > 0
      ? `; ${repeated} of the ${sent} sent were already enqueued (an earlier run over the same users) and count once`
      : '') +
    (settledAtDoor > 0
      ? `; ${settledAtDoor} of the ${sent} sent were settled at once, without entering the queue: ` +
        'their pool was sold out, closed or expired (see grab report)'
      : '')
  );
}
