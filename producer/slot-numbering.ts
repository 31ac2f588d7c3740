import { SLOT_BLOCK, type GrabSlots } from '../shared/ledger/grab-slots.js';
import { poolAddress, type CampaignRecord } from '../shared/ledger/ledger-types.js';

/** A grab of one source, before its slot is known: its pool (an index) and its place among that pool's grabs. */
export interface NumberedGrab {
  pool: number;
  position: number;
}

/**
 * Numbers a user source's grabs in each pool in source order, and turns those numbers into
 * slots of the pool's outcome slots (see shared/ledger/grab-slots.ts). Remembers the blocks it
 * was given: one number per SLOT_BLOCK grabs.
 */
export class SlotNumbering {
  private readonly counts: number[];
  private readonly blocks: number[][];

  constructor(
    private readonly slots: GrabSlots,
    private readonly campaign: CampaignRecord,
    private readonly source: number,
  ) {
    this.counts = campaign.spec.pools.map(() => 0);
    this.blocks = campaign.spec.pools.map(() => []);
  }

  next(pool: number): NumberedGrab {
    return { pool, position: this.counts[pool]!++ };
  }

  /** The slots of these grabs: one step per pool that needs blocks not given yet, sent together. */
  async slotsOf(grabs: readonly NumberedGrab[]): Promise<number[]> {
    const missing = new Map<number, Set<number>>();
    for (const { pool, position } of grabs) {
      const block = Math.floor(position / SLOT_BLOCK);
      if (this.blocks[pool]![block] === undefined) missing.set(pool, (missing.get(pool) ?? new Set()).add(block));
    }
    await Promise.all(
      [...missing].map(async ([pool, wanted]) => {
        const sourceBlocks = [...wanted];
        const given = await this.slots.blocks(
          poolAddress(this.campaign, this.campaign.spec.pools[pool]!.id),
          this.source,
          sourceBlocks,
        );
        sourceBlocks.forEach((block, i) => {
          this.blocks[pool]![block] = given[i]!;
        });
      }),
    );
    return grabs.map(
      ({ pool, position }) =>
        this.blocks[pool]![Math.floor(position / SLOT_BLOCK)]! * SLOT_BLOCK + (position % SLOT_BLOCK),
    );
  }
}
