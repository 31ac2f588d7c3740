import type { Ledger } from '../shared/ledger/ledger.js';
import { poolAddress, type CampaignRecord } from '../shared/ledger/ledger-types.js';
import type { PoolRef } from './grab-request.js';

const MISS_TTL_MS = 1000;

/** Where a grab of a campaign instance goes. */
export type PoolLookup =
  | { status: 'ok'; pool: PoolRef }
  /** The instance is current but has no such pool: the grab is rejected. */
  | { status: 'unknown_pool' }
  /** The instance was deleted (and perhaps re-created as a newer one): the grab is dropped. */
  | { status: 'gone' }
  /** Workers of another lock family settle this campaign: this worker must not commit to it. */
  | { status: 'wrong_lock'; family: string };

interface KnownCampaign {
  record: CampaignRecord;
  pools: Map<string, PoolRef>;
  /** The lock family recorded for the instance, once this worker has claimed or read it. */
  lock: string;
}

/**
 * The current instance of each campaign, read from the ledger once and kept. A grab naming a
 * newer instance than the one kept makes it read again, so a re-created campaign is noticed at
 * its first grab; a grab of an older instance belongs to a deleted campaign. A miss is remembered
 * briefly, so a flood of grabs for an unknown campaign costs one lookup a second.
 */
export class CampaignDirectory {
  private readonly campaigns = new Map<string, KnownCampaign>();
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    /** The lock family this worker commits under (see strategies.ts). */
    private readonly lockFamily: string,
  ) {}

  async lookup(campaignId: string, instance: number, poolId: string): Promise<PoolLookup> {
    let known = this.campaigns.get(campaignId);
    if (!known || known.record.instance < instance) known = await this.load(campaignId);
    if (!known || known.record.instance !== instance) return { status: 'gone' };
    if (known.lock !== this.lockFamily) return { status: 'wrong_lock', family: known.lock };
    const pool = known.pools.get(poolId);
    return pool ? { status: 'ok', pool } : { status: 'unknown_pool' };
  }

  /** The current instance as last read, reading it if it is not kept. */
  async current(campaignId: string): Promise<CampaignRecord | undefined> {
    return (this.campaigns.get(campaignId) ?? (await this.load(campaignId)))?.record;
  }

  /** Forgets a campaign whose instance the ledger no longer holds, so the next grab reads again. */
  forget(campaignId: string): void {
    this.campaigns.delete(campaignId);
  }

  private async load(campaignId: string): Promise<KnownCampaign | undefined> {
    const missedAt = this.misses.get(campaignId);
    if (missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) return undefined;
    const record = await this.ledger.getCampaign(campaignId);
    const lock = record && (await this.ledger.claimLockFamily(record, this.lockFamily));
    if (!record || !lock) {
      this.campaigns.delete(campaignId);
      this.misses.set(campaignId, Date.now());
      return undefined;
    }
    const pools = new Map(
      record.spec.pools.map((p) => [p.id, { ...poolAddress(record, p.id), split: record.spec.split }]),
    );
    const known = { record, pools, lock };
    this.campaigns.set(campaignId, known);
    this.misses.delete(campaignId);
    return known;
  }
}
