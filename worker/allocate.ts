import type { Grant } from '../shared/ledger/grant.js';
import type { GrantRequest, PoolRead } from '../shared/ledger/ledger-types.js';
import type { Rng } from '../shared/ledger/prng.js';
import type { SplitName } from '../shared/campaign/spec.js';
import { nextPacketCents } from '../shared/ledger/split.js';
import type { GrabResult } from '../shared/queue/grab-job.js';
import type { GrabRequest } from './grab-request.js';

export interface Allocation {
  /** One per grab, in order; a new grant's cents are final only once its commit succeeds. */
  results: GrabResult[];
  grants: GrantRequest[];
}

/** A grant the user already holds: its own job's is replayed as granted, anyone else's is a duplicate. */
export const existingGrantResult = (grant: Pick<Grant, 'cents' | 'jobId'>, jobId: string): GrabResult => ({
  outcome: grant.jobId === jobId ? 'granted' : 'duplicate',
  cents: grant.cents,
});

/**
 * The article's "compute" step, done while holding the lock: hands out packets in order from
 * the balance as read. Users who already hold a grant get it back and take no packet; in a
 * closed or expired pool the others get nothing.
 */
export function allocate(read: PoolRead, split: SplitName, grabs: readonly GrabRequest[], rng: Rng): Allocation {
  let cents = read.remainingCents;
  let packets = read.remainingPackets;
  const results: GrabResult[] = [];
  const grants: GrantRequest[] = [];
  const grantedInBatch = new Map<string, GrantRequest>();
  for (const grab of grabs) {
    const existing = read.grants.get(grab.user) ?? grantedInBatch.get(grab.user);
    if (existing) {
      results.push(existingGrantResult(existing, grab.jobId));
    } else if (read.closed) {
      results.push({ outcome: 'expired' });
    } else if (packets === 0) {
      results.push({ outcome: 'sold_out' });
    } else {
      const grant = { user: grab.user, cents: nextPacketCents(split, cents, packets, rng), jobId: grab.jobId };
      cents -= grant.cents;
      packets--;
      grantedInBatch.set(grab.user, grant);
      grants.push(grant);
      results.push({ outcome: 'granted', cents: grant.cents });
    }
  }
  return { results, grants };
}
