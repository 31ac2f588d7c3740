import { z } from 'zod';
import { idSchema } from '../shared/campaign/spec.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { userIdSchema } from '../shared/queue/grab-job.js';

/** The longest `?wait=MS` a grab may ask for. */
export const MAX_WAIT_MS = 30_000;

export const campaignParams = z.object({ id: idSchema });

export const grabBody = z.strictObject(
  {
    user: userIdSchema,
    pool: idSchema.optional().describe("the pool to grab from; left out, the server's distribution picks one"),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; a grab has user and optionally pool`
        : issue.code === 'invalid_type'
          ? 'must be an object: {"user": "u1", "pool": "p1"} (pool optional)'
          : undefined,
  },
);

export const grabQuery = z.object({
  wait: coercedWholeNumber(0, MAX_WAIT_MS)
    .optional()
    .describe('wait up to this many milliseconds for the outcome: 200 with it, or 202 if it is still pending'),
});

/** Where a grab stands: a pool's outcomes (shared/ledger/outcome-log.ts), or pending. */
export const grabStatuses = ['granted', 'sold_out', 'duplicate', 'expired', 'failed', 'pending'] as const;

export const grabReply = z.object({
  id: z.string().describe('the grab id: campaign.instance.pool.user, the same however often it is posted'),
  campaign: z.string(),
  instance: z.number(),
  pool: z.string(),
  user: z.string(),
  outcome: z.enum(grabStatuses),
  cents: z.number().optional().describe('the packet, for granted and duplicate'),
  door: z.boolean().optional().describe('true when answered at the door: the pool was sold out, closed or expired'),
});

export type GrabReply = z.infer<typeof grabReply>;

export const errorReply = z.object({
  statusCode: z.number(),
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const outcomeCounts = z.looseObject({
  granted: z.number(),
  sold_out: z.number(),
  duplicate: z.number(),
  expired: z.number(),
  rejected: z.number(),
  failed: z.number(),
});

export const campaignReply = z.looseObject({
  id: z.string(),
  instance: z.number(),
  split: z.string(),
  lock: z.string().nullable(),
  createdAt: z.string(),
  grabs: z.looseObject({ enqueued: z.number(), pending: z.number(), finished: z.number(), outcomes: outcomeCounts }),
  pools: z.array(
    z.looseObject({
      pool: z.string(),
      totalCents: z.number().optional(),
      remainingCents: z.number().optional(),
      packets: z.number().optional(),
      remainingPackets: z.number().optional(),
    }),
  ),
});

export const createdReply = z.object({
  id: z.string(),
  expiresAt: z.string().nullable().describe('when the campaign expires, if it does'),
  instance: z.number(),
  pools: z.number(),
  packets: z.number(),
  totalCents: z.number(),
  split: z.string(),
});
