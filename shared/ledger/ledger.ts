import type { Redis } from 'ioredis';
import type { CampaignSpec } from '../campaign/spec.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import { formatToken, parseToken } from './fencing-token.js';
import { formatGrant, parseGrant, type Grant } from './grant.js';
import { campaignKey, campaignsKey, grantsKey, poolKey } from './keys.js';
import { cryptoSeededRng, type Rng } from './prng.js';
import type { SplitName } from './split.js';

const scriptNames = ['createCampaign', 'deleteCampaign', 'readPool', 'commitGrants', 'grabAtomic'] as const;

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

export interface CampaignRecord {
  spec: CampaignSpec;
  createdAtMs: number;
}

export type CreateCampaignResult = { status: 'created' } | { status: 'exists'; key: string };

export interface PoolState {
  totalCents: number;
  packets: number;
  remainingCents: number;
  remainingPackets: number;
  version: number;
  token: bigint;
  split: SplitName;
}

/** What a lock holder reads before computing grants: the balance, its version, and who already holds a grant. */
export interface PoolRead {
  remainingCents: number;
  remainingPackets: number;
  version: number;
  token: bigint;
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
  | { status: 'held'; user: string; grant: Grant };

export type GrabResult = { outcome: 'granted' | 'duplicate'; grant: Grant } | { outcome: 'sold_out' };

export type ScannedGrant = Grant & { user: string };

/** The campaign and pool balances in Redis, changed only through the scripts in ./lua (and writeUnfenced). */
export class Ledger {
  private readonly scripts;

  constructor(
    private readonly redis: Redis,
    /** Draws the random part of lock-free grabs. */
    private readonly rng: Rng = cryptoSeededRng(),
  ) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), scriptNames);
  }

  /** Creates the campaign and all its pools atomically; changes nothing if any of its keys exists. */
  async createCampaign(spec: CampaignSpec, nowMs = Date.now()): Promise<CreateCampaignResult> {
    const keys = [campaignsKey, campaignKey(spec.id), ...spec.pools.flatMap((p) => [poolKey(spec.id, p.id), grantsKey(spec.id, p.id)])];
    const args = [spec.id, JSON.stringify(spec), spec.split, nowMs, ...spec.pools.flatMap((p) => [p.amountCents, p.packets])];
    const [status, key] = (await this.scripts.createCampaign(keys, args)) as [string, string?];
    return status === 'created' ? { status } : { status: 'exists', key: key! };
  }

  async getCampaign(campaignId: string): Promise<CampaignRecord | undefined> {
    const [spec, createdAtMs] = await this.redis.hmget(campaignKey(campaignId), 'spec', 'created_at_ms');
    return spec ? { spec: JSON.parse(spec) as CampaignSpec, createdAtMs: Number(createdAtMs) } : undefined;
  }

  async listCampaigns(): Promise<string[]> {
    return (await this.redis.smembers(campaignsKey)).sort();
  }

  /** Removes the campaign record, its pools and their grants. False if there was no such campaign. */
  async deleteCampaign(campaignId: string): Promise<boolean> {
    for (;;) {
      const campaign = await this.getCampaign(campaignId);
      if (!campaign) return false;
      const { spec, createdAtMs } = campaign;
      const keys = [campaignsKey, campaignKey(campaignId), ...spec.pools.flatMap((p) => [poolKey(campaignId, p.id), grantsKey(campaignId, p.id)])];
      if ((await this.scripts.deleteCampaign(keys, [campaignId, createdAtMs])) === 1) return true;
    }
  }

  /** The balance, version and token of a pool, and the grants `users` already hold: one round trip. */
  async readPool(campaignId: string, poolId: string, users: readonly string[]): Promise<PoolRead> {
    const reply = (await this.scripts.readPool([poolKey(campaignId, poolId), grantsKey(campaignId, poolId)], users)) as (string | null)[] | null;
    if (!reply) throw new UnknownPoolError(campaignId, poolId);
    const [remainingCents, remainingPackets, version, token, ...records] = reply;
    const grants = new Map<string, Grant>();
    records.forEach((record, i) => {
      if (record !== null) grants.set(users[i]!, parseGrant(record));
    });
    return { remainingCents: Number(remainingCents), remainingPackets: Number(remainingPackets), version: Number(version), token: parseToken(token!), grants };
  }

  /**
   * Commits a lock holder's grants, computed from the pool as read at `expectedVersion`, fenced by
   * its token: refused as 'fenced' if a higher token has committed, as 'stale' if the pool changed
   * since the read, as 'held' if a user already holds a grant. Throws (changing nothing) if the
   * batch is invalid: a grant under 1 cent, an overspend, a user named twice.
   */
  async commitGrants(campaignId: string, poolId: string, token: bigint, expectedVersion: number, grants: readonly GrantRequest[], nowMs: number): Promise<CommitResult> {
    const args = [formatToken(token), String(expectedVersion), nowMs, ...grants.flatMap((g) => [g.user, String(g.cents), g.jobId])];
    const [status, detail, record] = (await this.scripts.commitGrants([poolKey(campaignId, poolId), grantsKey(campaignId, poolId)], args)) as [string, string | number, string?];
    switch (status) {
      case 'ok':
        return { status, version: Number(detail) };
      case 'fenced':
        return { status, storedToken: parseToken(String(detail)) };
      case 'stale':
        return { status, storedVersion: Number(detail) };
      case 'held':
        return { status, user: String(detail), grant: parseGrant(record!) };
      default:
        throw new UnknownPoolError(campaignId, poolId);
    }
  }

  /** The lock-free grab: checks, computes the packet and deducts it atomically inside Redis. */
  async grabAtomic(campaignId: string, poolId: string, user: string, jobId: string, nowMs: number): Promise<GrabResult> {
    const keys = [poolKey(campaignId, poolId), grantsKey(campaignId, poolId)];
    const [outcome, record] = (await this.scripts.grabAtomic(keys, [user, jobId, nowMs, this.rng()])) as [string, string?];
    switch (outcome) {
      case 'granted':
      case 'duplicate':
        return { outcome, grant: parseGrant(record!) };
      case 'sold_out':
        return { outcome };
      default:
        throw new UnknownPoolError(campaignId, poolId);
    }
  }

  /**
   * UNSAFE ON PURPOSE, for the `none` strategy that shows why the others exist: writes the balance
   * as absolute values computed from `basis`, an earlier read, with no fence, no version check and
   * no transaction. Two workers that read the same balance both write "balance minus my grants",
   * so one's deduction is lost while both grants stay: the pool pays out more than it holds.
   */
  async writeUnfenced(campaignId: string, poolId: string, basis: Pick<PoolRead, 'remainingCents' | 'remainingPackets' | 'version'>, grants: readonly GrantRequest[], nowMs: number): Promise<void> {
    const spentCents = grants.reduce((sum, g) => sum + g.cents, 0);
    const pipeline = this.redis.pipeline();
    for (const g of grants) pipeline.hset(grantsKey(campaignId, poolId), g.user, formatGrant({ cents: g.cents, token: 0n, atMs: nowMs, jobId: g.jobId }));
    pipeline.hset(poolKey(campaignId, poolId), {
      remaining_cents: basis.remainingCents - spentCents,
      remaining_packets: basis.remainingPackets - grants.length,
      version: basis.version + 1,
    });
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async poolState(campaignId: string, poolId: string): Promise<PoolState | undefined> {
    const pool = await this.redis.hgetall(poolKey(campaignId, poolId));
    if (pool.total_cents === undefined) return undefined;
    return {
      totalCents: Number(pool.total_cents),
      packets: Number(pool.packets),
      remainingCents: Number(pool.remaining_cents),
      remainingPackets: Number(pool.remaining_packets),
      version: Number(pool.version),
      token: parseToken(pool.token!),
      split: pool.split as SplitName,
    };
  }

  /**
   * The remaining balances of many pools in one round trip (a pipeline of one HMGET per pool,
   * each pool's hash being in a slot of its own); undefined for a pool that is gone.
   */
  async poolBalances(pools: readonly { campaign: string; pool: string }[]): Promise<(Pick<PoolState, 'remainingCents' | 'remainingPackets'> | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const { campaign, pool } of pools) pipeline.hmget(poolKey(campaign, pool), 'remaining_cents', 'remaining_packets');
    return ((await pipeline.exec()) ?? []).map(([err, fields]) => {
      if (err) throw err;
      const [cents, packets] = fields as (string | null)[];
      return cents == null ? undefined : { remainingCents: Number(cents), remainingPackets: Number(packets) };
    });
  }

  /**
   * Every grant of a pool, a page of HSCAN at a time. As with any SCAN, a grant present for the
   * whole scan is yielded at least once; one may repeat only if the hash shrinks meanwhile.
   */
  async *scanGrants(campaignId: string, poolId: string, pageSize = 1000): AsyncGenerator<ScannedGrant> {
    let cursor = '0';
    do {
      const [next, fields] = await this.redis.hscan(grantsKey(campaignId, poolId), cursor, 'COUNT', pageSize);
      for (let i = 0; i < fields.length; i += 2) yield { user: fields[i]!, ...parseGrant(fields[i + 1]!) };
      cursor = next;
    } while (cursor !== '0');
  }
}
