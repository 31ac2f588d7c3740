import type { PoolAddress } from '../shared/ledger/keys.js';
import type { SplitName } from '../shared/campaign/spec.js';
import type { GrabResult } from '../shared/queue/grab-job.js';

/** A validated grab waiting for its pool's turn, with the job id its outcome is recorded under. */
export interface GrabRequest {
  user: string;
  jobId: string;
}

/** A pool of one campaign instance, with the split its packets are cut by. */
export interface PoolRef extends PoolAddress {
  split: SplitName;
}

/** Settles the grabs of one pool, in order, returning one result per grab. */
export type Deduction = (pool: PoolRef, grabs: readonly GrabRequest[]) => Promise<GrabResult[]>;
