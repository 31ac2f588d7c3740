import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { formatSpecPath } from '../shared/campaign/spec.js';
import type { Logger } from '../shared/logging/logger.js';

/** The body of every error answer: fastify's own shape, with a message that says what to change. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** For a 400: each field that was wrong and why. */
  issues?: { field: string; message: string }[];
}

const MAX_ISSUES_SHOWN = 10;

/** "/pools/0/packets" of the part "body" -> "body.pools[0].packets" */
function fieldName(context: string, instancePath: string): string {
  const path = instancePath
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const rest = formatSpecPath(path);
  return rest === '' ? context : rest.startsWith('[') ? `${context}${rest}` : `${context}.${rest}`;
}

export const notFound = (reply: FastifyReply, message: string) =>
  reply.code(404).send({ statusCode: 404, error: 'Not Found', message } satisfies ErrorBody);

/**
 * Errors become answers here, in one place: a request that failed validation gets a 400 naming
 * each field and its rule; fastify's own refusals (malformed JSON, a body too large) keep their
 * status and message; a Redis outage is a 503; anything else is logged (redacted) and answered
 * with a bare 500, so no internal detail reaches the client.
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const context = err.validationContext ?? 'request';
      const issues = err.validation.map((v) => ({
        field: fieldName(context, v.instancePath),
        message: v.message ?? 'is not valid',
      }));
      const shown = issues.slice(0, MAX_ISSUES_SHOWN).map((i) => `${i.field}: ${i.message}`);
      if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more problems`);
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: shown.join('; '), issues } satisfies ErrorBody);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply.code(status).send({ statusCode: status, error: err.name, message: err.message } satisfies ErrorBody);
    if (isRedisUnreachable(err)) {
      logger.warn({ err, route: request.routeOptions.url }, 'request failed: Redis unreachable');
      return reply.code(503).send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the ledger (Redis) is unreachable; try again shortly',
      } satisfies ErrorBody);
    }
    logger.error({ err, route: request.routeOptions.url }, 'request failed');
    return reply
      .code(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' } satisfies ErrorBody);
  };
}

/** ioredis gave up on the command: the connection is down, or retries ran out. */
const isRedisUnreachable = (err: Error): boolean =>
  err.name === 'MaxRetriesPerRequestError' ||
  /Connection is closed|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/.test(err.message);
