import type { RedisClient } from '../redis/connection.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import {
  campaignKey,
  failuresKey,
  outcomesKey,
  outcomeSlotsKey,
  poolKey,
  progressKey,
  rejectedKey,
  type CampaignAddress,
  type PoolAddress,
} from './keys.js';
import { UnknownPoolError } from './ledger-errors.js';
import { slotOfJobId } from '../queue/grab-job.js';

/** Where each grab ends: exactly one of these is recorded for it, and until then it is pending. */
export type Outcome = 'granted' | 'sold_out' | 'duplicate' | 'expired' | 'rejected' | 'failed';

/** The outcomes a pool's log records; 'rejected' grabs named no pool and are kept per campaign. */
export type PoolOutcome = Exclude<Outcome, 'rejected'>;

const codes = { granted: 'g', sold_out: 's', duplicate: 'd', expired: 'e', failed: 'f' } as const satisfies Record<
  PoolOutcome,
  string
>;
const PENDING = 'q';
/** The codes as numbers in a pool's outcome slots (see lua/includes/outcome-store.lua); 0: never enqueued. */
const SLOT_CODES = [undefined, PENDING, codes.granted, codes.sold_out, codes.duplicate, codes.expired, codes.failed];

/** How many grabs have each outcome, and how many are still pending. */
export type OutcomeCounts = Record<Outcome, number>;

export interface CampaignProgress {
  /** Every distinct grab the campaign has seen: pending or settled, rejected included. */
  enqueued: number;
  pending: number;
  /** Grabs with a terminal outcome, failed included (a failed grab waits for `grab redrive`). */
  finished: number;
  outcomes: OutcomeCounts;
}

export interface SettledGrab {
  jobId: string;
  outcome: PoolOutcome;
  /** Why a failed grab failed. */
  reason?: string;
}

export interface FailedGrab {
  jobId: string;
  reason: string;
}

export const emptyCounts = (): OutcomeCounts => ({
  granted: 0,
  sold_out: 0,
  duplicate: 0,
  expired: 0,
  rejected: 0,
  failed: 0,
});

/** Per-outcome counts as a pool hash (fields "o:g", ...) or a stripe's progress hash (fields "g", ...) keeps them. */
export function countsFromHash(hash: Record<string, string>, prefix = ''): { counts: OutcomeCounts; pending: number } {
  const counts = emptyCounts();
  for (const [outcome, code] of Object.entries(codes))
    counts[outcome as PoolOutcome] = Number(hash[prefix + code] ?? 0);
  return { counts, pending: Number(hash[prefix + PENDING] ?? 0) };
}

/** What a code in a pool's outcomes hash stands for: 'pending' until the grab is settled. */
export function outcomeFromCode(code: string): PoolOutcome | 'pending' | undefined {
  if (code === PENDING) return 'pending';
  return (Object.keys(codes) as PoolOutcome[]).find((o) => codes[o] === code);
}

const MAX_REASON_LENGTH = 500;

/**
 * The keys, after the pool hash, of a script that records outcomes (see
 * includes/record-outcomes.lua): the outcomes hash, the outcome slots, the failures hash and the
 * stripe's progress hash.
 */
export const outcomeKeys = (pool: PoolAddress): string[] => [
  outcomesKey(pool),
  outcomeSlotsKey(pool),
  failuresKey(pool),
  progressKey(pool, pool.stripe),
];

/** The script arguments that record settled grabs: job id, outcome code, reason (see includes/record-outcomes.lua). */
export function outcomeArgs(grabs: readonly SettledGrab[]): string[] {
  const args: string[] = [];
  for (const g of grabs) args.push(g.jobId, codes[g.outcome], g.reason?.slice(0, MAX_REASON_LENGTH) ?? '');
  return args;
}
const scriptNames = ['markEnqueued', 'recordOutcomes', 'recordRejected', 'redriveFailed'] as const;

/**
 * The recorded outcome of every grab, keyed by job id, so a grab delivered twice is still counted
 * once. A grab is pending from the moment it is enqueued until a worker settles it; counts per
 * outcome are kept beside each pool's balance and per stripe, updated in the same step as the
 * outcome, so progress is exact and costs a few reads however large the campaign.
 */
export class OutcomeLog {
  private readonly scripts;

  constructor(private readonly redis: RedisClient) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), scriptNames);
  }

  /** Marks grabs as pending; returns how many of them were not known before. */
  async markEnqueued(pool: PoolAddress, jobIds: readonly string[]): Promise<number> {
    const added = Number(
      await this.scripts.markEnqueued(
        [poolKey(pool), outcomesKey(pool), outcomeSlotsKey(pool), progressKey(pool, pool.stripe)],
        jobIds,
      ),
    );
    if (added < 0) throw new UnknownPoolError(pool.campaignId, pool.poolId);
    return added;
  }

  /** One round trip for a whole batch. False if the campaign instance is gone (nothing recorded). */
  async record(pool: PoolAddress, grabs: readonly SettledGrab[]): Promise<boolean> {
    const keys = [poolKey(pool), ...outcomeKeys(pool)];
    return Number(await this.scripts.recordOutcomes(keys, outcomeArgs(grabs))) === 1;
  }

  /** False if the campaign instance is gone (nothing recorded). */
  async recordRejected(campaign: CampaignAddress, jobId: string, reason: string): Promise<boolean> {
    const keys = [campaignKey(campaign.campaignId), rejectedKey(campaign)];
    return (
      Number(
        await this.scripts.recordRejected(keys, [campaign.instance, jobId, reason.slice(0, MAX_REASON_LENGTH)]),
      ) === 1
    );
  }

  /** Puts failed grabs back to pending, before their jobs are enqueued again; returns how many were failed. */
  async redrive(pool: PoolAddress, jobIds: readonly string[]): Promise<number> {
    const moved = Number(
      await this.scripts.redriveFailed(
        [poolKey(pool), outcomesKey(pool), outcomeSlotsKey(pool), progressKey(pool, pool.stripe)],
        jobIds,
      ),
    );
    if (moved < 0) throw new UnknownPoolError(pool.campaignId, pool.poolId);
    return moved;
  }

  /** A campaign's progress: one read, sent together, of its stripes' counters and its rejections. */
  async progress(campaign: CampaignAddress, stripes: number): Promise<CampaignProgress> {
    const [rejected, ...stripeHashes] = await Promise.all([
      this.redis.hlen(rejectedKey(campaign)),
      ...Array.from({ length: stripes }, (_, stripe) => this.redis.hgetall(progressKey(campaign, stripe))),
    ]);
    const outcomes = emptyCounts();
    outcomes.rejected = rejected as number;
    let pending = 0;
    for (const hash of stripeHashes as Record<string, string>[]) {
      const stripe = countsFromHash(hash);
      pending += stripe.pending;
      for (const k of Object.keys(outcomes) as Outcome[]) outcomes[k] += stripe.counts[k];
    }
    const finished = Object.values(outcomes).reduce((a, b) => a + b, 0);
    return { enqueued: finished + pending, pending, finished, outcomes };
  }

  /** The failed grabs of a pool with their reasons, a page of HSCAN at a time. */
  async *failures(pool: PoolAddress, pageSize = 1000): AsyncGenerator<FailedGrab> {
    yield* this.scanReasons(failuresKey(pool), pageSize);
  }

  /** The rejected grabs of a campaign instance with their reasons. */
  async *rejections(campaign: CampaignAddress, pageSize = 1000): AsyncGenerator<FailedGrab> {
    yield* this.scanReasons(rejectedKey(campaign), pageSize);
  }

  /** The outcome recorded for one grab, 'pending' if it waits, undefined if it was never enqueued. */
  async outcomeOf(pool: PoolAddress, jobId: string): Promise<PoolOutcome | 'pending' | undefined> {
    return (await this.outcomesOf(pool, [jobId]))[0];
  }

  /** The outcomes of many grabs of one pool, in one round trip (see outcomeOf). */
  async outcomesOf(pool: PoolAddress, jobIds: readonly string[]): Promise<Array<PoolOutcome | 'pending' | undefined>> {
    if (jobIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const jobId of jobIds) {
      const slot = slotOfJobId(jobId);
      if (slot === undefined) pipeline.hget(outcomesKey(pool), jobId);
      else pipeline.bitfield(outcomeSlotsKey(pool), 'GET', 'u4', `#${slot}`);
    }
    return ((await pipeline.exec()) ?? []).map(([err, reply]) => {
      if (err) throw err;
      const code = Array.isArray(reply) ? SLOT_CODES[reply[0] as number] : (reply as string | null);
      return code ? outcomeFromCode(code) : undefined;
    });
  }

  private async *scanReasons(key: string, pageSize: number): AsyncGenerator<FailedGrab> {
    let cursor = '0';
    do {
      const [next, fields] = await this.redis.hscan(key, cursor, 'COUNT', pageSize);
      for (let i = 0; i < fields.length; i += 2) yield { jobId: fields[i]!, reason: fields[i + 1]! };
      cursor = next;
    } while (cursor !== '0');
  }
}
