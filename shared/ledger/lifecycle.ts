import type { RedisClient } from '../redis/connection.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import { campaignKey, poolKey, type CampaignAddress, type PoolAddress } from './keys.js';
import { poolAddresses, type CampaignRecord, type CampaignState } from './ledger-types.js';

const scriptNames = ['setCampaignState', 'finishCampaignState', 'setPoolState'] as const;
/** Pools changed concurrently (one script each, pipelined on the connection). */
const POOLS_IN_FLIGHT = 500;

/** What the campaign hash holds after asking for a state (see set-campaign-state.lua). */
export interface RecordedState {
  status: 'changed' | 'unchanged' | 'refused' | 'not_due';
  state: CampaignState;
  seq: number;
  /** When the state began: the close, the expiry instant, the pause or the resume. */
  atMs: number | undefined;
  /** Every pool has it. */
  done: boolean;
}

/** What one pool's close or expiry handed back, recorded once. */
export interface Refund {
  pool: string;
  cents: number;
  packets: number;
  atMs: number;
  /** The instant from which the pool granted nothing: the close, or the expiry instant. */
  closedAtMs: number;
}

export type PoolStateChange =
  | { status: 'set' | 'stale'; state: CampaignState }
  | { status: 'not_due' }
  /** `refunded`: by this call; `final`: by an earlier one. */
  | { status: 'refunded' | 'final'; state: CampaignState; refund: Refund };

/** The result of a campaign-wide change, once every pool has the campaign's state. */
export interface LifecycleChange extends RecordedState {
  /** The refunds this call made (a pool refunded earlier is not among them). */
  refunds: Refund[];
}

/**
 * The state a campaign is in at `nowMs` (the Redis server's clock): an expiry that has passed
 * counts even before a sweep has recorded it, since the grant scripts already refuse from then.
 */
export const stateAt = (record: Pick<CampaignRecord, 'state' | 'expiresAtMs'>, nowMs: number): CampaignState =>
  (record.state === 'open' || record.state === 'paused') &&
  record.expiresAtMs !== undefined &&
  nowMs >= record.expiresAtMs
    ? 'expired'
    : record.state;

/** Milliseconds on the Redis server's clock, the one the lifecycle scripts read. */
export async function redisNowMs(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * The lifecycle scripts: the campaign's wanted state on its own hash, then each pool's in a
 * single-slot step of its own (the campaign hash and the pools live in different slots).
 */
export class CampaignLifecycle {
  private readonly scripts;

  constructor(redis: RedisClient) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), scriptNames);
  }

  /** Records the state wanted for the campaign; undefined if the instance is gone. */
  async recordState(campaign: CampaignAddress, wanted: CampaignState): Promise<RecordedState | undefined> {
    const reply = (await this.scripts.setCampaignState(
      [campaignKey(campaign.campaignId)],
      [campaign.instance, wanted],
    )) as string[];
    if (reply[0] === 'gone') return undefined;
    const [status, state, seq, at, done] = reply;
    return {
      status: status as RecordedState['status'],
      state: state as CampaignState,
      seq: Number(seq),
      atMs: at === '' ? undefined : Number(at),
      done: done === '1',
    };
  }

  async setPoolState(pool: PoolAddress, state: CampaignState, seq: number): Promise<PoolStateChange | undefined> {
    const [status, ...rest] = (await this.scripts.setPoolState([poolKey(pool)], [state, seq])) as string[];
    switch (status) {
      case 'set':
      case 'stale':
        return { status, state: rest[0] as CampaignState };
      case 'not_due':
        return { status };
      case 'refunded':
      case 'final': {
        const [poolState, cents, packets, at, closedAt] = rest;
        return {
          status,
          state: poolState as CampaignState,
          refund: {
            pool: pool.poolId,
            cents: Number(cents),
            packets: Number(packets),
            atMs: Number(at),
            closedAtMs: Number(closedAt),
          },
        };
      }
      default:
        return undefined;
    }
  }

  /** Notes that every pool has the state recorded as `seq`; false if it changed since. */
  async finish(campaign: CampaignAddress, seq: number): Promise<boolean> {
    return (
      Number(await this.scripts.finishCampaignState([campaignKey(campaign.campaignId)], [campaign.instance, seq])) === 1
    );
  }

  /**
   * A campaign-wide change, safe against a crash halfway: records the state wanted first, then
   * gives it to each pool (refunding each at a close or an expiry), then notes it done. Running
   * it again, or any later change, finishes a change cut short. Undefined if the campaign
   * instance is gone.
   */
  async change(record: CampaignRecord, wanted: CampaignState): Promise<LifecycleChange | undefined> {
    const recorded = await this.recordState(record, wanted);
    if (!recorded) return undefined;
    const refunds: Refund[] = [];
    if (!recorded.done) {
      const pools = poolAddresses(record);
      for (let from = 0; from < pools.length; from += POOLS_IN_FLIGHT) {
        const changes = await Promise.all(
          pools
            .slice(from, from + POOLS_IN_FLIGHT)
            .map((pool) => this.setPoolState(pool, recorded.state, recorded.seq)),
        );
        for (const change of changes) if (change?.status === 'refunded') refunds.push(change.refund);
      }
      recorded.done = await this.finish(record, recorded.seq);
    }
    return { ...recorded, refunds };
  }
}
