import type { RedisClient } from '../redis/connection.js';
import { grabJobId } from '../queue/grab-job.js';
import { parseGrant } from './grant.js';
import { claimsKey, grantsKey, outcomesKey, type PoolAddress } from './keys.js';
import { poolAddresses, type CampaignRecord } from './ledger-types.js';
import { outcomeFromCode, type PoolOutcome } from './outcome-log.js';

/** One packet a user got; `at` is the grant's time as an ISO string, as users are shown it. */
export interface UserGrant {
  pool: string;
  cents: number;
  at: string;
}

/** Where a user's grab in one pool stands. */
export type GrabStatus = PoolOutcome | 'pending';

export interface UserLookup {
  campaign: string;
  instance: number;
  user: string;
  /** The user's grant from each pool that gave one, in the campaign's pool order. */
  grants: UserGrant[];
  /**
   * The recorded outcome of the user's grab in each pool where one is found, keyed by pool id:
   * a grab handed in over HTTP (kept under its job id), or `granted` where the user holds a
   * grant. A grab `grab produce` numbered is kept under its slot, which the user id alone does
   * not give: where it did not get a packet, the pool is absent (not granted).
   */
  outcomes: Record<string, GrabStatus>;
}

/** One entry of a pool's claim list; `at` as in UserGrant. */
export interface Claim {
  user: string;
  cents: number;
  at: string;
}

const isoTime = (atMs: number): string => new Date(atMs).toISOString();

/** Pools asked about in one pipeline by userLookup: two reads each. */
const POOLS_PER_ROUND = 500;

/**
 * What users got, read from the ledger without changing it, as they are shown it: for the CLI
 * and the HTTP API alike.
 */
export class GrantLookup {
  constructor(private readonly redis: RedisClient) {}

  /**
   * A user's grants and grab outcomes across every pool of the campaign's instance, read in
   * pipelined rounds (each pool's grant and the outcome of the user's HTTP job id there), so a
   * campaign of 10,000 pools costs 20 round trips. A user with nothing has no grants and no
   * outcomes.
   */
  async userLookup(campaign: CampaignRecord, user: string): Promise<UserLookup> {
    const found: UserLookup = {
      campaign: campaign.campaignId,
      instance: campaign.instance,
      user,
      grants: [],
      outcomes: {},
    };
    const pools = poolAddresses(campaign);
    for (let from = 0; from < pools.length; from += POOLS_PER_ROUND) {
      const round = pools.slice(from, from + POOLS_PER_ROUND);
      const replies = await Promise.all(
        round.map((pool) =>
          Promise.all([
            this.redis.hget(grantsKey(pool), user),
            this.redis.hget(
              outcomesKey(pool),
              grabJobId({ campaign: pool.campaignId, instance: pool.instance, pool: pool.poolId, user }),
            ),
          ]),
        ),
      );
      round.forEach(({ poolId }, i) => {
        const [grant, code] = replies[i]!;
        if (grant) {
          const { cents, atMs } = parseGrant(grant);
          found.grants.push({ pool: poolId, cents, at: isoTime(atMs) });
        }
        const outcome = code ? outcomeFromCode(code) : grant ? 'granted' : undefined;
        if (outcome) found.outcomes[poolId] = outcome;
      });
    }
    return found;
  }

  /**
   * A pool's claims in grant order, a page at a time (one LRANGE of the claim list, then one HMGET
   * of those users' grants), so a pool of any size streams in bounded memory. The list only grows
   * while the pool exists, so pages never overlap; a pool deleted meanwhile ends the stream.
   * `from` skips the first claims (a page of the HTTP API's).
   */
  async *claims(pool: PoolAddress, pageSize = 1000, from = 0): AsyncGenerator<Claim[]> {
    for (let start = from; ; start += pageSize) {
      const users = await this.redis.lrange(claimsKey(pool), start, start + pageSize - 1);
      if (users.length === 0) return;
      const records = await this.redis.hmget(grantsKey(pool), ...users);
      const page: Claim[] = [];
      users.forEach((user, i) => {
        const record = records[i];
        if (!record) return;
        const { cents, atMs } = parseGrant(record);
        page.push({ user, cents, at: isoTime(atMs) });
      });
      yield page;
      if (users.length < pageSize) return;
    }
  }
}
