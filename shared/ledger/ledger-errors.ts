/** A grab named a pool the ledger does not hold: a wrong id, or a campaign deleted meanwhile. */
export class UnknownPoolError extends Error {
  override readonly name = 'UnknownPoolError';
  constructor(
    readonly campaignId: string,
    readonly poolId: string,
  ) {
    super(`campaign "${campaignId}" has no pool "${poolId}"`);
  }
}
