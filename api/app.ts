import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { packageVersion } from '../shared/cli/package-info.js';
import type { ApiMetrics } from '../shared/metrics/metrics.js';
import type { ShardedQueue } from '../shared/queue/sharded-queue.js';
import type { ApiServices } from './api-services.js';
import { requireBearerToken } from './auth.js';
import { campaignRoutes } from './campaign-routes.js';
import { errorHandler } from './errors.js';
import { grabRoutes } from './grab-routes.js';
import { healthRoutes } from './health-routes.js';
import { lifecycleRoutes } from './lifecycle-routes.js';
import { lookupRoutes } from './lookup-routes.js';
import { measureRequests } from './http-metrics.js';
import { mountQueueBoard } from './queue-board.js';

export const DOCS_PATH = '/docs';

export interface ApiOptions {
  services: ApiServices;
  queue: ShardedQueue;
  registry: Registry;
  metrics: ApiMetrics;
  /** The bearer token every request that changes something must carry; none on a loopback-only server. */
  token: string | undefined;
}

/**
 * The HTTP API as a fastify app: routes validated by their zod schemas (the same ones the CLI
 * uses), an OpenAPI description built from those schemas at /docs/json with its browsable UI at
 * /docs, the read-only queue board at /queues, and per-route metrics.
 */
export async function buildApi({ services, queue, registry, metrics, token }: ApiOptions): Promise<FastifyInstance> {
  const app = fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    // Per-request log lines would cost more than the grabs; the metrics count every request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(services.logger));
  app.addHook('onRequest', requireBearerToken(token));
  measureRequests(app, metrics);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'grab fleet API',
        description:
          'Campaigns and grabs of the red-packet fleet. Every POST needs `Authorization: Bearer <GRAB_API_TOKEN>` when the server has a token.',
        version: packageVersion,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PATH });
  await app.register(campaignRoutes, services);
  await app.register(lifecycleRoutes, services);
  await app.register(grabRoutes, services);
  await app.register(lookupRoutes, services);
  await app.register(healthRoutes, { ...services, registry });
  await mountQueueBoard(app, queue);
  return app;
}
