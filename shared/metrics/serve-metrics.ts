import type { Settings } from '../config/settings.js';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
import { queueMetrics } from './metrics.js';
import type { QueueCounts } from './queue-counts.js';

/**
 * Starts the metrics server the settings ask for (none while METRICS_PORT is off), with the
 * queue's depth, bullmq_job_count{queue,state}, among the registry's metrics.
 */
export function serveMetrics(
  settings: Pick<Settings, 'metricsHost' | 'metricsPort'>,
  queueCounts: QueueCounts,
  options: Pick<MetricsServerOptions, 'registry' | 'readiness' | 'logger'>,
): Promise<MetricsServer | undefined> {
  if (settings.metricsPort === undefined) return Promise.resolve(undefined);
  queueMetrics(options.registry, queueCounts.queue, () => queueCounts.get());
  return startMetricsServer({ ...options, host: settings.metricsHost, port: settings.metricsPort });
}
