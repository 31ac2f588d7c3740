import type { Redis } from 'ioredis';
import { campaignKey } from './keys.js';

const FIELD = 'grabs_planned';

/**
 * How many distinct grabs the producer has enqueued for a campaign: what `grab wait` and
 * `grab report` expect to see an outcome for. Users are a stable sequence, so a re-run with the
 * same or more users only ever raises it.
 */
export async function raisePlannedGrabs(redis: Redis, campaignId: string, grabs: number): Promise<void> {
  const current = Number((await redis.hget(campaignKey(campaignId), FIELD)) ?? 0);
  if (grabs > current) await redis.hset(campaignKey(campaignId), FIELD, grabs);
}

export async function plannedGrabs(redis: Redis, campaignId: string): Promise<number> {
  return Number((await redis.hget(campaignKey(campaignId), FIELD)) ?? 0);
}
