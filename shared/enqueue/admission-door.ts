import type { Ledger } from '../ledger/ledger.js';
import { poolAddress, type AdmissionGrab, type AdmittedGrab, type CampaignRecord } from '../ledger/ledger-types.js';

/** Grabs a pool settled at the door, never enqueued. */
export interface SettledAtDoor {
  /** Each grab's outcome, in the order given. */
  results: AdmittedGrab[];
  /** How many were new to the campaign (the rest had been enqueued or settled before). */
  added: number;
}

/**
 * The door in front of the queue, as WeChat turns grabs away at the cache once a packet's count
 * reaches 0: before grabs are enqueued, their pool's admission step settles them if the pool is
 * sold out, closed or expired. They are marked pending and settled in one atomic step, and never
 * reach the queue. A pool found open (or paused) is not asked again for `openForMs`: its grabs
 * go to the queue, and should it sell out or close meanwhile, the worker's own admission settles
 * them there. A settled pool stays settled, so it is asked every time: that ask is the work.
 */
export class AdmissionDoor {
  /** Pools found open, until when they are not asked again. */
  private readonly openUntil = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly openForMs: number,
  ) {}

  /** The pool's answer for these grabs, or undefined if they go to the queue. */
  async settle(
    campaign: CampaignRecord,
    poolId: string,
    grabs: readonly AdmissionGrab[],
  ): Promise<SettledAtDoor | undefined> {
    const key = `${campaign.campaignId}.${campaign.instance}.${poolId}`;
    const now = performance.now();
    if ((this.openUntil.get(key) ?? 0) > now) return undefined;
    const admission = await this.ledger.admit(poolAddress(campaign, poolId), grabs, { enqueue: true });
    if (admission.decision !== 'settled') {
      this.openUntil.set(key, now + this.openForMs);
      return undefined;
    }
    this.openUntil.delete(key);
    return { results: admission.results, added: admission.added };
  }
}
