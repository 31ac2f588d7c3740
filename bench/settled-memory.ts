import type { RedisClient } from '../shared/redis/connection.js';
import {
  claimsKey,
  failuresKey,
  grantsKey,
  outcomeSlotsKey,
  outcomesKey,
  slotBlocksKey,
  type PoolAddress,
} from '../shared/ledger/keys.js';

/** Redis bytes per settled grab: what a grant keeps, and what any grab's outcome keeps. */
export interface BytesPerSettledGrab {
  granted: number;
  notGranted: number;
}

/**
 * What a settled campaign's grabs cost in Redis once their jobs are gone, from MEMORY USAGE of
 * every pool's per-grab keys (exact: SAMPLES 0), each asked of the node that holds it. An outcome (its slot and the slot blocks, the
 * HTTP outcomes hash, failures) is kept for every grab; a grant and its claim only for granted ones. The pool hash
 * and the stripes' counters cost the same however many grabs there are, and are left out.
 */
export async function bytesPerSettledGrab(
  redis: RedisClient,
  pools: readonly PoolAddress[],
  settled: { grabs: number; granted: number },
): Promise<BytesPerSettledGrab> {
  // One command per key, all sent at once: on a cluster each goes to the master of its key's slot
  // (a pipeline must keep to one node, and a campaign's pools spread over the masters).
  const sum = async (keys: string[]) =>
    (await Promise.all(keys.map((key) => redis.memory('USAGE', key, 'SAMPLES', 0)))).reduce<number>(
      (bytes, reply) => bytes + Number(reply ?? 0),
      0,
    );
  const outcomeBytes = await sum(
    pools.flatMap((p) => [outcomesKey(p), outcomeSlotsKey(p), slotBlocksKey(p), failuresKey(p)]),
  );
  const grantBytes = await sum(pools.flatMap((p) => [grantsKey(p), claimsKey(p)]));
  const perOutcome = settled.grabs === 0 ? 0 : outcomeBytes / settled.grabs;
  const perGrant = settled.granted === 0 ? 0 : grantBytes / settled.granted;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { granted: round(perGrant + perOutcome), notGranted: round(perOutcome) };
}
