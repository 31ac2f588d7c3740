/** grab bench latency at a tiny size: it runs end to end and prints what the README says it prints. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freePortRange } from '../support/ports.js';
import { grab } from '../support/cli.js';

const env = { GRAB_QUEUE: `latency-${randomUUID().slice(0, 8)}` };

describe('grab bench latency, smoke size', () => {
  it('--json: one row per load level, in order, with the campaign of each passing its report', async () => {
    const port = await freePortRange(2);
    const r = await grab(
      [
        'bench',
        'latency',
        '--json',
        '--loads',
        '0.01,0.02',
        '--seconds',
        '1',
        '--warmup',
        '0',
        '--ceiling-grabs',
        '1000',
        '--pools',
        '10',
        '--concurrency',
        '20',
        '--metrics-port-base',
        String(port),
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => row.loadFraction)).toEqual([0.01, 0.02]);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual([
        'achievedPerSec',
        'ceilingPerSec',
        'invariantsOk',
        'loadFraction',
        'offeredPerSec',
        'p50Ms',
        'p999Ms',
        'p99Ms',
      ]);
      expect(row.invariantsOk).toBe(true);
      expect(row.ceilingPerSec).toBeGreaterThan(0);
      expect(row.offeredPerSec).toBe(Math.max(1, Math.round(Number(row.loadFraction) * Number(row.ceilingPerSec))));
      expect(Number(row.p50Ms)).toBeGreaterThan(0);
      expect(Number(row.p50Ms)).toBeLessThanOrEqual(Number(row.p99Ms));
      expect(Number(row.p99Ms)).toBeLessThanOrEqual(Number(row.p999Ms));
    }
    expect(r.stderr).toContain('ceiling (no-op workers):');
  }, 120_000);

  it('refuses bad load levels with exit 2, naming the flag', async () => {
    for (const loads of ['0.5,x', '0', '0.5,,0.7', '3']) {
      const r = await grab(['bench', 'latency', '--loads', loads], env);
      expect(r.code, loads).toBe(2);
      expect(r.stderr).toContain("option '--loads <list>' argument");
      expect(r.stderr).toContain('must be fractions of the ceiling above 0 and at most 2');
    }
  });
});
