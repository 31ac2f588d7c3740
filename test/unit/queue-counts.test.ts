import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { queueMetrics } from '../../shared/metrics/metrics.js';
import { QueueCounts, type JobCounts } from '../../shared/metrics/queue-counts.js';

/** A queue whose counts come from `next`, counting the reads; the clock is set by hand. */
function fakeQueue(next: () => Promise<JobCounts>) {
  const queue = {
    name: 'grab',
    reads: 0,
    jobCounts: () => {
      queue.reads++;
      return next();
    },
  };
  return queue;
}

describe('queue counts', () => {
  it('read once per max age, however many scrapes ask, and share a read in flight', async () => {
    let clock = 0;
    let release: (counts: JobCounts) => void = () => undefined;
    const queue = fakeQueue(() => new Promise((resolve) => (release = resolve)));
    const counts = new QueueCounts(queue, 5000, () => clock);
    const concurrent = [counts.get(), counts.get(), counts.get()];
    expect(queue.reads).toBe(1);
    release({ waiting: 7 });
    expect(await Promise.all(concurrent)).toEqual([{ waiting: 7 }, { waiting: 7 }, { waiting: 7 }]);
    clock = 4999;
    await expect(counts.get()).resolves.toEqual({ waiting: 7 });
    expect(queue.reads).toBe(1);
    clock = 5000;
    const fresh = counts.get();
    release({ waiting: 3 });
    await expect(fresh).resolves.toEqual({ waiting: 3 });
    expect(queue.reads).toBe(2);
  });

  it('give undefined for a failed read, and keep it for the max age too', async () => {
    let clock = 0;
    let fail = true;
    const queue = fakeQueue(async () => {
      if (fail) throw new Error('redis away');
      return { waiting: 1 };
    });
    const counts = new QueueCounts(queue, 5000, () => clock);
    await expect(counts.get()).resolves.toBeUndefined();
    fail = false;
    clock = 1000;
    await expect(counts.get()).resolves.toBeUndefined();
    expect(queue.reads).toBe(1);
    clock = 5000;
    await expect(counts.get()).resolves.toEqual({ waiting: 1 });
  });
});

describe('bullmq_job_count', () => {
  it('exports one series per state under the queue name, and none while the counts are unknown', async () => {
    const registry = new Registry();
    let counts: JobCounts | undefined = { waiting: 5, active: 2 };
    queueMetrics(registry, 'grab', async () => counts);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE bullmq_job_count gauge');
    expect(text).toContain('bullmq_job_count{queue="grab",state="waiting"} 5');
    expect(text).toContain('bullmq_job_count{queue="grab",state="active"} 2');
    counts = undefined;
    expect(await registry.metrics()).not.toMatch(/^bullmq_job_count\{/m);
  });
});
