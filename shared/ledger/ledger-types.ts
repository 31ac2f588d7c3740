import type { CampaignSpec, SplitName } from '../campaign/spec.js';
import type { Grant } from './grant.js';
import { stripeOf, type CampaignAddress, type PoolAddress } from './keys.js';
import type { OutcomeCounts } from './outcome-log.js';

/** What the ledger holds and answers, as the façade (ledger.ts) types it. */

/** Where a campaign (or one pool) is in its life: only open pools grant; closed and expired are final. */
export const campaignStates = ['open', 'paused', 'closed', 'expired'] as const;
export type CampaignState = (typeof campaignStates)[number];

/** One creation of a campaign, as the ledger holds it. */
export interface CampaignRecord extends CampaignAddress {
  spec: CampaignSpec;
  createdAtMs: number;
  stripes: number;
  /** The lock family whose workers settle its grabs, once one has started to. */
  lock: string | undefined;
  /** The state last recorded (an expiry that has passed is recorded by the first sweep after it). */
  state: CampaignState;
  /** When the state was recorded: for a closed campaign, the close; for an expired one, its expiry. */
  stateAtMs: number | undefined;
  /** When it expires by itself, on the Redis server's clock; undefined for never. */
  expiresAtMs: number | undefined;
}

/** Where each pool of a campaign instance lives. */
export const poolAddresses = (record: CampaignRecord): PoolAddress[] =>
  record.spec.pools.map((p) => poolAddress(record, p.id));

export const poolAddress = (
  record: Pick<CampaignRecord, 'campaignId' | 'instance' | 'stripes'>,
  poolId: string,
): PoolAddress => ({
  campaignId: record.campaignId,
  instance: record.instance,
  poolId,
  stripe: stripeOf(poolId, record.stripes),
});

/** `other`: a creation of the id with another spec was cut short; `key` is its pending record. */
export type CreateCampaignResult = { status: 'created' } | { status: 'exists' | 'other'; key: string };

export interface PoolState {
  totalCents: number;
  packets: number;
  remainingCents: number;
  remainingPackets: number;
  version: number;
  token: bigint;
  split: SplitName;
  /** Grabs of the pool with each outcome, and pending. */
  outcomes: OutcomeCounts;
  pending: number;
  state: CampaignState;
  expiresAtMs: number | undefined;
  /** The instant after which it granted nothing: its close, or its expiry; undefined while it is not closed. */
  closedAtMs: number | undefined;
  /** What went back to the campaign's owner at the close or expiry (0 before). */
  refundedCents: number;
  refundedPackets: number;
  refundedAtMs: number | undefined;
  /** The largest grant so far, the earliest of equal ones (手气最佳); undefined before the first grant. */
  luckiest: Luckiest | undefined;
}

export interface Luckiest {
  user: string;
  cents: number;
}

/** What a lock holder reads before computing grants: the balance, its version, and who already holds a grant. */
export interface PoolRead {
  remainingCents: number;
  remainingPackets: number;
  version: number;
  token: bigint;
  /** Closed, or past its expiry on the Redis server's clock: it grants nothing more. */
  closed: boolean;
  /** The existing grant of each user asked about who has one. */
  grants: Map<string, Grant>;
}

export interface GrantRequest {
  user: string;
  cents: number;
  jobId: string;
}

export type CommitResult =
  | { status: 'ok'; version: number }
  /** A holder with a higher token has committed: this holder has lost its lock. */
  | { status: 'fenced'; storedToken: bigint }
  /** The pool changed since it was read: read again and recompute. */
  | { status: 'stale'; storedVersion: number }
  /** `user` already holds `grant`, which the grants were computed without: read again and recompute. */
  | { status: 'held'; user: string; grant: Grant }
  /** The pool is closed, or past its expiry: nothing may be granted any more. */
  | { status: 'expired' }
  /** The pool is paused: the grabs wait for the resume. */
  | { status: 'paused' };

export type AtomicGrabResult =
  | { outcome: 'granted' | 'duplicate'; grant: Grant }
  | { outcome: 'sold_out' | 'expired' }
  /** Nothing written: the grab waits for the resume. */
  | { outcome: 'paused' };

/** A grab for admission: the user, and the job id its outcome is recorded under. */
export interface AdmissionGrab {
  user: string;
  jobId: string;
}

/** How admission settled one grab; cents of the grant a user holds. */
export type AdmittedGrab = { outcome: 'granted' | 'duplicate'; cents: number } | { outcome: 'sold_out' | 'expired' };

export type Admission =
  /** Open with packets left: nothing was written; the grabs take the lock path. */
  | { decision: 'proceed' }
  /** Paused: nothing was written; the grabs wait for the resume. */
  | { decision: 'wait' }
  /** Closed or expired (`why: 'expired'`) or sold out: each grab settled and recorded, in order. */
  | {
      decision: 'settled';
      why: 'expired' | 'sold_out';
      /** Grabs marked pending here for the first time (with `enqueue: true`; else 0). */
      added: number;
      results: AdmittedGrab[];
    };

export type ScannedGrant = Grant & { user: string };

export interface GrantTotals {
  /** Users holding a grant. */
  grants: number;
  grantedCents: number;
  /** Users whose grant is below 1 cent, which no split may hand out. */
  belowOneCent: string[];
}
