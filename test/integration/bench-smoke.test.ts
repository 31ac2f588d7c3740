/** The benchmarks at a tiny size: they run end to end and print what the README says they print. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { freePortRange } from '../support/ports.js';

const env = { GRAB_QUEUE: `smoke-${randomUUID().slice(0, 8)}` };
const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('grab bench, smoke size', () => {
  it('e2e --json: one row per scenario and strategy, zk keeping every invariant', async () => {
    const port = await freePortRange(2);
    const r = await grab(
      [
        'bench',
        'e2e',
        '--json',
        // 100, 1,000 (one grab per pool) and 1,000 grabs: oversubscribed is a million at scale 1.
        '--scale',
        '0.001',
        '--workers',
        '2',
        '--concurrency',
        '20',
        '--metrics-port-base',
        String(port),
        '--strategy',
        'ceiling',
        '--strategy',
        'zk',
        '--strategy',
        'none',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = parseLines(r.stdout);
    expect(rows.map((row) => `${String(row.scenario)}/${String(row.strategy)}`)).toEqual([
      'hot/ceiling',
      'hot/zk',
      'hot/none',
      'spread/ceiling',
      'spread/zk',
      'spread/none',
      'oversubscribed/ceiling',
      'oversubscribed/zk',
      'oversubscribed/none',
    ]);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual([
        'grabsPerSec',
        'invariantsOk',
        'lockWaitP99Ms',
        'meanBatch',
        'p99JobMs',
        'ratioToCeiling',
        'scenario',
        'strategy',
      ]);
      expect(row.grabsPerSec).toBeGreaterThan(0);
    }
    for (const row of rows.filter((x) => x.strategy === 'ceiling'))
      expect(row).toMatchObject({ ratioToCeiling: 1, invariantsOk: null });
    for (const row of rows.filter((x) => x.strategy === 'zk')) expect(row.invariantsOk).toBe(true);
    for (const row of rows.filter((x) => x.strategy === 'none')) expect(typeof row.invariantsOk).toBe('boolean');
    // Six variants, each waiting for its two worker processes to start and join: slow on a busy machine.
  }, 180_000);

  it('enqueue --json: the producer against the naive one', async () => {
    const r = await grab(['bench', 'enqueue', '--json', '--jobs', '2000'], env);
    expect(r.code, r.stderr).toBe(0);
    const [result] = parseLines(r.stdout);
    expect(result).toMatchObject({ jobs: 2000 });
    for (const key of ['producerJobsPerSec', 'baselineJobsPerSec', 'ratio', 'peakRssMb', 'redisBytesPerJob'])
      expect(result![key]).toBeGreaterThan(0);
  }, 60_000);

  it('million --jobs 1000 --json: the whole operator path to a passing report, and what it kept', async () => {
    const r = await grab(['bench', 'million', '--jobs', '1000', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const [result] = parseLines(r.stdout);
    expect(Object.keys(result!).sort()).toEqual(
      [
        'jobs',
        'pools',
        'packets',
        'wallSeconds',
        'redisPeakBytes',
        'producerPeakRssBytes',
        'bytesPerSettledGrab',
        'reportOk',
      ].sort(),
    );
    expect(result).toMatchObject({ jobs: 1000, pools: 100, packets: 5, reportOk: true });
    expect(result!.redisPeakBytes).toBeGreaterThan(0);
    expect(result!.producerPeakRssBytes).toBeGreaterThan(0);
    const bytes = result!.bytesPerSettledGrab as { granted: number; notGranted: number };
    expect(bytes.notGranted).toBeGreaterThan(0);
    expect(bytes.granted).toBeGreaterThan(bytes.notGranted);
  }, 180_000);

  it('rejects an unknown benchmark or strategy with exit 2', async () => {
    expect((await grab(['bench', 'fastest'], env)).code).toBe(2);
    const r = await grab(['bench', 'e2e', '--strategy', 'zookeeper'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "option '--strategy <name>' argument 'zookeeper' is invalid: must be one of \"ceiling\"",
    );
  });
});
