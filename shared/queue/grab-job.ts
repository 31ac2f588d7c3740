import { z } from 'zod';
import { idSchema } from '../campaign/spec.js';

/** User ids may be all digits (they are never a job id on their own), but are otherwise ids. */
export const userIdSchema = z
  .string({ error: 'must be a user id string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"');

/** Slots fit a Redis string's 2^32 bits at 4 bits each. */
export const MAX_SLOT = 2 ** 30 - 1;

/** One user's attempt to open one pool's red packet, in one instance (creation) of a campaign. */
export const grabJobSchema = z.strictObject({
  campaign: idSchema,
  instance: z.number({ error: 'must be the campaign instance number' }).int().positive(),
  pool: idSchema,
  user: userIdSchema,
  /**
   * The grab's place among its pool's grabs in the producer's user source: where its outcome is
   * kept (see shared/ledger/keys.ts, outcomeSlotsKey). Absent for grabs handed in over HTTP.
   */
  slot: z.number({ error: 'must be the grab slot number' }).int().nonnegative().max(MAX_SLOT).optional(),
});

export type GrabJob = z.output<typeof grabJobSchema>;

/**
 * Deterministic, so enqueuing the same grab twice is a no-op while the job exists, and its
 * outcome is recorded under the same id however often it is delivered. The instance keeps a
 * re-created campaign's grabs apart from the finished jobs of its predecessor. BullMQ forbids
 * ':' and all-digit ids; ids never contain '.', so the parts cannot run together, and a slot
 * is a fifth part (the Lua scripts read it back from the id: includes/outcome-store.lua).
 */
export const grabJobId = (job: GrabJob): string => {
  const id = `${job.campaign}.${job.instance}.${job.pool}.${job.user}`;
  return job.slot === undefined ? id : `${id}.${job.slot}`;
};

/** The pool, user and slot a campaign instance's job id names; undefined for any other id. */
export function parseGrabJobId(
  campaign: string,
  instance: number,
  jobId: string,
): { pool: string; user: string; slot?: number } | undefined {
  const prefix = campaignJobIdPrefix(campaign, instance);
  if (!jobId.startsWith(prefix)) return undefined;
  const [pool, user, slot, ...rest] = jobId.slice(prefix.length).split('.');
  if (!pool || !user || rest.length > 0) return undefined;
  if (slot === undefined) return { pool, user };
  const named = slotOfJobId(jobId);
  return named === undefined ? undefined : { pool, user, slot: named };
}

/**
 * The slot a job id names, if it has one: the fifth of five non-empty parts, written as
 * grabJobId writes a slot (digits, no leading zero, at most MAX_SLOT). Any other id names none,
 * so its outcome is kept under the id itself. The Lua scripts read ids the same way (grabSlot,
 * shared/ledger/lua/includes/outcome-store.lua); test/integration/job-id-slot.test.ts holds both
 * to the same cases.
 */
export const slotOfJobId = (jobId: string): number | undefined => {
  const parts = jobId.split('.');
  if (parts.length !== 5 || parts.includes('')) return undefined;
  const slot = parts[4]!;
  return /^(0|[1-9]\d*)$/.test(slot) && Number(slot) <= MAX_SLOT ? Number(slot) : undefined;
};

/** The job id prefix shared by every grab of one campaign instance. */
export const campaignJobIdPrefix = (campaign: string, instance: number): string => `${campaign}.${instance}.`;

/** What a processed grab returns; kept small, since BullMQ stores it with the job. */
export type GrabResult = { outcome: 'granted' | 'duplicate'; cents: number } | { outcome: 'sold_out' | 'expired' };
