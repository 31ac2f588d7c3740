import type { RedisClient } from '../shared/redis/connection.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import { poolAddresses, type CampaignState } from '../shared/ledger/ledger-types.js';
import { redisNowMs, stateAt, type CampaignLifecycle, type Refund } from '../shared/ledger/lifecycle.js';
import { campaignKey } from '../shared/ledger/keys.js';
import type { Logger } from '../shared/logging/logger.js';
import type { CampaignSnapshot } from '../shared/metrics/metrics.js';

const MAX_REMEMBERED = 10_000;

export interface ExpirySweeperDeps {
  redis: RedisClient;
  ledger: Ledger;
  lifecycle: CampaignLifecycle;
  logger: Logger;
  /** Hears each refund this process made. */
  onRefund: (state: 'closed' | 'expired') => void;
  intervalMs: number;
}

/**
 * Expiry without an operator: every worker process sweeps the campaigns once per interval. A
 * campaign past its expiry instant (Redis server clock) is recorded expired and its pools are
 * refunded; a lifecycle change cut short (an operator's close that crashed halfway, say) is
 * finished. Sweeps of several workers may overlap: a pool is refunded at most once
 * (set-pool-state.lua), so each refund happens in exactly one of them.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;
  /** What the last sweep saw, for the metrics. */
  private seen: CampaignSnapshot[] = [];
  /** The refund of each finished campaign instance, read once: it never changes. */
  private readonly finishedRefunds = new Map<string, Pick<CampaignSnapshot, 'refundedCents' | 'refundedPackets'>>();

  constructor(private readonly deps: ExpirySweeperDeps) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .catch((err: unknown) => {
          if (!this.failing) this.deps.logger.warn({ err }, 'expiry sweep failed; retrying every sweep');
          this.failing = true;
        })
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.timer = setTimeout(tick, this.deps.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Every campaign as the last sweep saw it. */
  campaigns(): readonly CampaignSnapshot[] {
    return this.seen;
  }

  /** One pass over every campaign; returns the refunds it made. */
  async sweep(): Promise<Refund[]> {
    const { redis, ledger, lifecycle, logger } = this.deps;
    const ids = await ledger.listCampaigns();
    const replies = await Promise.all(
      ids.map((id) => redis.hmget(campaignKey(id), 'state', 'state_done', 'expires_at_ms', 'instance')),
    );
    const nowMs = await redisNowMs(redis);
    const refunds: Refund[] = [];
    const seen: CampaignSnapshot[] = [];
    for (const [i, [state, done, expiresAt, instance]] of replies.entries()) {
      if (instance === null) continue;
      const recorded = {
        state: (state ?? 'open') as CampaignState,
        expiresAtMs: expiresAt === null ? undefined : Number(expiresAt),
      };
      const due = stateAt(recorded, nowMs);
      const finishedKey = `${ids[i]}@${instance}`;
      if (due === recorded.state && done !== '0') {
        seen.push({
          campaign: ids[i]!,
          state: due,
          ...(this.finishedRefunds.get(finishedKey) ?? (await this.refundOf(ids[i]!, finishedKey, due))),
        });
        continue;
      }
      const record = await ledger.getCampaign(ids[i]!);
      const change = record && (await lifecycle.change(record, due));
      if (!change) continue;
      seen.push({ campaign: ids[i]!, state: change.state, refundedCents: 0, refundedPackets: 0 });
      const finalState = change.state === 'closed' || change.state === 'expired' ? change.state : undefined;
      for (const _ of change.refunds) if (finalState) this.deps.onRefund(finalState);
      refunds.push(...change.refunds);
      if (change.refunds.length > 0)
        logger.info(
          { campaign: ids[i], state: change.state, pools: change.refunds.length },
          `campaign ${change.state}: refunded its pools`,
        );
    }
    this.failing = false;
    this.seen = seen;
    return refunds;
  }

  /** A finished campaign's refund over all its pools, read once per instance; nothing for one still running. */
  private async refundOf(
    campaignId: string,
    key: string,
    state: CampaignState,
  ): Promise<Pick<CampaignSnapshot, 'refundedCents' | 'refundedPackets'>> {
    const none = { refundedCents: 0, refundedPackets: 0 };
    if (state !== 'closed' && state !== 'expired') return none;
    const record = await this.deps.ledger.getCampaign(campaignId);
    if (!record) return none;
    const pools = await this.deps.ledger.poolStates(poolAddresses(record));
    const refund = {
      refundedCents: pools.reduce((sum, p) => sum + (p?.refundedCents ?? 0), 0),
      refundedPackets: pools.reduce((sum, p) => sum + (p?.refundedPackets ?? 0), 0),
    };
    if (this.finishedRefunds.size >= MAX_REMEMBERED) this.finishedRefunds.clear();
    this.finishedRefunds.set(key, refund);
    return refund;
  }
}
