import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../shared/campaign/spec.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { GrantLookup } from '../shared/ledger/grant-lookup.js';
import { poolAddress } from '../shared/ledger/ledger-types.js';
import { userIdSchema } from '../shared/queue/grab-job.js';
import type { ApiServices } from './api-services.js';
import { noCampaign } from './campaign-routes.js';
import { notFound } from './errors.js';
import { errorReply, grabStatuses } from './schemas.js';

const tags = ['lookups'];
const MAX_CLAIMS_PAGE = 10_000;

const claim = z.object({ user: z.string(), cents: z.number(), at: z.string() });

const userReply = z.object({
  campaign: z.string(),
  instance: z.number(),
  user: z.string(),
  grants: z.array(z.object({ pool: z.string(), cents: z.number(), at: z.string() })),
  outcomes: z
    .record(z.string(), z.enum(grabStatuses))
    .describe(
      "the user's grab outcome in each pool where it is found: a grab posted over HTTP, or granted " +
        '(a produced grab that got nothing is not found by user: the pool is absent)',
    ),
});

const claimsReply = z.object({
  campaign: z.string(),
  pool: z.string(),
  luckiest: z
    .object({ user: z.string(), cents: z.number() })
    .nullable()
    .describe('the largest grant, earliest on a tie'),
  claims: z.array(claim).describe('in grant order'),
  next: z.number().nullable().describe('the `from` of the next page; null on the last'),
});

/** What one user got across a campaign; a pool's claims in grant order, a page at a time. */
export const lookupRoutes: FastifyPluginAsyncZod<ApiServices> = async (app, { redis, ledger }) => {
  const lookup = new GrantLookup(redis);

  app.get(
    '/v1/campaigns/:id/users/:user',
    {
      schema: {
        tags,
        summary: 'What one user got',
        description:
          "The user's grants across the campaign's pools, and their grab's outcome in each pool where they have one.",
        params: z.object({ id: idSchema, user: userIdSchema }),
        response: { 200: userReply, 400: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const record = await ledger.getCampaign(request.params.id);
      if (!record) return notFound(reply, noCampaign(request.params.id));
      return lookup.userLookup(record, request.params.user);
    },
  );

  app.get(
    '/v1/campaigns/:id/pools/:pool/claims',
    {
      schema: {
        tags,
        summary: "A pool's claims in grant order",
        description: `A page of the pool's claims (at most ${MAX_CLAIMS_PAGE}) from the \`from\`-th, and the pool's luckiest grant.`,
        params: z.object({ id: idSchema, pool: idSchema }),
        querystring: z.object({
          from: coercedWholeNumber(0, Number.MAX_SAFE_INTEGER).default(0),
          limit: coercedWholeNumber(1, MAX_CLAIMS_PAGE).default(1000),
        }),
        response: { 200: claimsReply, 400: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const { id, pool: poolId } = request.params;
      const { from, limit } = request.query;
      const record = await ledger.getCampaign(id);
      if (!record) return notFound(reply, noCampaign(id));
      if (!record.spec.pools.some((p) => p.id === poolId))
        return notFound(reply, `campaign "${id}" has no pool "${poolId}"; GET /v1/campaigns/${id} lists them`);
      const pool = poolAddress(record, poolId);
      const [state, page] = await Promise.all([ledger.poolState(pool), firstPage(lookup.claims(pool, limit, from))]);
      return {
        campaign: id,
        pool: poolId,
        luckiest: state?.luckiest ?? null,
        claims: page,
        next: page.length === limit ? from + limit : null,
      };
    },
  );
};

async function firstPage<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const { value } = await pages.next();
  await pages.return(undefined);
  return value ?? [];
}
