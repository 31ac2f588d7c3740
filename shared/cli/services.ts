import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import { CommandFailure } from './command-failure.js';
import { Ledger, type CampaignRecord } from '../ledger/ledger.js';
import { OutcomeLog } from '../ledger/outcome-log.js';
import { createRedis } from '../redis/connection.js';

export interface CommandServices {
  redis: Redis;
  ledger: Ledger;
  outcomes: OutcomeLog;
}

/** Opens what an operator command needs, runs it, and always closes the connections. */
export async function withServices<T>(settings: Settings, run: (services: CommandServices) => Promise<T>): Promise<T> {
  const redis = createRedis(settings.redisUrl, 'command');
  try {
    return await run({ redis, ledger: new Ledger(redis), outcomes: new OutcomeLog(redis) });
  } finally {
    redis.disconnect();
  }
}

/** The campaign, or a failure telling the operator where to look. */
export async function requireCampaign(ledger: Ledger, campaignId: string): Promise<CampaignRecord> {
  const record = await ledger.getCampaign(campaignId);
  if (!record) throw new CommandFailure(`no campaign "${campaignId}"; see grab campaign list, or create it with grab campaign create`);
  return record;
}
