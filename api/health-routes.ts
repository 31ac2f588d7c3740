import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ApiServices } from './api-services.js';

const PING_TIMEOUT_MS = 1000;

/** Whether Redis answers a PING within a second. */
async function redisAnswers({ redis }: Pick<ApiServices, 'redis'>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz (the process answers), /readyz (and Redis does), /metrics (Prometheus text). */
export const healthRoutes: FastifyPluginAsyncZod<ApiServices & { registry: Registry }> = async (app, options) => {
  const tags = ['operations'];
  app.get(
    '/healthz',
    { schema: { tags, summary: 'Liveness: the process answers', response: { 200: z.object({ ok: z.boolean() }) } } },
    async () => ({ ok: true }),
  );
  const readiness = z.object({ ready: z.boolean(), checks: z.object({ redis: z.boolean() }) });
  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness: Redis answers (503 if not)',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const redis = await redisAnswers(options);
      return reply.code(redis ? 200 : 503).send({ ready: redis, checks: { redis } });
    },
  );
  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
};
