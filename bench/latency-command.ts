import { z } from 'zod';
import { defineCommand } from '../shared/cli/command.js';
import { flag, oneOf, toggle } from '../shared/cli/flags.js';
import { withServices } from '../shared/cli/services.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { runLatencyBench, strategies } from './latency-bench.js';
import type { LatencyRow } from './level-recorder.js';
import { benchConcurrency, benchWorkers, metricsPortBase } from './fleet-flags.js';

const LOADS_RULE = 'must be fractions of the ceiling above 0 and at most 2, separated by commas (e.g. 0.25,0.5,0.75)';
const loadsSchema = z
  .string()
  .transform((text) => text.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part))))
  .pipe(z.array(z.number({ error: LOADS_RULE }).gt(0, LOADS_RULE).max(2, LOADS_RULE), { error: LOADS_RULE }));

const HEADER = '  load  offered/s  achieved/s    p50 ms    p99 ms  p99.9 ms  ceiling/s  ok';

function formatRow(r: LatencyRow): string {
  return [
    r.loadFraction.toFixed(2).padStart(6),
    String(r.offeredPerSec).padStart(10),
    String(r.achievedPerSec).padStart(11),
    r.p50Ms.toFixed(2).padStart(9),
    r.p99Ms.toFixed(2).padStart(9),
    r.p999Ms.toFixed(2).padStart(9),
    String(r.ceilingPerSec).padStart(10),
    String(r.invariantsOk).padStart(5),
  ].join(' ');
}

export const benchLatencyCommand = defineCommand({
  name: 'bench latency',
  summary:
    "Open-loop latency: grabs at fixed rates (fractions of the no-op ceiling's) into a real fleet, enqueue to recorded outcome",
  example: 'grab bench latency --loads 0.25,0.5,0.75 --seconds 20 --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print each load level as a JSON object'))
      .addOption(
        flag('--loads <list>', "load levels as fractions of the ceiling's rate, comma-separated", loadsSchema).default([
          0.25, 0.5, 0.75,
        ]),
      )
      .addOption(flag('--seconds <s>', 'how long each level is measured', coercedWholeNumber(1, 3600)).default(20))
      .addOption(
        flag('--warmup <s>', 'seconds each level runs before it is measured', coercedWholeNumber(0, 600)).default(5),
      )
      .addOption(
        oneOf(
          '--strategy <name>',
          "the fleet's strategy",
          strategies.map((s) => s.name),
        ).default('zk'),
      )
      .addOption(benchWorkers())
      .addOption(benchConcurrency())
      .addOption(flag('--pools <n>', "pools of each level's campaign", coercedWholeNumber(1, 10_000)).default(100))
      .addOption(
        flag(
          '--ceiling-grabs <n>',
          'grabs the no-op ceiling drains to measure its rate',
          coercedWholeNumber(100, 10_000_000),
        ).default(50_000),
      )
      .addOption(metricsPortBase()),
  async run(opts, { settings }) {
    const json = opts.json === true;
    if (!json) process.stdout.write(`${HEADER}\n`);
    const rows = await withServices(settings, (services) =>
      runLatencyBench({
        settings,
        services,
        logger: settingsLogger('bench', settings),
        loads: opts.loads,
        seconds: opts.seconds,
        warmupSeconds: opts.warmup,
        strategy: opts.strategy,
        workers: opts.workers,
        concurrency: opts.concurrency,
        pools: opts.pools,
        ceilingGrabs: opts.ceilingGrabs,
        metricsPortBase: opts.metricsPortBase,
        onProgress: (line) => process.stderr.write(`${line}\n`),
        onRow: (row) => process.stdout.write(`${json ? JSON.stringify(row) : formatRow(row)}\n`),
      }),
    );
    return rows.every((r) => r.invariantsOk) ? 0 : 1;
  },
});
