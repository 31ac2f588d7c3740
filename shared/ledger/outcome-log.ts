import type { Redis } from 'ioredis';
import type { Outcome } from '../queue/grab-job.js';

/**
 * The recorded outcome of every finished grab, keyed by job id, so a grab delivered twice is
 * still counted once. Pools keep theirs beside their balance (same hash tag); grabs rejected
 * before a pool was known are kept per campaign with their reason.
 */
export const outcomesKey = (campaignId: string, poolId: string): string => `grab:outcomes:{${campaignId}/${poolId}}`;
export const rejectedKey = (campaignId: string): string => `grab:rejected:{${campaignId}}`;

const codes = { granted: 'g', sold_out: 's', duplicate: 'd', rejected: 'r' } as const satisfies Record<Outcome, string>;
const outcomeOfCode = new Map<string, Outcome>(Object.entries(codes).map(([outcome, code]) => [code, outcome as Outcome]));

export type OutcomeCounts = Record<Outcome, number>;

export const emptyCounts = (): OutcomeCounts => ({ granted: 0, sold_out: 0, duplicate: 0, rejected: 0 });

export class OutcomeLog {
  constructor(private readonly redis: Redis) {}

  /** One round trip for a whole batch. */
  record(campaignId: string, poolId: string, outcomes: ReadonlyArray<readonly [jobId: string, outcome: Outcome]>): Promise<unknown> {
    const fields: string[] = [];
    for (const [jobId, outcome] of outcomes) fields.push(jobId, codes[outcome]);
    return this.redis.hset(outcomesKey(campaignId, poolId), ...fields);
  }

  recordRejected(campaignId: string, jobId: string, reason: string): Promise<unknown> {
    return this.redis.hset(rejectedKey(campaignId), jobId, reason.slice(0, 500));
  }

  /** Counts every recorded outcome of a campaign, scanning each pool's log. */
  async count(campaignId: string, poolIds: readonly string[]): Promise<{ counts: OutcomeCounts; perPool: Map<string, OutcomeCounts> }> {
    const counts = emptyCounts();
    const perPool = new Map<string, OutcomeCounts>();
    for (const poolId of poolIds) {
      const pool = emptyCounts();
      let cursor = '0';
      do {
        const [next, fields] = await this.redis.hscan(outcomesKey(campaignId, poolId), cursor, 'COUNT', 5000);
        for (let i = 1; i < fields.length; i += 2) pool[outcomeOfCode.get(fields[i]!) ?? 'rejected']++;
        cursor = next;
      } while (cursor !== '0');
      perPool.set(poolId, pool);
      for (const k of Object.keys(counts) as Outcome[]) counts[k] += pool[k];
    }
    counts.rejected += await this.redis.hlen(rejectedKey(campaignId));
    return { counts, perPool };
  }

  /** How many grabs of a campaign have a recorded outcome: one HLEN per pool, pipelined. */
  async finished(campaignId: string, poolIds: readonly string[]): Promise<number> {
    const pipeline = this.redis.pipeline();
    for (const poolId of poolIds) pipeline.hlen(outcomesKey(campaignId, poolId));
    pipeline.hlen(rejectedKey(campaignId));
    let total = 0;
    for (const [err, n] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      total += n as number;
    }
    return total;
  }

  keysOf(campaignId: string, poolIds: readonly string[]): string[] {
    return [...poolIds.map((p) => outcomesKey(campaignId, p)), rejectedKey(campaignId)];
  }
}
