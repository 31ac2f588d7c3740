import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Methods that change nothing: they need no token. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An onRequest hook that asks every request that may change something for
 * `Authorization: Bearer <token>`. The header's value and the token are compared as SHA-256
 * digests in constant time, so neither the timing nor the length of a wrong guess tells
 * anything. Without a token (the server then listens on loopback only) every request passes.
 */
export function requireBearerToken(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (expected === undefined || READ_METHODS.has(request.method)) return;
    const given = request.headers.authorization;
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({
        statusCode: 401,
        error: 'Unauthorized',
        message:
          given === undefined
            ? 'this route changes data: send the header "Authorization: Bearer <GRAB_API_TOKEN>"'
            : 'the bearer token is not the one this server was started with (GRAB_API_TOKEN)',
      });
  };
}
