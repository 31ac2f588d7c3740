import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the fleet exports, each defined once. A process builds one registry and takes
 * the groups it needs. Per-pool labels appear only on the gauges of poolMetrics, which
 * PoolGauges keeps bounded; no histogram carries one.
 */

/** From a free hand-off to a wait that outlasts a ZooKeeper session timeout (10 s) or the lock timeout (30 s). */
const LOCK_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];
/** Grabs per batch, from 1 to well past the default --max-batch of 64. */
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/** A registry with prom-client's process metrics (CPU, memory, event-loop lag) already in it. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function lockMetrics(registry: Registry) {
  const registers = [registry];
  return {
    waitSeconds: new Histogram({
      name: 'grab_lock_wait_seconds',
      help: 'Time from asking for a pool lock to holding it',
      labelNames: ['strategy'] as const,
      buckets: LOCK_SECONDS_BUCKETS,
      registers,
    }),
    holdSeconds: new Histogram({
      name: 'grab_lock_hold_seconds',
      help: 'Time a pool lock was held, from acquisition to release',
      labelNames: ['strategy'] as const,
      buckets: LOCK_SECONDS_BUCKETS,
      registers,
    }),
    wakeups: new Counter({
      name: 'grab_lock_wakeups_total',
      help: 'Lock waiters woken by a ZooKeeper watch: acquired if the waiter then held the lock, spurious if not',
      labelNames: ['strategy', 'result'] as const,
      registers,
    }),
    releases: new Counter({
      name: 'grab_lock_releases_total',
      help: 'ZooKeeper locks released (herd size = wakeups / releases)',
      labelNames: ['strategy'] as const,
      registers,
    }),
    lost: new Counter({
      name: 'grab_lock_lost_total',
      help: 'Held locks that reported themselves lost, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

/**
 * A grab's outcome as counted: the ledger's outcomes; error for a batch that failed (its grabs
 * are retried); postponed for grabs put back while a lock service or the ledger is unreachable
 * (no attempt is spent); discarded for grabs of a campaign deleted meanwhile.
 */
export const grabOutcomes = [
  'granted',
  'sold_out',
  'duplicate',
  'expired',
  'rejected',
  'failed',
  'error',
  'postponed',
  'discarded',
] as const;

/** Why admission settled a batch without the lock: the pool was closed or expired, or sold out. */
export const admissionReasons = ['expired', 'sold_out'] as const;

export function grabMetrics(registry: Registry) {
  const registers = [registry];
  const grabs = new Counter({
    name: 'grab_grabs_total',
    help:
      'Grabs handled, by outcome; error: the batch failed and its grabs are ' +
      'retried; postponed: put back while a dependency is unreachable; ' +
      'discarded: its campaign was deleted',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Every outcome starts at 0, so rate() and increase() see the first grab of each.
  for (const outcome of grabOutcomes) grabs.inc({ outcome }, 0);
  return {
    grabs,
    grantedCents: new Counter({
      name: 'grab_granted_cents_total',
      help: 'Cents in the packets granted (a redelivered grab replaying its own grant counts again)',
      registers,
    }),
    admissionSettled: (() => {
      const settled = new Counter({
        name: 'grab_admission_settled_total',
        help: "Grabs settled at admission, without the pool's lock: its pool was closed or expired, or sold out",
        labelNames: ['reason'] as const,
        registers,
      });
      for (const reason of admissionReasons) settled.inc({ reason }, 0);
      return settled;
    })(),
    fencingRejections: new Counter({
      name: 'grab_fencing_rejections_total',
      help: 'Commits the ledger refused because a newer lock holder had committed (fenced out)',
      registers,
    }),
    commitsUnconfirmed: new Counter({
      name: 'grab_commits_unconfirmed_total',
      help:
        'Commits (grants, or recorded outcomes) fewer replicas than GRAB_COMMIT_REPLICAS acknowledged ' +
        'within GRAB_COMMIT_WAIT_MS; their grabs are put back and tried again',
      registers,
    }),
    commitReplicas: new Gauge({
      name: 'grab_commit_replicas',
      help: 'Replicas each commit waits for (GRAB_COMMIT_REPLICAS as resolved at start; 0: no wait)',
      registers,
    }),
    batchSize: new Histogram({
      name: 'grab_batch_size',
      help: 'Grabs of one pool settled together under one lock acquisition',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    }),
  };
}

export function poolMetrics(registry: Registry) {
  const registers = [registry];
  return {
    remainingCents: new Gauge({
      name: 'grab_pool_remaining_cents',
      help: 'Cents left in a pool, as last read from the ledger by this process',
      labelNames: ['campaign', 'pool'] as const,
      registers,
    }),
    remainingPackets: new Gauge({
      name: 'grab_pool_remaining_packets',
      help: 'Packets left in a pool, as last read from the ledger by this process',
      labelNames: ['campaign', 'pool'] as const,
      registers,
    }),
    contenders: new Gauge({
      name: 'grab_lock_contenders',
      help: 'Contenders queued on a pool lock, the holder included, at its last acquisition in this process',
      labelNames: ['campaign', 'pool'] as const,
      registers,
    }),
  };
}

/**
 * Registered only by processes that use ZooKeeper, so a Redis-locked worker never reads as
 * disconnected. `connected` is sampled at each scrape: the state itself, not a replay of events.
 */
export function zooKeeperMetrics(registry: Registry, connected: () => boolean) {
  const registers = [registry];
  return {
    connected: new Gauge({
      name: 'grab_zk_connected',
      help: '1 while this process has a connected ZooKeeper session',
      registers,
      collect() {
        this.set(connected() ? 1 : 0);
      },
    }),
    disconnects: new Counter({
      name: 'grab_zk_disconnects_total',
      help: 'Times the ZooKeeper connection dropped (the session may survive it)',
      registers,
    }),
    sessionExpirations: new Counter({
      name: 'grab_zk_session_expirations_total',
      help: 'ZooKeeper sessions the server expired',
      registers,
    }),
  };
}

/** How many queue shards this worker consumes, sampled at each scrape: shows how the fleet split them. */
export function shardMetrics(registry: Registry, consumed: () => number) {
  return new Gauge({
    name: 'grab_queue_shards_consumed',
    help: 'Queue shards this worker process consumes (0 while it has none: more workers than shards)',
    registers: [registry],
    collect() {
      this.set(consumed());
    },
  });
}

/**
 * BullMQ's queue gauge under BullMQ's own name and help, one series per state, summed over the
 * queue's shards and labelled with the queue's name, so dashboards see one queue however it is
 * split. Sampled at each scrape; left out of a scrape the counts are unknown for.
 */
export function queueMetrics(
  registry: Registry,
  queue: string,
  counts: () => Promise<Record<string, number> | undefined>,
) {
  return new Gauge({
    name: 'bullmq_job_count',
    help: 'Number of jobs in the queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const byState = await counts();
      this.reset();
      for (const [state, count] of Object.entries(byState ?? {})) this.set({ queue, state }, count);
    },
  });
}

/** `backlog` is sampled at each scrape; undefined (Redis unreachable) keeps the last value. */
export function producerMetrics(registry: Registry, backlog: () => Promise<number | undefined>) {
  const registers = [registry];
  return {
    producedJobs: new Counter({
      name: 'grab_produced_jobs_total',
      help: 'Grab jobs this producer has enqueued',
      registers,
    }),
    doorSettled: new Counter({
      name: 'grab_producer_door_settled_total',
      help: 'Grabs this producer settled at the door, without enqueuing them: the pool was sold out, closed or expired',
      registers,
    }),
    backlog: new Gauge({
      name: 'grab_producer_backlog',
      help: 'Grab jobs waiting in the queue, as the producer last saw it',
      registers,
      async collect() {
        const waiting = await backlog();
        if (waiting !== undefined) this.set(waiting);
      },
    }),
  };
}

/** A campaign as the last expiry sweep saw it: its state and, once closed or expired, its refund. */
export interface CampaignSnapshot {
  campaign: string;
  state: string;
  refundedCents: number;
  refundedPackets: number;
}

/**
 * The lifecycle as each worker's expiry sweep sees it: one series per campaign (bounded by the
 * campaigns that exist, sampled at each scrape from the last sweep) and the refunds this process
 * made, by the state that made them.
 */
export function lifecycleMetrics(
  registry: Registry,
  campaigns: () => readonly CampaignSnapshot[],
  states: readonly string[],
) {
  const registers = [registry];
  const perCampaign = (name: string, what: string, value: (c: CampaignSnapshot) => number) =>
    new Gauge({
      name,
      help: `${what} refunded by a closed or expired campaign, over all its pools`,
      labelNames: ['campaign'] as const,
      registers,
      collect() {
        this.reset();
        for (const c of campaigns()) this.set({ campaign: c.campaign }, value(c));
      },
    });
  return {
    state: new Gauge({
      name: 'grab_campaign_state',
      help:
        "A campaign's state as the last expiry sweep saw it: " +
        '1 for its state (open, paused, closed, expired), 0 for the others',
      labelNames: ['campaign', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const c of campaigns())
          for (const state of states) this.set({ campaign: c.campaign, state }, c.state === state ? 1 : 0);
      },
    }),
    refundedCents: perCampaign('grab_campaign_refunded_cents', 'Cents', (c) => c.refundedCents),
    refundedPackets: perCampaign('grab_campaign_refunded_packets', 'Packets', (c) => c.refundedPackets),
    refunds: new Counter({
      name: 'grab_refunds_total',
      help:
        'Pools this process refunded in its expiry sweep (each pool is refunded once, fleet-wide), ' +
        'by the state that refunded it',
      labelNames: ['state'] as const,
      registers,
    }),
  };
}

/** From a grab answered from memory to a `?wait` that runs out (30 s). */
const REQUEST_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Grabs per bulk add of the API's intake, up to its largest batch. */
const INTAKE_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * The HTTP API's requests, by route template (never the path itself: ids would make the labels
 * unbounded), method and status class (2xx, 4xx, 5xx); its intake's bulk adds; the grabs it settled at
 * the door, by outcome.
 */
export function apiMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames = ['route', 'method', 'status_class'] as const;
  return {
    requests: new Counter({
      name: 'grab_api_requests_total',
      help: 'HTTP requests answered by the API, by route template, method and status class',
      labelNames,
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'grab_api_request_duration_seconds',
      help: 'Time from an HTTP request arriving to its answer, by route template, method and status class',
      labelNames,
      buckets: REQUEST_SECONDS_BUCKETS,
      registers,
    }),
    intakeBatch: new Histogram({
      name: 'grab_api_intake_batch_size',
      help: 'Grabs the API enqueued together in one bulk add',
      buckets: INTAKE_BATCH_BUCKETS,
      registers,
    }),
    doorSettled: new Counter({
      name: 'grab_api_door_settled_total',
      help: 'Grabs the API answered at the door, without enqueuing them: the pool was sold out, closed or expired',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type ApiMetrics = ReturnType<typeof apiMetrics>;
export type LockMetrics = ReturnType<typeof lockMetrics>;
export type LifecycleMetrics = ReturnType<typeof lifecycleMetrics>;
export type GrabMetrics = ReturnType<typeof grabMetrics>;
export type PoolMetrics = ReturnType<typeof poolMetrics>;
