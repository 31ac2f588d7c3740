import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An open-loop send schedule: grab i is meant to be sent at `startMs + i / rate`, whatever
 * happened to the grabs before it. Latency is counted from these intended times, so a sender
 * that falls behind (a stalled event loop, a slow Redis) shows up in the figures instead of
 * hiding the wait it caused (coordinated omission).
 */
export class RateSchedule {
  /** Grabs in the schedule: `ratePerSec` for `seconds`. */
  readonly count: number;

  constructor(
    readonly ratePerSec: number,
    readonly startMs: number,
    seconds: number,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`rate must be above 0 grabs/s, got ${ratePerSec}`);
    this.count = RateSchedule.grabs(ratePerSec, seconds);
  }

  /** How many grabs a schedule of `ratePerSec` for `seconds` sends (the epsilon: 200 × 0.11 is 22.000000000000004). */
  static grabs(ratePerSec: number, seconds: number): number {
    return Math.ceil(ratePerSec * seconds - 1e-9);
  }

  /** When grab `index` is meant to be sent, in epoch milliseconds. */
  intendedAt(index: number): number {
    return this.startMs + (index * 1000) / this.ratePerSec;
  }

  /** The first grab meant to be sent at or after `atMs` (`count` if none is). */
  firstAtOrAfter(atMs: number): number {
    const index = Math.ceil(((atMs - this.startMs) * this.ratePerSec) / 1000);
    return Math.min(this.count, Math.max(0, this.intendedAt(index - 1) >= atMs ? index - 1 : index));
  }
}

/** Grabs per batch so that, at `ratePerSec`, a batch goes out about every `tickMs`. */
export const batchSize = (ratePerSec: number, tickMs: number): number =>
  Math.max(1, Math.round((ratePerSec * tickMs) / 1000));

/**
 * The schedule's users (`u0`, `u1`, …), handed over in batches of `batch`: the last user of a
 * batch is held until its intended time, so no grab is sent before its own. A sender that
 * falls behind gets the overdue users at once.
 */
export async function* scheduledUsers(schedule: RateSchedule, batch: number): AsyncGenerator<string> {
  for (let i = 0; i < schedule.count; i++) {
    if ((i + 1) % batch === 0 || i === schedule.count - 1) {
      for (let waitMs = schedule.intendedAt(i) - Date.now(); waitMs > 0; waitMs = schedule.intendedAt(i) - Date.now())
        await sleep(waitMs);
    }
    yield `u${i}`;
  }
}
