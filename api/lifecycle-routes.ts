import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CampaignFinishedError,
  changeCampaign,
  lifecycleActions,
  UnknownCampaignError,
  type LifecycleAction,
} from '../shared/ledger/campaign-lifecycle.js';
import { CampaignLifecycle } from '../shared/ledger/lifecycle.js';
import type { ApiServices } from './api-services.js';
import { noCampaign } from './campaign-routes.js';
import { notFound } from './errors.js';
import { campaignParams, errorReply } from './schemas.js';

const refund = z.object({ pool: z.string(), cents: z.number(), packets: z.number(), at: z.string() });

const lifecycleReply = z.object({
  campaign: z.string(),
  instance: z.number(),
  action: z.enum(Object.keys(lifecycleActions) as [LifecycleAction, ...LifecycleAction[]]),
  state: z.string().describe('the state now: open, paused, closed or expired'),
  at: z.string().nullable().describe('when that state began'),
  changed: z.boolean().describe('false if the campaign was in that state already'),
  refunds: z.array(refund).describe("the refunds this call made: each pool's remainder at a close"),
});

const described: Record<LifecycleAction, { summary: string; description: string }> = {
  close: {
    summary: 'Close a campaign',
    description:
      "No grant lands after the close instant; each pool's remaining cents and packets are refunded once. Closing a closed or expired campaign changes nothing (changed: false).",
  },
  pause: {
    summary: 'Pause a campaign',
    description: 'Its grabs wait, without spending attempts, until it is resumed. 409 if it is closed or expired.',
  },
  resume: {
    summary: 'Resume a paused campaign',
    description: 'The grabs that waited settle. 409 if it is closed or expired.',
  },
};

const iso = (atMs: number | undefined) => (atMs === undefined ? null : new Date(atMs).toISOString());

/** Close, pause and resume: the operator's `grab campaign close|pause|resume`, over HTTP. */
export const lifecycleRoutes: FastifyPluginAsyncZod<ApiServices> = async (app, { redis, ledger, campaigns }) => {
  const lifecycle = new CampaignLifecycle(redis);
  for (const action of Object.keys(lifecycleActions) as LifecycleAction[]) {
    app.post(
      `/v1/campaigns/:id/${action}`,
      {
        schema: {
          tags: ['campaigns'],
          ...described[action],
          security: [{ bearer: [] }],
          params: campaignParams,
          response: { 200: lifecycleReply, 400: errorReply, 401: errorReply, 404: errorReply, 409: errorReply },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        try {
          const result = await changeCampaign({ ledger, lifecycle }, id, action);
          campaigns.forget(id);
          return {
            campaign: result.campaign,
            instance: result.instance,
            action: result.action,
            state: result.state,
            at: iso(result.atMs),
            changed: result.changed,
            refunds: result.refunds.map((r) => ({
              pool: r.pool,
              cents: r.cents,
              packets: r.packets,
              at: iso(r.atMs)!,
            })),
          };
        } catch (err) {
          if (err instanceof UnknownCampaignError) return notFound(reply, noCampaign(id));
          if (err instanceof CampaignFinishedError)
            return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: err.message });
          throw err;
        }
      },
    );
  }
};
