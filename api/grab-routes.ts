import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { poolAddress } from '../shared/ledger/ledger-types.js';
import { grabJobId, type GrabJob } from '../shared/queue/grab-job.js';
import type { ApiServices } from './api-services.js';
import { noCampaign } from './campaign-routes.js';
import { notFound } from './errors.js';
import { campaignParams, errorReply, grabBody, grabQuery, grabReply, MAX_WAIT_MS, type GrabReply } from './schemas.js';

const POOLS_NAMED = 10;

/** One user's grab: enqueued in bulk with the other requests of the moment, optionally waited for. */
export const grabRoutes: FastifyPluginAsyncZod<ApiServices> = async (
  app,
  { ledger, campaigns, intake, watch, handlers },
) => {
  app.post(
    '/v1/campaigns/:id/grabs',
    {
      schema: {
        tags: ['grabs'],
        summary: 'Grab a red packet',
        description: `Enqueues the user's grab of a pool (left out: the server's distribution picks one, the same for a user every time) and answers 202 with its id, campaign.instance.pool.user: posting it again gives the same id and counts once. With ?wait=MS (at most ${MAX_WAIT_MS}) it answers 200 with the outcome once the grab settles within that time, or 202 if it has not. A grab for a sold-out, closed or expired pool is answered at once (200, door: true) without being enqueued, and still counted as enqueued and settled.`,
        security: [{ bearer: [] }],
        params: campaignParams,
        querystring: grabQuery,
        body: grabBody,
        response: { 200: grabReply, 202: grabReply, 400: errorReply, 401: errorReply, 404: errorReply },
      },
      // The hot route: its answers are built here, so the schemas above document them and plain
      // JSON.stringify writes them (checking each against its zod schema costs a tenth of the CPU).
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    (request, reply) =>
      handlers.run(async () => {
        const { id } = request.params;
        const { user } = request.body;
        const campaign = await campaigns.get(id);
        if (!campaign) return notFound(reply, noCampaign(id));
        const pool = request.body.pool ?? campaign.poolFor(user);
        if (!campaign.hasPool(pool)) {
          const pools = campaign.record.spec.pools.slice(0, POOLS_NAMED).map((p) => p.id);
          const more = campaign.record.spec.pools.length > POOLS_NAMED ? ', …' : '';
          return notFound(reply, `campaign "${id}" has no pool "${pool}"; its pools are ${pools.join(', ')}${more}`);
        }
        const data: GrabJob = { campaign: id, instance: campaign.record.instance, pool, user };
        const answer: GrabReply = { id: grabJobId(data), ...data, outcome: 'pending' };
        const intook = await intake.submit(campaign.record, data);
        if (intook.status === 'settled') {
          const { result } = intook;
          return reply.code(200).send({ ...answer, ...result, door: true });
        }
        const waitMs = request.query.wait ?? 0;
        if (waitMs === 0) return reply.code(202).send(answer);
        const address = poolAddress(campaign.record, pool);
        const outcome = await watch.wait(address, answer.id, waitMs);
        if (outcome === undefined) return reply.code(202).send(answer);
        const grant =
          outcome === 'granted' || outcome === 'duplicate' ? await ledger.grantOf(address, user) : undefined;
        return reply.code(200).send({ ...answer, outcome, ...(grant ? { cents: grant.cents } : {}) });
      }),
  );
};
