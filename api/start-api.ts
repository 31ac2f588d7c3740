import type { AddressInfo } from 'node:net';
import type { Settings } from '../shared/config/settings.js';
import { Ledger } from '../shared/ledger/ledger.js';
import { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Logger } from '../shared/logging/logger.js';
import { serverOrigin } from '../shared/metrics/metrics-server.js';
import { apiMetrics, createRegistry } from '../shared/metrics/metrics.js';
import { createRedis } from '../shared/redis/connection.js';
import type { DistributionName } from '../shared/enqueue/distribution.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { buildApi } from './app.js';
import { CampaignCache } from './campaign-cache.js';
import { GrabIntake } from './grab-intake.js';
import { HandlersInFlight } from './handlers-in-flight.js';
import { OutcomeWatch } from './outcome-watch.js';

/** How long a stopping server waits for handlers whose clients went away. */
const CLOSE_GRACE_MS = 10_000;

export interface StartApiOptions {
  settings: Settings;
  host: string;
  /** 0 picks a free port; `url` then tells which. */
  port: number;
  distribution: DistributionName;
  logger: Logger;
}

export interface RunningApi {
  /** Where the server answers, reachable from this machine. */
  url: string;
  close(): Promise<void>;
}

/** Opens Redis and the queue's shards, builds the app and listens; close() undoes it all. */
export async function startApi({ settings, host, port, distribution, logger }: StartApiOptions): Promise<RunningApi> {
  const redis = createRedis(settings, 'command', logger);
  const ledger = new Ledger(redis);
  const outcomes = new OutcomeLog(redis);
  const queue = await ShardedQueue.open(settings.queue, settings.queueShards, redis, {
    dedicatedConnection: true,
    logger,
  });
  const registry = createRegistry();
  const metrics = apiMetrics(registry);
  const watch = new OutcomeWatch({ outcomes, logger });
  const services = {
    redis,
    ledger,
    outcomes,
    logger,
    campaigns: new CampaignCache(ledger, distribution),
    intake: new GrabIntake({
      queue,
      ledger,
      outcomes,
      logger,
      door: settings.admission === 'on',
      onBatch: (n) => metrics.intakeBatch.observe(n),
      onDoor: (outcome) => metrics.doorSettled.inc({ outcome }),
    }),
    watch,
    handlers: new HandlersInFlight(),
  };
  const { handlers } = services;
  const app = await buildApi({ services, queue, registry, metrics, token: settings.apiToken });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    await queue.close();
    redis.disconnect();
    throw err;
  }
  const url = serverOrigin(host, (app.server.address() as AddressInfo).port);
  logger.info({ url, queue: settings.queue, tokenRequired: settings.apiToken !== undefined }, 'serving the API');
  return {
    url,
    async close() {
      watch.close();
      await app.close();
      await handlers.idle(CLOSE_GRACE_MS);
      await queue.close();
      redis.disconnect();
    },
  };
}
