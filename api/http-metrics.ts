import type { FastifyInstance } from 'fastify';
import type { ApiMetrics } from '../shared/metrics/metrics.js';

/** Counts and times every answer by route template (or "unmatched"), method and status class. */
export function measureRequests(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status_class: `${Math.floor(reply.statusCode / 100)}xx`,
    };
    metrics.requests.inc(labels);
    metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
  });
}
