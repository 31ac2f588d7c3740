import type { Ledger } from '../shared/ledger/ledger.js';
import type { PoolRef } from './grab-request.js';

const MISS_TTL_MS = 1000;

/**
 * The pools of each campaign, read from the ledger once and kept. A miss is remembered briefly,
 * so a flood of grabs for an unknown campaign costs one lookup a second, not one per grab.
 */
export class CampaignDirectory {
  private readonly campaigns = new Map<string, Map<string, PoolRef>>();
  private readonly misses = new Map<string, number>();

  constructor(private readonly ledger: Ledger) {}

  async pool(campaignId: string, poolId: string): Promise<PoolRef | undefined> {
    const known = this.campaigns.get(campaignId);
    if (known) return known.get(poolId);
    const missedAt = this.misses.get(campaignId);
    if (missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) return undefined;
    const record = await this.ledger.getCampaign(campaignId);
    if (!record) {
      this.misses.set(campaignId, Date.now());
      return undefined;
    }
    const pools = new Map(record.spec.pools.map((p) => [p.id, { campaignId, poolId: p.id, split: record.spec.split }]));
    this.campaigns.set(campaignId, pools);
    this.misses.delete(campaignId);
    return pools.get(poolId);
  }
}
