import { z } from 'zod';
import { UsageError } from '../shared/config/errors.js';
import type { Command } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { intFlag, option } from '../shared/cli/options.js';
import { progressReporter } from '../shared/cli/progress.js';
import { requireCampaign, withServices } from '../shared/cli/services.js';
import { idSchema } from '../shared/campaign/spec.js';
import { UnknownPoolError } from '../shared/ledger/ledger-errors.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { createRegistry, producerMetrics } from '../shared/metrics/metrics.js';
import { QueueCounts } from '../shared/metrics/queue-counts.js';
import { serveMetrics } from '../shared/metrics/serve-metrics.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { distributionNames } from './distribution.js';
import { defaultRetryBudget, enqueueGrabs } from './enqueue.js';
import { countUsers, generatedUsers, usersFromFile } from './user-source.js';

export const produceCommand: Command = {
  name: 'produce',
  summary: 'Enqueue one grab job per user of a campaign (a repeated user, or a re-run, never duplicates a grab)',
  usage:
    'grab produce --campaign C (--users N | --users-file F) [--distribution uniform|hot|zipf] [--chunk N] [--in-flight N] [--max-backlog N] [--rate R] [--attempts N] [--backoff-ms MS] [--metrics-port P] [--metrics-host H]',
  example: 'grab produce --campaign new-year --users 100000 --distribution hot',
  options: {
    campaign: { type: 'string' },
    users: { type: 'string' },
    'users-file': { type: 'string' },
    distribution: { type: 'string' },
    chunk: { type: 'string' },
    'in-flight': { type: 'string' },
    'max-backlog': { type: 'string' },
    rate: { type: 'string' },
    attempts: { type: 'string' },
    'backoff-ms': { type: 'string' },
  },
  async run({ values, settings }) {
    const campaignId = option(values, 'campaign', idSchema);
    const usersFile = values['users-file'];
    if ((values.users === undefined) === (usersFile === undefined)) throw new UsageError('give exactly one of --users N or --users-file F');
    const userCount = values.users === undefined ? undefined : option(values, 'users', intFlag(1, 100_000_000));
    const distribution = option(values, 'distribution', z.enum(distributionNames, { error: `must be one of ${distributionNames.join(', ')}` }).default('uniform'));
    const chunkSize = option(values, 'chunk', intFlag(1, 10_000, 1000));
    const inFlight = option(values, 'in-flight', intFlag(1, 64, 4));
    const maxBacklog = values['max-backlog'] === undefined ? undefined : option(values, 'max-backlog', intFlag(1, 100_000_000));
    const rate = values.rate === undefined ? undefined : option(values, 'rate', intFlag(1, 10_000_000));
    const retry = {
      attempts: option(values, 'attempts', intFlag(1, 100, defaultRetryBudget.attempts)),
      backoffMs: option(values, 'backoff-ms', intFlag(1, 600_000, defaultRetryBudget.backoffMs)),
    };
    const logger = settingsLogger('producer', settings);
    const users = () => (typeof usersFile === 'string' ? usersFromFile(usersFile) : generatedUsers(userCount!));

    return withServices(settings, async ({ redis, ledger, outcomes }) => {
      const record = await requireCampaign(ledger, campaignId);
      const total = userCount ?? (await countUsers(users()));
      const queue = await ShardedQueue.open(settings.queue, settings.queueShards, redis, { logger });
      const registry = createRegistry();
      const queueCounts = new QueueCounts(queue);
      const { producedJobs } = producerMetrics(registry, async () => (await queueCounts.get())?.waiting);
      const metricsServer = await serveMetrics(settings, queueCounts, { registry, logger, readiness: () => ({ redis: redis.status === 'ready' }) });
      const progress = progressReporter(`enqueue ${campaignId}`, total);
      let counted = 0;
      try {
        const { sent, added } = await enqueueGrabs({
          queue,
          campaign: record,
          outcomes,
          retry,
          users: users(),
          distribution,
          chunkSize,
          inFlight,
          maxBacklog,
          rate,
          onProgress: (sent) => {
            progress.update(sent);
            producedJobs.inc(sent - counted);
            counted = sent;
          },
        });
        progress.finish(sent);
        const repeated = sent - added;
        process.stdout.write(
          `enqueued ${added} new grabs for ${campaignId}` +
            (repeated > 0 ? `; ${repeated} of the ${sent} sent were already enqueued (a user listed twice, or an earlier run) and count once\n` : '\n'),
        );
        logger.info({ campaign: campaignId, instance: record.instance, sent, added, distribution }, 'grabs enqueued');
      } catch (err) {
        if (err instanceof UnknownPoolError) throw new CommandFailure(`campaign "${campaignId}" was deleted while its grabs were being enqueued`);
        throw err;
      } finally {
        await metricsServer?.close();
        await queue.close();
      }
      return 0;
    });
  },
};
