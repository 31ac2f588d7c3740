import type { RedisClient } from '../redis/connection.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import { campaignKey, poolKey, slotBlocksKey, sourcesKey, type CampaignAddress, type PoolAddress } from './keys.js';
import { UnknownPoolError } from './ledger-errors.js';

/** Slots a block holds: a source's last, partly used block in a pool wastes at most this many half-bytes. */
export const SLOT_BLOCK = 256;

const scriptNames = ['claimSource', 'claimSlotBlocks'] as const;

/**
 * Where each produced grab's outcome is kept: a slot of its pool's outcome slots (4 bits each).
 * A grab is the n-th grab of its pool in a user source, so the same source (or a longer one,
 * users appended) gives it the same n on every run. Sources are numbered per campaign instance,
 * and each pool hands out its slots in blocks of SLOT_BLOCK, a block to each (source, n /
 * SLOT_BLOCK) the first time it is asked: slots stay dense however many sources a campaign has.
 */
export class GrabSlots {
  private readonly scripts;

  constructor(redis: RedisClient) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), scriptNames);
  }

  /** The number of a user source, by its name; the same name always gets the same number. */
  async source(campaign: CampaignAddress, name: string): Promise<number> {
    const number = await this.scripts.claimSource(
      [campaignKey(campaign.campaignId), sourcesKey(campaign)],
      [campaign.instance, name],
    );
    if (number === null) throw new UnknownPoolError(campaign.campaignId, '(any)');
    return Number(number);
  }

  /** The pool blocks of a source's blocks in one pool, in one step. */
  async blocks(pool: PoolAddress, source: number, sourceBlocks: readonly number[]): Promise<number[]> {
    const reply = (await this.scripts.claimSlotBlocks(
      [poolKey(pool), slotBlocksKey(pool)],
      sourceBlocks.map((b) => `${source}:${b}`),
    )) as number[] | null;
    if (reply === null) throw new UnknownPoolError(pool.campaignId, pool.poolId);
    return reply.map(Number);
  }
}
