import { z } from 'zod';
import { idSchema } from '../campaign/spec.js';

/** User ids may be all digits (they are never a job id on their own), but are otherwise ids. */
export const userIdSchema = z
  .string({ error: 'must be a user id string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"');

/** One user's attempt to open one pool's red packet, in one instance (creation) of a campaign. */
export const grabJobSchema = z.strictObject({
  campaign: idSchema,
  instance: z.number({ error: 'must be the campaign instance number' }).int().positive(),
  pool: idSchema,
  user: userIdSchema,
});

export type GrabJob = z.output<typeof grabJobSchema>;

/**
 * Deterministic, so enqueuing the same grab twice is a no-op while the job exists, and its
 * outcome is recorded under the same id however often it is delivered. The instance keeps a
 * re-created campaign's grabs apart from the finished jobs of its predecessor. BullMQ forbids
 * ':' and all-digit ids; ids never contain '.', so the parts cannot run together.
 */
export const grabJobId = (job: GrabJob): string => `${job.campaign}.${job.instance}.${job.pool}.${job.user}`;

/** The job id prefix shared by every grab of one campaign instance. */
export const campaignJobIdPrefix = (campaign: string, instance: number): string => `${campaign}.${instance}.`;

/** What a processed grab returns; kept small, since BullMQ stores it with the job. */
export type GrabResult = { outcome: 'granted' | 'duplicate'; cents: number } | { outcome: 'sold_out' | 'expired' };
