import type { Logger } from '../logging/logger.js';
import type { PoolMetrics } from './metrics.js';
import { poolName } from '../campaign/pool-name.js';

export interface PoolBalance {
  remainingCents: number;
  remainingPackets: number;
}

export interface PoolLabels {
  campaign: string;
  pool: string;
}

/**
 * The pools' balances in the ledger, in one round trip, in order; undefined for a pool that is gone
 * (its campaign was deleted).
 */
export type PoolBalancesReader = (pools: readonly PoolLabels[]) => Promise<(PoolBalance | undefined)[]>;

export interface PoolGaugeLimits {
  /** Pools exported per process, at most. Pools beyond are not exported, which is logged once. */
  maxPools: number;
  /** A pool that granted nothing for this long leaves the export. */
  idleMs: number;
  /** How often the balances of the pools that granted since the last look are read, all in one round trip. */
  refreshMs: number;
}

const defaultPoolGaugeLimits: PoolGaugeLimits = { maxPools: 1000, idleMs: 60_000, refreshMs: 1000 };

interface ExportedPool {
  labels: PoolLabels;
  lastGrantAt: number;
  balanceDue: boolean;
}

/**
 * The per-pool gauges (remaining cents and packets, lock contenders), kept bounded. A pool
 * enters when this process grants from it and leaves when its campaign is found deleted or it
 * has granted nothing for `idleMs`. A sold-out pool therefore reads 0 for `idleMs` after its
 * last packet, long enough for dashboards to count it sold out, and then goes. Balances come
 * from the ledger on a timer, in one pipelined read of the pools that granted since the last
 * look (at most `maxPools` of them), so the grab path itself only flags the pool and a scrape
 * reads nothing.
 */
export class PoolGauges {
  private readonly pools = new Map<string, ExportedPool>();
  private capReported = false;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly metrics: PoolMetrics,
    private readonly readBalances: PoolBalancesReader,
    private readonly logger: Logger,
    private readonly limits: PoolGaugeLimits = defaultPoolGaugeLimits,
  ) {}

  /** After a lock acquisition; `lockKey` is "campaign/pool" (worker/deductions.ts). Only exported pools are set. */
  contenders(lockKey: string, contenders: number): void {
    const pool = this.pools.get(lockKey);
    if (pool) this.metrics.contenders.set(pool.labels, contenders);
  }

  /** After a batch committed grants from the pool: its balance is read at the next refresh. */
  granted(campaignId: string, poolId: string, now = Date.now()): void {
    const key = poolName(campaignId, poolId);
    const pool = this.pools.get(key) ?? this.admit(key, campaignId, poolId);
    if (!pool) return;
    pool.lastGrantAt = now;
    pool.balanceDue = true;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    }, this.limits.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** Drops idle pools, then reads the balances that are due. */
  async refresh(now = Date.now()): Promise<void> {
    for (const [key, pool] of this.pools) if (now - pool.lastGrantAt >= this.limits.idleMs) this.remove(key, pool);
    const due = [...this.pools].filter(([, pool]) => pool.balanceDue);
    if (due.length === 0) return;
    for (const [, pool] of due) pool.balanceDue = false;
    let balances: (PoolBalance | undefined)[];
    try {
      balances = await this.readBalances(due.map(([, pool]) => pool.labels));
    } catch (err) {
      for (const [, pool] of due) pool.balanceDue = true;
      this.logger.debug({ err, pools: due.length }, 'pool balances not read; trying again at the next refresh');
      return;
    }
    for (const [i, [key, pool]] of due.entries()) {
      if (this.pools.get(key) !== pool) continue;
      const balance = balances[i];
      if (!balance) {
        this.remove(key, pool);
        continue;
      }
      this.metrics.remainingCents.set(pool.labels, balance.remainingCents);
      this.metrics.remainingPackets.set(pool.labels, balance.remainingPackets);
    }
  }

  private admit(key: string, campaign: string, pool: string): ExportedPool | undefined {
    if (this.pools.size >= this.limits.maxPools) {
      if (!this.capReported) {
        this.capReported = true;
        this.logger.warn(
          { maxPools: this.limits.maxPools, pool: key },
          'pool gauges are full: pools beyond the cap are not exported by this process',
        );
      }
      return undefined;
    }
    const exported: ExportedPool = { labels: { campaign, pool }, lastGrantAt: 0, balanceDue: false };
    this.pools.set(key, exported);
    return exported;
  }

  private remove(key: string, pool: ExportedPool): void {
    this.pools.delete(key);
    this.metrics.remainingCents.remove(pool.labels);
    this.metrics.remainingPackets.remove(pool.labels);
    this.metrics.contenders.remove(pool.labels);
  }
}
