import type { Ledger } from '../shared/ledger/ledger.js';
import type { CampaignRecord } from '../shared/ledger/ledger-types.js';
import { poolChooser, type DistributionName } from '../shared/enqueue/distribution.js';

/** A campaign as a grab needs it: its record, whether a pool is its own, and whose pool a user picks. */
export interface CampaignEntry {
  record: CampaignRecord;
  hasPool(poolId: string): boolean;
  /** The pool the distribution picks for the user, deterministically. */
  poolFor(user: string): string;
}

function entryOf(record: CampaignRecord, distribution: DistributionName): CampaignEntry {
  const ids = record.spec.pools.map((p) => p.id);
  const known = new Set(ids);
  const choose = poolChooser(distribution, ids.length);
  return { record, hasPool: (poolId) => known.has(poolId), poolFor: (user) => ids[choose(user)]! };
}

/**
 * Campaign records as grabs need them, read at most once per `maxAgeMs` per campaign: a grab
 * route under load would otherwise read and parse the spec for every request. A campaign
 * deleted and re-created within that time gets grabs addressed to its old instance for as
 * long, which the workers drop as they drop any grab of a deleted instance.
 */
export class CampaignCache {
  private readonly entries = new Map<string, { at: number; record: Promise<CampaignEntry | undefined> }>();

  constructor(
    private readonly ledger: Ledger,
    private readonly distribution: DistributionName,
    private readonly maxAgeMs = 1000,
  ) {}

  get(campaignId: string): Promise<CampaignEntry | undefined> {
    const now = performance.now();
    const entry = this.entries.get(campaignId);
    if (entry && now - entry.at < this.maxAgeMs) return entry.record;
    const record = this.ledger
      .getCampaign(campaignId)
      .then((found) => (found ? entryOf(found, this.distribution) : undefined));
    this.entries.set(campaignId, { at: now, record });
    // A failed read is not kept; neither is a campaign that is not there, so a new one is seen at once.
    record.then(
      (found) => {
        if (!found) this.entries.delete(campaignId);
      },
      () => this.entries.delete(campaignId),
    );
    return record;
  }

  /** Forgets a campaign, so the next read sees what the ledger holds now (after a create or a delete). */
  forget(campaignId: string): void {
    this.entries.delete(campaignId);
  }
}
