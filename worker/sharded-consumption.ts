import type { RedisClient } from '../shared/redis/connection.js';
import { FleetMembership, defaultMembership, type MembershipOptions } from '../shared/queue/fleet-membership.js';
import { assignShards } from '../shared/queue/queue-shards.js';
import { ShardConsumer, type ShardConsumerOptions } from './shard-consumer.js';

export interface ShardedConsumption {
  readonly consumer: ShardConsumer;
  /** Leaves the fleet, then waits for the jobs in flight; false if they did not finish within `graceMs`. */
  stop(graceMs: number): Promise<boolean>;
}

export interface ShardedConsumptionOptions extends ShardConsumerOptions {
  redis: RedisClient;
  /** The configured count; a recorded one (`grab queue reshard`) is followed instead as soon as a heartbeat reads it. */
  shardCount: number;
  /** false: consume every shard, coordinating with nobody (the unlocked demonstration). */
  affinity: boolean;
  membership?: MembershipOptions;
}

/**
 * Joins the fleet of `options.queue` and consumes the shards its place in the fleet assigns,
 * following every change of membership; or, without affinity, every shard.
 */
export async function startShardedConsumption(options: ShardedConsumptionOptions): Promise<ShardedConsumption> {
  const consumer = new ShardConsumer(options);
  const membership = options.affinity
    ? new FleetMembership(options.redis, options.queue, options.logger, options.membership ?? defaultMembership)
    : undefined;
  if (membership)
    await membership.start((members, recorded) =>
      consumer.assign(assignShards(members, membership.id, recorded ?? options.shardCount)),
    );
  else consumer.assign(Array.from({ length: options.shardCount }, (_, i) => i));
  await consumer.waitUntilReady();
  return {
    consumer,
    async stop(graceMs) {
      await membership?.stop();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
      const closed = await Promise.race([consumer.close().then(() => true as const), timedOut]);
      clearTimeout(timer);
      return closed;
    },
  };
}
