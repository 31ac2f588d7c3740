import type { RedisClient } from '../redis/connection.js';
import type { Settings } from '../config/settings.js';
import { idSchema } from '../campaign/spec.js';
import { CommandFailure } from './command-failure.js';
import { flag } from './flags.js';
import { GrabSlots } from '../ledger/grab-slots.js';
import { Ledger } from '../ledger/ledger.js';
import { poolAddresses, type CampaignRecord } from '../ledger/ledger-types.js';
import type { PoolAddress } from '../ledger/keys.js';
import { CampaignLifecycle } from '../ledger/lifecycle.js';
import { OutcomeLog } from '../ledger/outcome-log.js';
import { createRedis } from '../redis/connection.js';

export interface CommandServices {
  redis: RedisClient;
  ledger: Ledger;
  outcomes: OutcomeLog;
  slots: GrabSlots;
  lifecycle: CampaignLifecycle;
}

/** What an operator command works on: the services, the campaign, and the addresses of its pools. */
export interface CampaignServices extends CommandServices {
  record: CampaignRecord;
  pools: PoolAddress[];
}

/** The `--campaign <id>` flag of the commands that act on one campaign. */
export const campaignFlag = () => flag('--campaign <id>', 'the campaign', idSchema).makeOptionMandatory();

/** Opens what an operator command needs, runs it, and always closes the connections. */
export async function withServices<T>(settings: Settings, run: (services: CommandServices) => Promise<T>): Promise<T> {
  const redis = createRedis(settings, 'command');
  try {
    return await run({
      redis,
      ledger: new Ledger(redis),
      outcomes: new OutcomeLog(redis),
      slots: new GrabSlots(redis),
      lifecycle: new CampaignLifecycle(redis),
    });
  } finally {
    redis.disconnect();
  }
}

/** What an operator can do about a campaign whose creation was cut short. */
export const CUT_SHORT_HINT =
  'its creation was cut short: run the same grab campaign create again to finish it, or grab campaign delete to drop it';

/** The campaign, or a failure telling the operator where to look. */
export async function requireCampaign(ledger: Ledger, campaignId: string): Promise<CampaignRecord> {
  const record = await ledger.getCampaign(campaignId);
  if (record) return record;
  if (await ledger.pendingCreation(campaignId))
    throw new CommandFailure(`campaign "${campaignId}" is incomplete: ${CUT_SHORT_HINT}`);
  throw new CommandFailure(
    `no campaign "${campaignId}"; see grab campaign list, or create it with grab campaign create`,
  );
}

/**
 * The set-up of every command that acts on one campaign: the services, then the campaign (or a
 * failure), then its pools.
 */
export function withCampaign<T>(
  settings: Settings,
  campaignId: string,
  run: (services: CampaignServices) => Promise<T>,
): Promise<T> {
  return withServices(settings, async (services) => {
    const record = await requireCampaign(services.ledger, campaignId);
    return run({ ...services, record, pools: poolAddresses(record) });
  });
}
