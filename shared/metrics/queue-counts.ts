import type { ShardedQueue } from '../queue/sharded-queue.js';
import { scrapeSample } from './scrape-sample.js';

export type JobCounts = Record<string, number>;

/** Long enough that scrapes every 5 s (prometheus/prometheus.yml) mostly cost one read each, however many scrapers. */
const DEFAULT_MAX_AGE_MS = 5000;

/**
 * A queue's job counts by state, summed over its shards, as scrapes read them: one read (a
 * command per shard) serves every scrape for `maxAgeMs`, and scrapes that arrive while it is
 * in flight wait for it rather than start their own. A read that fails or misses the scrape
 * deadline gives undefined, also kept for `maxAgeMs`, so an outage costs no more.
 */
export class QueueCounts {
  readonly queue: string;
  private last: { at: number; counts: Promise<JobCounts | undefined> } | undefined;

  constructor(
    private readonly source: Pick<ShardedQueue, 'name' | 'jobCounts'>,
    private readonly maxAgeMs = DEFAULT_MAX_AGE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.queue = source.name;
  }

  get(): Promise<JobCounts | undefined> {
    const now = this.now();
    if (!this.last || now - this.last.at >= this.maxAgeMs)
      this.last = { at: now, counts: scrapeSample(this.source.jobCounts()) };
    return this.last.counts;
  }
}
