import type { RedisClient } from '../redis/connection.js';
import type { CampaignSpec, SplitName } from '../campaign/spec.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import type { ReplicaWait } from '../redis/replica-wait.js';
import { scanHashes } from '../redis/scan-hashes.js';
import { formatToken, parseToken } from './fencing-token.js';
import { formatGrant, parseGrant, type Grant } from './grant.js';
import {
  campaignKey,
  campaignsKey,
  claimsKey,
  failuresKey,
  grantsKey,
  instanceSeqKey,
  outcomesKey,
  outcomeSlotsKey,
  pendingCampaignKey,
  poolKey,
  poolKeys,
  progressKey,
  queuesKey,
  rejectedKey,
  sourcesKey,
  stripeCount,
  type CampaignAddress,
  type PoolAddress,
} from './keys.js';
import { UnknownPoolError } from './ledger-errors.js';
import {
  poolAddress,
  poolAddresses,
  type Admission,
  type AdmissionGrab,
  type AdmittedGrab,
  type AtomicGrabResult,
  type CampaignRecord,
  type CampaignState,
  type CommitResult,
  type CreateCampaignResult,
  type GrantRequest,
  type GrantTotals,
  type PoolRead,
  type PoolState,
  type ScannedGrant,
} from './ledger-types.js';
import { countsFromHash, outcomeArgs, outcomeFromCode, outcomeKeys, type SettledGrab } from './outcome-log.js';
import { cryptoSeededRng, type Rng } from './prng.js';

export { UnknownPoolError };

/** Pools written, or keys unlinked, per command while a campaign is created or deleted. */
const POOLS_PER_STEP = 1000;

const scriptNames = [
  'beginCampaign',
  'createPools',
  'commitCampaign',
  'deleteCampaign',
  'readPool',
  'commitGrants',
  'grabAtomic',
  'claimLockFamily',
  'admit',
] as const;

/** The scripts whose writes tell a worker a grab is settled: with a ReplicaWait, each waits for its replicas. */
const settlingScripts = ['commitGrants', 'grabAtomic', 'admit'] as const;

/** The campaign and pool balances in Redis, changed only through the scripts in ./lua (and writeUnfenced). */
export class Ledger {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    /** Draws the random part of lock-free grabs. */
    private readonly rng: Rng = cryptoSeededRng(),
    /** Replicas a commit must reach before it returns (see shared/redis/replica-wait.ts); none if absent. */
    replicaWait?: ReplicaWait,
  ) {
    this.scripts = loadLuaCommands(
      redis,
      new URL('./lua/', import.meta.url),
      scriptNames,
      replicaWait && { names: settlingScripts, wait: replicaWait },
    );
  }

  /**
   * Creates a new instance of the campaign, pool by pool (on a Redis Cluster its pools live on
   * several masters): records the creation as pending, writes the pools a stripe at a time, and
   * last makes the pending record the campaign hash, the step from which grabs find it. A
   * creation cut short (a crash, a lost connection) leaves nothing a grab can use, and running it
   * again with the same spec finishes it. Changes nothing if the id is taken, or if a creation
   * with another spec was cut short. An instance number drawn but not used is never used.
   */
  async createCampaign(spec: CampaignSpec, nowMs = Date.now()): Promise<CreateCampaignResult> {
    // Listed first, so a creation cut short is listed too; readers skip ids without a record.
    await this.redis.sadd(campaignsKey, spec.id);
    const drawn = await this.redis.incr(instanceSeqKey);
    const stripes = stripeCount(spec.pools.length);
    const [status, detail, expiresAt] = (await this.scripts.beginCampaign(
      [campaignKey(spec.id), pendingCampaignKey(spec.id)],
      [
        JSON.stringify(spec),
        spec.split,
        nowMs,
        drawn,
        stripes,
        spec.pools.length,
        spec.expiry && 'atMs' in spec.expiry ? spec.expiry.atMs : '',
        spec.expiry && 'inMs' in spec.expiry ? spec.expiry.inMs : '',
      ],
    )) as [string, string, string?];
    if (status === 'exists' || status === 'other') return { status, key: detail };
    const instance = Number(detail);
    const address = { campaignId: spec.id, instance, stripes };
    for (const stripePools of byStripe(
      spec.pools.map((p) => ({ ...p, ...poolAddress(address, p.id) })),
      stripes,
    )) {
      for (let from = 0; from < stripePools.length; from += POOLS_PER_STEP) {
        const step = stripePools.slice(from, from + POOLS_PER_STEP);
        await this.scripts.createPools(step.map(poolKey), [
          spec.split,
          expiresAt ?? '',
          ...step.flatMap((p) => [p.amountCents, p.packets]),
        ]);
      }
    }
    const committed = await this.scripts.commitCampaign(
      [campaignKey(spec.id), pendingCampaignKey(spec.id)],
      [instance],
    );
    return Number(committed) === 1 ? { status: 'created' } : { status: 'exists', key: campaignKey(spec.id) };
  }

  /** A creation cut short (or under way) that no campaign record names yet; undefined if none. */
  async pendingCreation(campaignId: string): Promise<CampaignRecord | undefined> {
    return this.readRecord(campaignId, pendingCampaignKey(campaignId));
  }

  async getCampaign(campaignId: string): Promise<CampaignRecord | undefined> {
    return this.readRecord(campaignId, campaignKey(campaignId));
  }

  private async readRecord(campaignId: string, key: string): Promise<CampaignRecord | undefined> {
    const [spec, createdAtMs, instance, stripes, lock, state, stateAtMs, expiresAtMs] = await this.redis.hmget(
      key,
      'spec',
      'created_at_ms',
      'instance',
      'stripes',
      'lock',
      'state',
      'state_at_ms',
      'expires_at_ms',
    );
    if (!spec) return undefined;
    return {
      campaignId,
      instance: Number(instance),
      spec: JSON.parse(spec) as CampaignSpec,
      createdAtMs: Number(createdAtMs),
      stripes: Number(stripes),
      lock: lock ?? undefined,
      state: (state as CampaignState | null) ?? 'open',
      stateAtMs: optionalNumber(stateAtMs),
      expiresAtMs: optionalNumber(expiresAtMs),
    };
  }

  /** The number of the campaign's current instance, without reading its spec; undefined if there is none. */
  async instanceOf(campaignId: string): Promise<number | undefined> {
    const instance = await this.redis.hget(campaignKey(campaignId), 'instance');
    return instance === null ? undefined : Number(instance);
  }

  /** Notes that the instance's grabs go through `queue`, so its workers know the campaign is theirs. */
  async recordQueue(campaign: CampaignAddress, queue: string): Promise<void> {
    await this.redis.sadd(queuesKey(campaign), queue);
  }

  async queuesOf(campaign: CampaignAddress): Promise<string[]> {
    return this.redis.smembers(queuesKey(campaign));
  }

  /**
   * Records `family` as the lock family of the campaign instance unless one is recorded already,
   * and returns the one recorded; undefined if the instance is gone.
   */
  async claimLockFamily(campaign: CampaignAddress, family: string): Promise<string | undefined> {
    const recorded = (await this.scripts.claimLockFamily(
      [campaignKey(campaign.campaignId)],
      [campaign.instance, family],
    )) as string | null;
    return recorded ?? undefined;
  }

  async listCampaigns(): Promise<string[]> {
    return (await this.redis.smembers(campaignsKey)).sort();
  }

  /**
   * Removes the campaign's current instance (or a creation of it cut short): its pools with their
   * grants and outcomes, a stripe at a time, each stripe's progress after its pools, and its
   * record last. A deletion cut short leaves the record, so running it again finishes it.
   * Returns the instance deleted, or undefined if there was no such campaign.
   */
  async deleteCampaign(campaignId: string): Promise<CampaignRecord | undefined> {
    for (;;) {
      const record = (await this.getCampaign(campaignId)) ?? (await this.pendingCreation(campaignId));
      if (!record) {
        await this.unlist(campaignId);
        return undefined;
      }
      for (const [stripe, pools] of byStripe(poolAddresses(record), record.stripes).entries()) {
        for (let from = 0; from < pools.length; from += POOLS_PER_STEP)
          await this.redis.unlink(...pools.slice(from, from + POOLS_PER_STEP).flatMap(poolKeys));
        // After the pools: a late writer of one of them could have counted it again.
        await this.redis.unlink(progressKey(record, stripe));
      }
      const keys = [
        campaignKey(campaignId),
        pendingCampaignKey(campaignId),
        rejectedKey(record),
        queuesKey(record),
        sourcesKey(record),
      ];
      if (Number(await this.scripts.deleteCampaign(keys, [record.instance])) === 1) {
        await this.unlist(campaignId);
        return record;
      }
    }
  }

  /** Takes the id off the list, unless a creation of it began meanwhile. */
  private async unlist(campaignId: string): Promise<void> {
    await this.redis.srem(campaignsKey, campaignId);
    if (
      (await this.redis.exists(campaignKey(campaignId))) + (await this.redis.exists(pendingCampaignKey(campaignId))) >
      0
    )
      await this.redis.sadd(campaignsKey, campaignId);
  }

  /** The balance, version and token of a pool, and the grants `users` already hold: one round trip. */
  async readPool(pool: PoolAddress, users: readonly string[]): Promise<PoolRead> {
    const reply = (await this.scripts.readPool([poolKey(pool), grantsKey(pool)], users)) as (string | null)[] | null;
    if (!reply) throw new UnknownPoolError(pool.campaignId, pool.poolId);
    const [remainingCents, remainingPackets, version, token, closed, ...records] = reply;
    const grants = new Map<string, Grant>();
    records.forEach((record, i) => {
      if (record !== null) grants.set(users[i]!, parseGrant(record));
    });
    return {
      remainingCents: Number(remainingCents),
      remainingPackets: Number(remainingPackets),
      version: Number(version),
      token: parseToken(token!),
      closed: Number(closed) === 1,
      grants,
    };
  }

  /**
   * Commits a lock holder's grants, computed from the pool as read at `expectedVersion`, fenced by
   * its token: refused as 'fenced' if a higher token has committed, as 'stale' if the pool changed
   * since the read, as 'held' if a user already holds a grant. Throws (changing nothing) if the
   * batch is invalid: a grant under 1 cent, an overspend, a user named twice.
   *
   * `settled` are the outcomes of the batch's grabs: recorded in the same step if the commit is
   * 'ok', so a batch costs one round trip; nothing is recorded otherwise.
   */
  async commitGrants(
    pool: PoolAddress,
    token: bigint,
    expectedVersion: number,
    grants: readonly GrantRequest[],
    settled: readonly SettledGrab[] = [],
  ): Promise<CommitResult> {
    const args = [formatToken(token), String(expectedVersion), String(grants.length)];
    for (const g of grants) args.push(g.user, String(g.cents), g.jobId);
    for (const arg of outcomeArgs(settled)) args.push(arg);
    const keys = [poolKey(pool), grantsKey(pool), claimsKey(pool), ...outcomeKeys(pool)];
    const [status, detail, record] = (await this.scripts.commitGrants(keys, args)) as [
      string,
      string | number,
      string?,
    ];
    switch (status) {
      case 'ok':
        return { status, version: Number(detail) };
      case 'fenced':
        return { status, storedToken: parseToken(String(detail)) };
      case 'stale':
        return { status, storedVersion: Number(detail) };
      case 'held':
        return { status, user: String(detail), grant: parseGrant(record!) };
      case 'expired':
      case 'paused':
        return { status };
      default:
        throw new UnknownPoolError(pool.campaignId, pool.poolId);
    }
  }

  /** The lock-free grab: checks, computes the packet and deducts it atomically inside Redis. */
  async grabAtomic(pool: PoolAddress, user: string, jobId: string): Promise<AtomicGrabResult> {
    const keys = [poolKey(pool), grantsKey(pool), claimsKey(pool)];
    const [outcome, record] = (await this.scripts.grabAtomic(keys, [user, jobId, this.rng()])) as [string, string?];
    switch (outcome) {
      case 'granted':
      case 'duplicate':
        return { outcome, grant: parseGrant(record!) };
      case 'sold_out':
      case 'expired':
      case 'paused':
        return { outcome };
      default:
        throw new UnknownPoolError(pool.campaignId, pool.poolId);
    }
  }

  /**
   * Admission, the cheap step before any lock: one script for a batch of one pool's grabs. A
   * closed or expired pool (first) or a sold-out one settles them at once and records their
   * outcomes in the same step; a user who holds a grant gets it back. A paused pool says wait;
   * an open one with packets left says proceed, and nothing is written.
   *
   * `enqueue: true` is for grabs that were never enqueued (answered at the door): a grab settled
   * here is then marked pending first, as markEnqueued does, so it counts as enqueued and
   * settled. On 'proceed' or 'wait' nothing is marked: the caller enqueues them the usual way.
   */
  async admit(
    pool: PoolAddress,
    grabs: readonly AdmissionGrab[],
    { enqueue }: { enqueue: boolean },
  ): Promise<Admission> {
    const keys = [
      poolKey(pool),
      grantsKey(pool),
      outcomesKey(pool),
      outcomeSlotsKey(pool),
      failuresKey(pool),
      progressKey(pool, pool.stripe),
    ];
    const args = [enqueue ? '1' : '0', ...grabs.flatMap((g) => [g.user, g.jobId])];
    const [decision, why, added, ...settled] = (await this.scripts.admit(keys, args)) as (string | number)[];
    switch (decision) {
      case 'proceed':
      case 'wait':
        return { decision };
      case 'settled':
        return {
          decision,
          why: why as 'expired' | 'sold_out',
          added: Number(added),
          results: grabs.map((_, i) => admittedGrab(String(settled[2 * i]), String(settled[2 * i + 1]))),
        };
      default:
        throw new UnknownPoolError(pool.campaignId, pool.poolId);
    }
  }

  /**
   * UNSAFE ON PURPOSE, for the `none` strategy that shows why the others exist: writes the balance
   * as absolute values computed from `basis`, an earlier read, with no fence, no version check and
   * no transaction. Two workers that read the same balance both write "balance minus my grants",
   * so one's deduction is lost while both grants stay: the pool pays out more than it holds.
   * The grants join the claim list; no luckiest grant is kept.
   */
  async writeUnfenced(
    pool: PoolAddress,
    basis: Pick<PoolRead, 'remainingCents' | 'remainingPackets' | 'version'>,
    grants: readonly GrantRequest[],
    nowMs: number,
  ): Promise<void> {
    const spentCents = grants.reduce((sum, g) => sum + g.cents, 0);
    const pipeline = this.redis.pipeline();
    for (const g of grants) {
      pipeline.hset(grantsKey(pool), g.user, formatGrant({ cents: g.cents, token: 0n, atMs: nowMs, jobId: g.jobId }));
      pipeline.rpush(claimsKey(pool), g.user);
    }
    pipeline.hset(poolKey(pool), {
      remaining_cents: basis.remainingCents - spentCents,
      remaining_packets: basis.remainingPackets - grants.length,
      version: basis.version + 1,
    });
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async poolState(pool: PoolAddress): Promise<PoolState | undefined> {
    return (await this.poolStates([pool]))[0];
  }

  /**
   * The state of many pools, read in chunks of commands sent together (pipelined, per master on
   * a cluster): a bounded number of round trips.
   */
  async poolStates(pools: readonly PoolAddress[], chunkSize = 1000): Promise<Array<PoolState | undefined>> {
    const states: Array<PoolState | undefined> = [];
    for (let from = 0; from < pools.length; from += chunkSize) {
      const hashes = await Promise.all(pools.slice(from, from + chunkSize).map((p) => this.redis.hgetall(poolKey(p))));
      states.push(...hashes.map(parsePoolState));
    }
    return states;
  }

  /** What each pool's grants add up to, read in pipelined rounds (see scanHashes). */
  async grantTotals(pools: readonly PoolAddress[]): Promise<GrantTotals[]> {
    const totals = pools.map((): GrantTotals => ({ grants: 0, grantedCents: 0, belowOneCent: [] }));
    const seen = pools.map(() => new Set<string>());
    await scanHashes(this.redis, pools.map(grantsKey), (i, fields) => {
      for (let f = 0; f < fields.length; f += 2) {
        const user = fields[f]!;
        if (seen[i]!.has(user)) continue;
        seen[i]!.add(user);
        const { cents } = parseGrant(fields[f + 1]!);
        totals[i]!.grants++;
        totals[i]!.grantedCents += cents;
        if (cents < 1) totals[i]!.belowOneCent.push(user);
      }
    });
    return totals;
  }

  /**
   * The remaining balances of many pools in one round trip (one HMGET per pool, sent together);
   * undefined for a pool that is gone, or not given.
   */
  async poolBalances(
    pools: readonly (PoolAddress | undefined)[],
  ): Promise<(Pick<PoolState, 'remainingCents' | 'remainingPackets'> | undefined)[]> {
    return Promise.all(
      pools.map(async (pool) => {
        if (pool === undefined) return undefined;
        const [cents, packets] = await this.redis.hmget(poolKey(pool), 'remaining_cents', 'remaining_packets');
        return cents == null ? undefined : { remainingCents: Number(cents), remainingPackets: Number(packets) };
      }),
    );
  }

  /** The grant `user` holds in the pool, if any. */
  async grantOf(pool: PoolAddress, user: string): Promise<Grant | undefined> {
    const record = await this.redis.hget(grantsKey(pool), user);
    return record === null ? undefined : parseGrant(record);
  }

  /**
   * Every grant of a pool, a page of HSCAN at a time. As with any SCAN, a grant present for the
   * whole scan is yielded at least once; one may repeat only if the hash shrinks meanwhile.
   */
  async *scanGrants(pool: PoolAddress, pageSize = 1000): AsyncGenerator<ScannedGrant> {
    let cursor = '0';
    do {
      const [next, fields] = await this.redis.hscan(grantsKey(pool), cursor, 'COUNT', pageSize);
      for (let i = 0; i < fields.length; i += 2) yield { user: fields[i]!, ...parseGrant(fields[i + 1]!) };
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Pools grouped by stripe, in stripe order: each group shares one slot. */
function byStripe<P extends PoolAddress>(pools: readonly P[], stripes: number): P[][] {
  const groups = Array.from({ length: stripes }, (): P[] => []);
  for (const pool of pools) groups[pool.stripe]!.push(pool);
  return groups;
}

function admittedGrab(code: string, cents: string): AdmittedGrab {
  const outcome = outcomeFromCode(code);
  switch (outcome) {
    case 'granted':
    case 'duplicate':
      return { outcome, cents: Number(cents) };
    case 'sold_out':
    case 'expired':
      return { outcome };
    default:
      throw new Error(`admission settled a grab with unexpected outcome code "${code}"`);
  }
}

function parsePoolState(pool: Record<string, string>): PoolState | undefined {
  if (pool.total_cents === undefined) return undefined;
  const { counts, pending } = countsFromHash(pool, 'o:');
  return {
    totalCents: Number(pool.total_cents),
    packets: Number(pool.packets),
    remainingCents: Number(pool.remaining_cents),
    remainingPackets: Number(pool.remaining_packets),
    version: Number(pool.version),
    token: parseToken(pool.token!),
    split: pool.split as SplitName,
    outcomes: counts,
    pending,
    state: (pool.state as CampaignState | undefined) ?? 'open',
    expiresAtMs: optionalNumber(pool.expires_at_ms),
    closedAtMs: optionalNumber(pool.closed_at_ms),
    refundedCents: Number(pool.refunded_cents ?? 0),
    refundedPackets: Number(pool.refunded_packets ?? 0),
    refundedAtMs: optionalNumber(pool.refunded_at_ms),
    luckiest: pool.lucky_user === undefined ? undefined : { user: pool.lucky_user, cents: Number(pool.lucky_cents) },
  };
}

const optionalNumber = (text: string | null | undefined): number | undefined =>
  text === null || text === undefined ? undefined : Number(text);
