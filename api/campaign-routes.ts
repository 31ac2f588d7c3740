import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { campaignSchema } from '../shared/campaign/spec.js';
import { campaignView } from '../shared/ledger/campaign-view.js';
import { redisNowMs } from '../shared/ledger/lifecycle.js';
import type { ApiServices } from './api-services.js';
import { notFound } from './errors.js';
import { campaignParams, campaignReply, createdReply, errorReply } from './schemas.js';

const tags = ['campaigns'];

export const noCampaign = (id: string) =>
  `no campaign "${id}"; list them with grab campaign list, or create it with POST /v1/campaigns`;

/** Create a campaign from the spec `grab campaign create --file` reads; show one. */
export const campaignRoutes: FastifyPluginAsyncZod<ApiServices> = async (
  app,
  { redis, ledger, outcomes, campaigns },
) => {
  app.post(
    '/v1/campaigns',
    {
      schema: {
        tags,
        summary: 'Create a campaign',
        description:
          'The body is the spec `grab campaign create --file` reads: id, pools (id, packets, amount in currency units or amountCents), split, and expiresAt (ISO time) or expiresIn (e.g. "24h"). An existing id (or one whose creation with another spec was cut short) is refused with 409 and nothing changes; sending the spec of a creation cut short finishes it.',
        security: [{ bearer: [] }],
        body: campaignSchema,
        response: { 201: createdReply, 400: errorReply, 401: errorReply, 409: errorReply },
      },
    },
    async (request, reply) => {
      const spec = request.body;
      const created = await ledger.createCampaign(spec);
      if (created.status !== 'created')
        return reply.code(409).send({
          statusCode: 409,
          error: 'Conflict',
          message:
            created.status === 'exists'
              ? `campaign "${spec.id}" already exists; nothing was changed. Delete it first (grab campaign delete) or pick another id.`
              : `a creation of campaign "${spec.id}" with another spec was cut short; nothing was changed. Send that spec again to finish it, or delete it (grab campaign delete).`,
        });
      campaigns.forget(spec.id);
      const record = await ledger.getCampaign(spec.id);
      return reply.code(201).send({
        id: spec.id,
        instance: record?.instance ?? 0,
        pools: spec.pools.length,
        packets: spec.pools.reduce((sum, p) => sum + p.packets, 0),
        totalCents: spec.pools.reduce((sum, p) => sum + p.amountCents, 0),
        split: spec.split,
        expiresAt: record?.expiresAtMs === undefined ? null : new Date(record.expiresAtMs).toISOString(),
      });
    },
  );

  app.get(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        summary: 'Show a campaign',
        description:
          "What `grab campaign show` prints: the instance, state, expiry, lock family, grab counts by outcome and every pool's balance, state and refund.",
        params: campaignParams,
        response: { 200: campaignReply, 400: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const record = await ledger.getCampaign(request.params.id);
      if (!record) return notFound(reply, noCampaign(request.params.id));
      return campaignView(ledger, outcomes, record, await redisNowMs(redis));
    },
  );
};
