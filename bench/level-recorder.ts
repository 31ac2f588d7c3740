import { build, type Histogram } from 'hdr-histogram-js';
import type { RateSchedule } from './rate-schedule.js';

/** One load level's result, as `grab bench latency --json` prints it. */
export interface LatencyRow {
  loadFraction: number;
  /** The schedule's rate: `loadFraction` of the ceiling. */
  offeredPerSec: number;
  /** The level's grabs whose outcome was recorded inside the measured window, per second. */
  achievedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  ceilingPerSec: number;
  /** The level's campaign passed `grab report`: every invariant held, no grab pending or failed. */
  invariantsOk: boolean;
}

/** An hour, in microseconds: longer latencies are clamped, and no level runs that long. */
const HIGHEST_MICROS = 3_600_000_000;

const ms = (micros: number) => Math.round(micros / 10) / 100;

/**
 * What one load level saw. The schedule's first `warmupMs` is not measured; then, for
 * `measureMs`, each grab's latency runs from its intended send time to its recorded outcome, in
 * an HDR histogram (microseconds, 3 significant digits).
 */
export class LevelRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
  });
  private readonly seen: Uint8Array;
  private readonly windowStartMs: number;
  private readonly windowEndMs: number;
  private readonly firstMeasured: number;
  /** Grabs of the schedule whose outcome has been seen, warm-up included. */
  settled = 0;
  private settledInWindow = 0;

  constructor(
    readonly loadFraction: number,
    readonly schedule: RateSchedule,
    warmupMs: number,
    private readonly measureMs: number,
  ) {
    this.seen = new Uint8Array(schedule.count);
    this.windowStartMs = schedule.startMs + warmupMs;
    this.windowEndMs = this.windowStartMs + measureMs;
    this.firstMeasured = schedule.firstAtOrAfter(this.windowStartMs);
  }

  /** Every grab of the schedule has its outcome. */
  get done(): boolean {
    return this.settled === this.schedule.count;
  }

  /** Grab `index` got its outcome at `atMs` (epoch ms); a job seen again (delivered twice) counts once. */
  record(index: number, atMs: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.schedule.count || this.seen[index] === 1) return;
    this.seen[index] = 1;
    this.settled++;
    if (atMs >= this.windowStartMs && atMs < this.windowEndMs) this.settledInWindow++;
    if (index < this.firstMeasured) return;
    const micros = Math.round((atMs - this.schedule.intendedAt(index)) * 1000);
    this.histogram.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, micros)));
  }

  row(ceilingPerSec: number, invariantsOk: boolean): LatencyRow {
    const at = (percentile: number) => ms(this.histogram.getValueAtPercentile(percentile));
    return {
      loadFraction: this.loadFraction,
      offeredPerSec: this.schedule.ratePerSec,
      achievedPerSec: Math.round(this.settledInWindow / (this.measureMs / 1000)),
      p50Ms: at(50),
      p99Ms: at(99),
      p999Ms: at(99.9),
      ceilingPerSec,
      invariantsOk,
    };
  }
}
