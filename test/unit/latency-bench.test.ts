/** The pure parts of grab bench latency: the open-loop schedule and a level's row. */
import { describe, expect, it } from 'vitest';
import { LevelRecorder } from '../../bench/level-recorder.js';
import { batchSize, RateSchedule, scheduledUsers } from '../../bench/rate-schedule.js';

describe('RateSchedule', () => {
  it('spaces grabs evenly at the rate, for the whole duration', () => {
    const s = new RateSchedule(400, 1_000, 2.5);
    expect(s.count).toBe(1000);
    expect(s.intendedAt(0)).toBe(1_000);
    expect(s.intendedAt(1)).toBe(1_002.5);
    expect(s.intendedAt(400)).toBe(2_000);
    expect(new RateSchedule(3, 0, 1.1).count).toBe(4);
    expect(new RateSchedule(200, 0, 0.11).count).toBe(22);
  });

  it('finds the first grab at or after a time, exactly at the boundaries', () => {
    for (const rate of [1, 7, 333, 2500, 7919]) {
      const s = new RateSchedule(rate, 1_795_000_000_123, 3);
      for (const atMs of [s.startMs - 5, s.startMs, s.startMs + 1000, s.startMs + 1234.5, s.intendedAt(s.count) + 1]) {
        const first = s.firstAtOrAfter(atMs);
        if (first < s.count) expect(s.intendedAt(first)).toBeGreaterThanOrEqual(atMs);
        if (first > 0) expect(s.intendedAt(first - 1)).toBeLessThan(atMs);
      }
    }
  });

  it('refuses a rate that is not above 0', () => {
    expect(() => new RateSchedule(0, 0, 1)).toThrow('rate must be above 0');
  });

  it('sizes batches to the tick, one grab at least', () => {
    expect(batchSize(5000, 2)).toBe(10);
    expect(batchSize(100, 2)).toBe(1);
    expect(batchSize(1, 2)).toBe(1);
  });
});

describe('scheduledUsers', () => {
  it('completes a batch (the producer sends it then) only once its last user is due, never before', async () => {
    const s = new RateSchedule(200, Date.now() + 20, 0.11);
    const handed: [string, number][] = [];
    for await (const user of scheduledUsers(s, 4)) handed.push([user, Date.now()]);
    expect(handed.map(([u]) => u)).toEqual(Array.from({ length: 22 }, (_, i) => `u${i}`));
    handed.forEach(([, at], i) => {
      if (i % 4 === 3 || i === s.count - 1) expect(at).toBeGreaterThanOrEqual(s.intendedAt(i));
    });
  });

  it('hands overdue users over at once: a late sender catches up instead of shifting the schedule', async () => {
    const s = new RateSchedule(1000, Date.now() - 10_000, 1);
    const startedAt = Date.now();
    let n = 0;
    for await (const _ of scheduledUsers(s, 5)) n++;
    expect(n).toBe(1000);
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });
});

describe('LevelRecorder', () => {
  // 100 grabs/s from t=10,000 ms: 1 s warm-up (grabs 0-99), then 2 s measured (grabs 100-299).
  const recorder = (latencyOf: (i: number) => number) => {
    const schedule = new RateSchedule(100, 10_000, 3);
    const r = new LevelRecorder(0.5, schedule, 1000, 2000);
    for (let i = 0; i < schedule.count; i++) r.record(i, schedule.intendedAt(i) + latencyOf(i));
    return r;
  };

  it('measures from the intended send time, after the warm-up, into the row', () => {
    // Warm-up grabs are slow and must not count; measured ones take 5 ms, one in a hundred 80 ms.
    const r = recorder((i) => (i < 100 ? 5_000 : i % 100 === 50 ? 80 : 5));
    expect(r.done).toBe(true);
    expect(r.row(200, true)).toEqual({
      loadFraction: 0.5,
      offeredPerSec: 100,
      achievedPerSec: expect.any(Number),
      p50Ms: 5,
      p99Ms: 5,
      p999Ms: expect.closeTo(80, 0),
      ceilingPerSec: 200,
      invariantsOk: true,
    });
  });

  it('counts a stall against every grab it delayed (coordinated omission)', () => {
    // The system stops for 500 ms at t=11,500: each grab meant to be sent then waits it out.
    const stallEnd = 12_000;
    const r = recorder((i) => {
      const intended = 10_000 + i * 10;
      return intended >= 11_500 && intended < stallEnd ? stallEnd - intended + 5 : 5;
    });
    const row = r.row(200, true);
    // 50 of the 200 measured grabs (25%) were caught by the stall: the p99 is the stall's, not 5 ms.
    expect(row.p50Ms).toBe(5);
    expect(row.p99Ms).toBeGreaterThan(400);
    expect(row.p999Ms).toBeCloseTo(505, 0);
  });

  it('reports as achieved the outcomes recorded within the measured window, per second', () => {
    // Every outcome comes 0.5 s late: the window (11,000-13,000) sees grabs 50-249 settle.
    expect(recorder(() => 500).row(200, true).achievedPerSec).toBe(100);
    // Only the warm-up's 100 grabs settle in the window, the others long after it.
    expect(recorder((i) => (i < 100 ? 1_000 : 60_000)).row(200, true).achievedPerSec).toBe(50);
  });

  it('counts a grab settled twice (delivered again) once, and ignores indexes outside the schedule', () => {
    const schedule = new RateSchedule(10, 0, 1);
    const r = new LevelRecorder(0.25, schedule, 0, 1000);
    r.record(3, 50);
    r.record(3, 90);
    r.record(-1, 10);
    r.record(10, 10);
    r.record(Number.NaN, 10);
    expect(r.settled).toBe(1);
    expect(r.done).toBe(false);
  });
});
