import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { Settings } from '../shared/config/settings.js';
import type { Logger } from '../shared/logging/logger.js';
import { shardQueuePrefix } from '../shared/queue/queue-names.js';
import { shardQueueName } from '../shared/queue/queue-shards.js';

export interface ShardConsumerOptions {
  queue: string;
  /**
   * Jobs in flight per shard consumed. Not shared out over the shards: the load of a campaign is
   * rarely even (one hot pool fills one shard), and a busy shard must not starve for an idle one.
   */
  concurrency: number;
  processor: Processor;
  /** Everything but the concurrency. */
  /** Options of every shard's worker; each gets its shard's key prefix. */
  workerOptions: Omit<WorkerOptions, 'concurrency' | 'autorun' | 'prefix'>;
  /** Told of each BullMQ worker started, to listen to its events. */
  onWorker: (worker: Worker) => void;
  logger: Logger;
}

/**
 * BullMQ's job lock and stall check, from the settings: together they bound how long the jobs of
 * a worker that died stay taken before they go back to the queue.
 */
export function jobLockOptions(
  settings: Pick<Settings, 'jobLockMs' | 'stalledIntervalMs'>,
): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'> {
  return { lockDuration: settings.jobLockMs, stalledInterval: settings.stalledIntervalMs };
}

/**
 * One BullMQ worker per shard this process is assigned. A shard taken away is closed gently:
 * its jobs in flight finish first, while the shard's new consumer may already start on the rest.
 */
export class ShardConsumer {
  private readonly workers = new Map<number, Worker>();
  private readonly closing = new Set<Promise<void>>();
  private paused = false;

  constructor(private readonly options: ShardConsumerOptions) {}

  get shards(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  assign(shards: readonly number[]): void {
    const wanted = new Set(shards);
    for (const [shard, worker] of this.workers) {
      if (wanted.has(shard)) continue;
      this.workers.delete(shard);
      this.track(worker.close());
    }
    for (const shard of shards) if (!this.workers.has(shard)) this.workers.set(shard, this.start(shard));
    this.options.logger.info({ shards: this.shards }, 'consuming shards');
  }

  /** Stops taking new jobs on every shard, now and on shards assigned later; jobs in flight go on. */
  pause(): void {
    this.paused = true;
    for (const worker of this.workers.values()) this.pauseWorker(worker);
  }

  resume(): void {
    this.paused = false;
    for (const worker of this.workers.values())
      worker.resume().catch((err: unknown) => this.options.logger.warn({ err }, 'resuming a shard worker failed'));
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
  }

  /** Stops taking jobs on every shard and resolves once the jobs in flight have finished. */
  async close(): Promise<void> {
    for (const worker of this.workers.values()) this.track(worker.close());
    this.workers.clear();
    while (this.closing.size > 0) await Promise.all(this.closing);
  }

  private start(shard: number): Worker {
    const worker = new Worker(shardQueueName(this.options.queue, shard), this.options.processor, {
      ...this.options.workerOptions,
      prefix: shardQueuePrefix(shard),
      concurrency: this.options.concurrency,
    });
    this.options.onWorker(worker);
    if (this.paused) this.pauseWorker(worker);
    return worker;
  }

  private pauseWorker(worker: Worker): void {
    worker.pause(true).catch((err: unknown) => this.options.logger.warn({ err }, 'pausing a shard worker failed'));
  }

  private track(closed: Promise<void>): void {
    const tracked: Promise<void> = closed
      .catch((err: unknown) => this.options.logger.warn({ err }, 'closing a shard worker failed'))
      .finally(() => this.closing.delete(tracked));
    this.closing.add(tracked);
  }
}
