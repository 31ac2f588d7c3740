import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../logging/logger.js';
import { loadLuaCommands } from '../redis/lua-scripts.js';
import { QUEUE_PREFIX, shardCountKey } from './queue-names.js';

export const membersKey = (queue: string): string => `${QUEUE_PREFIX}:${queue}:members`;

export interface MembershipOptions {
  /** How often this member says it is alive. */
  heartbeatMs: number;
  /** How long a member may stay silent before the others take over its shards. */
  ttlMs: number;
}

export const defaultMembership: MembershipOptions = { heartbeatMs: 1000, ttlMs: 5000 };

/**
 * The worker processes consuming one queue, as a heartbeat list in Redis. Each member hears the
 * sorted list of live members, and the queue's recorded shard count, after every heartbeat. A member that stops (kill -9, SIGSTOP, a
 * cut link) drops out after `ttlMs`; if it comes back it simply joins again.
 */
export class FleetMembership {
  /** Sorts by start time first, so a newcomer joins at the end of the list. */
  readonly id =
    `${Date.now().toString().padStart(15, '0')}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly scripts;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating: Promise<void> = Promise.resolve();
  private last = '';

  constructor(
    private readonly redis: RedisClient,
    private readonly queue: string,
    private readonly logger: Logger,
    private readonly options: MembershipOptions = defaultMembership,
  ) {
    this.scripts = loadLuaCommands(redis, new URL('./lua/', import.meta.url), ['heartbeatMember']);
  }

  /**
   * Joins, then calls `onMembers` with the live members and the recorded shard count (undefined
   * if none is) after every heartbeat where either changed. `onMembers` must not block: the next
   * heartbeat waits for it.
   */
  async start(onMembers: (members: string[], shardCount: number | undefined) => void): Promise<void> {
    const beat = async () => {
      try {
        const [shardCount, members] = (await this.scripts.heartbeatMember(
          [membersKey(this.queue), shardCountKey(this.queue)],
          [this.id, this.options.ttlMs],
        )) as [number, string[]];
        const listed = `${shardCount}:${members.join(',')}`;
        if (listed !== this.last && !this.stopped) {
          this.last = listed;
          this.logger.info({ members: members.length, shardCount, self: this.id }, 'fleet membership changed');
          onMembers(members, shardCount > 0 ? shardCount : undefined);
        }
      } catch (err) {
        this.logger.warn({ err }, 'fleet heartbeat failed; keeping the current shards');
      }
    };
    const loop = () => {
      this.timer = setTimeout(() => {
        this.beating = beat().then(() => {
          if (!this.stopped) loop();
        });
      }, this.options.heartbeatMs);
    };
    this.beating = beat();
    await this.beating;
    loop();
  }

  /** Leaves at once, so the others take over this member's shards without waiting out the ttl. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beating;
    await this.redis.zrem(membersKey(this.queue), this.id).catch(() => undefined);
  }
}
