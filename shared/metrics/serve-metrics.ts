import type { ShardedQueue } from '../queue/sharded-queue.js';
import type { Settings } from '../config/settings.js';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
import { scrapeSample } from './scrape-sample.js';

/**
 * Starts the metrics server the settings ask for (none while METRICS_PORT is off), with
 * BullMQ's own queue gauges, bullmq_job_count{queue,state} summed over the shards, appended to
 * the registry's metrics.
 */
export function serveMetrics(
  settings: Pick<Settings, 'metricsHost' | 'metricsPort'>,
  queue: ShardedQueue,
  options: Pick<MetricsServerOptions, 'registry' | 'readiness' | 'logger'>,
): Promise<MetricsServer | undefined> {
  if (settings.metricsPort === undefined) return Promise.resolve(undefined);
  return startMetricsServer({
    ...options,
    host: settings.metricsHost,
    port: settings.metricsPort,
    appended: () => scrapeSample(queue.exportPrometheusMetrics()),
  });
}
