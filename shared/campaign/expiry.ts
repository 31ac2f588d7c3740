import { z } from 'zod';

/**
 * When a campaign stops granting by itself: an instant, or a duration from its creation (turned
 * into an instant by the ledger, on the Redis server's clock, when the campaign is created).
 */
export type Expiry = { atMs: number } | { inMs: number };

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MIN_MS = 1000;
const MAX_MS = 366 * UNIT_MS.d;
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const DURATION_RULE = 'must be a duration such as 30s, 90m, 24h or 1h30m (units ms, s, m, h, d), from 1s to 366d';

/** A duration such as `24h`, `90m`, `30s` or `1h30m`, in milliseconds. */
export const durationSchema = z
  .string({ error: DURATION_RULE })
  .regex(DURATION, DURATION_RULE)
  .transform((text) => {
    let ms = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g))
      ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    return ms;
  })
  .refine((ms) => ms >= MIN_MS && ms <= MAX_MS, DURATION_RULE);

const INSTANT_RULE = 'must be an ISO 8601 time with a time zone, e.g. "2026-02-17T00:00:00Z", in the future';

/** An ISO 8601 instant with its time zone, in the future when it is read. */
export const instantSchema = z
  .string({ error: INSTANT_RULE })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, INSTANT_RULE)
  .transform((text) => Date.parse(text))
  .refine((ms) => Number.isFinite(ms), INSTANT_RULE)
  .refine((ms) => ms > Date.now(), `${INSTANT_RULE}: this time has passed`);

/** The expiry a spec asks for, from at most one of its two ways; undefined for none. */
export function expiryOf(
  input: { expiresAt?: number | undefined; expiresIn?: number | undefined },
  ctx: z.RefinementCtx,
  names: { at: string; in: string },
): Expiry | undefined | typeof z.NEVER {
  if (input.expiresAt !== undefined && input.expiresIn !== undefined) {
    ctx.addIssue({ code: 'custom', message: `give either ${names.at} or ${names.in}, not both` });
    return z.NEVER;
  }
  if (input.expiresAt !== undefined) return { atMs: input.expiresAt };
  if (input.expiresIn !== undefined) return { inMs: input.expiresIn };
  return undefined;
}
