import { z } from 'zod';
import { defineCommand } from '../shared/cli/command.js';
import { flag, repeatable, text, toggle } from '../shared/cli/flags.js';
import { withServices } from '../shared/cli/services.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { runE2eBench, scenarios, variants, type BenchRow } from './e2e-bench.js';
import { runApiBench } from './api-bench.js';
import { runEnqueueBench } from './enqueue-bench.js';
import { runMillionBench } from './million-bench.js';
import { runShardsBench } from './shards-bench.js';
import { runCostBench } from './cost-bench.js';
import { benchConcurrency, benchWorkers, metricsPortBase } from './fleet-flags.js';

const scaleSchema = z.coerce
  .number({ error: 'must be a number above 0 and at most 10' })
  .gt(0, 'must be above 0')
  .max(10, 'must be at most 10');
/** One of a few names (a scenario's, a strategy's): help and the refusal list them all. */
const named = (names: string[]) => {
  const listed = names.map((n) => `"${n}"`).join(', ');
  return { listed, schema: z.string().refine((v) => names.includes(v), `must be one of ${listed}`) };
};
const scenarioName = named(scenarios.map((s) => s.name));
const strategyName = named(variants.map((v) => v.name));

function formatRow(r: BenchRow): string {
  return [
    r.scenario.padEnd(8),
    r.strategy.padEnd(18),
    String(r.grabsPerSec).padStart(9),
    r.ratioToCeiling.toFixed(2).padStart(7),
    r.p99JobMs.toFixed(1).padStart(9),
    r.lockWaitP99Ms.toFixed(1).padStart(11),
    r.meanBatch.toFixed(1).padStart(7),
    String(r.invariantsOk ?? '-').padStart(6),
  ].join(' ');
}

const HEADER = 'scenario strategy           grabs/s   ratio  p99 job  lock p99 ms  batch     ok';

export const benchE2eCommand = defineCommand({
  name: 'bench e2e',
  summary: 'Run every strategy on the same fleet shape against a no-op BullMQ ceiling',
  example: 'grab bench e2e --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print each row as a JSON object'))
      .addOption(benchWorkers())
      .addOption(benchConcurrency())
      .addOption(
        flag('--scale <f>', "multiply every scenario's grabs by this (0.1 for a quick run)", scaleSchema).default(1),
      )
      .addOption(
        repeatable(
          '--scenario <name>',
          `run only this scenario (repeatable): ${scenarioName.listed}`,
          scenarioName.schema,
        ),
      )
      .addOption(
        repeatable(
          '--strategy <name>',
          `run only this strategy (repeatable): ${strategyName.listed}`,
          strategyName.schema,
        ),
      )
      .addOption(metricsPortBase())
      .addOption(
        text('--cpu-prof-dir <dir>', "write each worker's V8 CPU profile (node --cpu-prof) into this directory"),
      ),
  async run(opts, { settings }) {
    const json = opts.json === true;
    if (!json) process.stdout.write(`${HEADER}\n`);
    await withServices(settings, (services) =>
      runE2eBench({
        settings,
        services,
        logger: settingsLogger('bench', settings),
        workers: opts.workers,
        concurrency: opts.concurrency,
        scale: opts.scale,
        metricsPortBase: opts.metricsPortBase,
        scenarioNames: opts.scenario,
        variantNames: opts.strategy,
        cpuProfDir: opts.cpuProfDir,
        onProgress: (line) => process.stderr.write(`${line}\n`),
        onRow: (row) => process.stdout.write(`${json ? JSON.stringify(row) : formatRow(row)}\n`),
      }),
    );
    return 0;
  },
});

export const benchEnqueueCommand = defineCommand({
  name: 'bench enqueue',
  summary: 'Run grab produce against a naive producer',
  example: 'grab bench enqueue --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print the result as one JSON object'))
      .addOption(
        flag('--jobs <n>', 'jobs each producer enqueues', coercedWholeNumber(1000, 100_000_000)).default(500_000),
      ),
  async run(opts, { settings }) {
    const result = await withServices(settings, (services) =>
      runEnqueueBench(settings, services, opts.jobs, settingsLogger('bench', settings)),
    );
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify(result)}\n`
        : `${result.jobs} jobs: producer ${result.producerJobsPerSec}/s, naive ${result.baselineJobsPerSec}/s ` +
            `(ratio ${result.ratio}), producer peak RSS ${result.peakRssMb} MB, Redis ` +
            `${result.redisBytesPerJob} bytes/job\n`,
    );
    return 0;
  },
});

export const benchMillionCommand = defineCommand({
  name: 'bench million',
  summary: 'Run a million-grab campaign through the real CLI to a passing report; prints one JSON object',
  example: 'grab bench million',
  flags: (c) =>
    c
      .addOption(flag('--jobs <n>', 'grabs in the campaign', coercedWholeNumber(1000, 100_000_000)).default(1_000_000))
      .addOption(
        toggle('--oversubscribed', '1,000 pools of 100 packets, grabs spread evenly (default: 100 pools, Zipf)'),
      )
      .addOption(
        flag('--max-backlog <n>', "the producer's --max-backlog", coercedWholeNumber(1000, 10_000_000)).default(
          200_000,
        ),
      )
      .addOption(
        toggle(
          '--no-door',
          "the producer enqueues every grab, its door off (the workers' admission stays as GRAB_ADMISSION says)",
        ),
      )
      .addOption(toggle('--json', 'print the result as one JSON object (the default; kept for scripts)'))
      .addOption(benchWorkers()),
  async run(opts, { settings }) {
    const onProgress = (line: string) => process.stderr.write(`${line}\n`);
    const options = {
      jobs: opts.jobs,
      workers: opts.workers,
      oversubscribed: opts.oversubscribed === true,
      maxBacklog: opts.maxBacklog,
      door: opts.door !== false,
    };
    const result = await withServices(settings, (services) => runMillionBench(settings, services, options, onProgress));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.reportOk ? 0 : 1;
  },
});

export const benchApiCommand = defineCommand({
  name: 'bench api',
  summary:
    "Ingest through grab serve (autocannon POSTs) against grab produce, same grabs, no workers; then ?wait latency at half a fleet's rate",
  example: 'grab bench api --jobs 50000 --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print the result as one JSON object'))
      .addOption(flag('--jobs <n>', 'grabs each way enqueues', coercedWholeNumber(1000, 10_000_000)).default(50_000))
      .addOption(
        flag('--connections <n>', 'HTTP connections autocannon keeps open', coercedWholeNumber(1, 10_000)).default(100),
      )
      .addOption(
        flag('--wait-seconds <s>', 'how long the ?wait latency is measured', coercedWholeNumber(1, 600)).default(10),
      )
      .addOption(benchWorkers()),
  async run(opts, { settings }) {
    const result = await withServices(settings, (services) =>
      runApiBench({
        settings,
        services,
        logger: settingsLogger('bench', settings),
        jobs: opts.jobs,
        connections: opts.connections,
        waitSeconds: opts.waitSeconds,
        workers: opts.workers,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      }),
    );
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify(result)}\n`
        : `${result.jobs} grabs: grab produce ${result.produceJobsPerSec}/s, API ${result.apiJobsPerSec}/s (ratio ${result.ratio}); ` +
            `fleet of ${opts.workers} settles ${result.fleetGrabsPerSec}/s; ?wait at ${result.waitRatePerSec}/s: p50 ${result.waitP50Ms} ms, p99 ${result.waitP99Ms} ms (${result.waitSettledShare} settled)\n`,
    );
    return 0;
  },
});

const shardCountsSchema = z
  .string()
  .transform((text) => text.split(',').map(Number))
  .refine(
    (counts) => counts.every((n) => Number.isInteger(n) && n >= 1 && n <= 1024),
    'must be shard counts from 1 to 1024, separated by commas, e.g. 16,64,256',
  );

export const benchShardsCommand = defineCommand({
  name: 'bench shards',
  summary:
    'What consuming many shards costs an idle fleet, side by side per shard count: Redis connections, CPU and memory, the worker RSS and CPU',
  example: 'grab bench shards --shards 16,64,256 --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print each row as a JSON object'))
      .addOption(flag('--shards <list>', 'shard counts to measure', shardCountsSchema).default([16, 64, 256]))
      .addOption(flag('--seconds <s>', 'length of each idle window', coercedWholeNumber(1, 600)).default(10))
      .addOption(metricsPortBase())
      .addOption(
        text('--cpu-prof-dir <dir>', "write each worker's V8 CPU profile (node --cpu-prof) into this directory"),
      ),
  async run(opts, { settings }) {
    const json = opts.json === true;
    if (!json)
      process.stdout.write('shards  connections  redis ms/s  baseline ms/s  redis KiB  worker MiB  worker ms/s\n');
    const rows = await withServices(settings, (services) =>
      runShardsBench({
        settings,
        services,
        shardCounts: opts.shards,
        seconds: opts.seconds,
        metricsPort: opts.metricsPortBase,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      }),
    );
    for (const r of rows)
      process.stdout.write(
        json
          ? `${JSON.stringify(r)}\n`
          : `${[r.shards, r.redisConnections, r.redisIdleCpuMsPerSec, r.redisBaselineCpuMsPerSec, r.redisMemoryKb, r.workerRssMb, r.workerIdleCpuMsPerSec].map((v, i) => String(v).padStart(i === 0 ? 6 : 11)).join(' ')}\n`,
      );
    return 0;
  },
});

export const benchCostCommand = defineCommand({
  name: 'bench cost',
  summary:
    'Per-grab costs in one run through the real CLI: Redis CPU, ZooKeeper writes per batch, worker CPU, Redis bytes (the inputs of docs/capacity.md)',
  example: 'grab bench cost --json',
  flags: (c) =>
    c
      .addOption(toggle('--json', 'print the result as one JSON object'))
      .addOption(flag('--jobs <n>', 'grabs, every one granted', coercedWholeNumber(100, 10_000_000)).default(100_000))
      .addOption(flag('--pools <n>', 'pools the grabs spread over', coercedWholeNumber(1, 10_000)).default(100))
      .addOption(benchWorkers())
      .addOption(benchConcurrency())
      .addOption(metricsPortBase()),
  async run(opts, { settings }) {
    const result = await withServices(settings, (services) =>
      runCostBench({
        settings,
        services,
        grabs: opts.jobs,
        pools: opts.pools,
        workers: opts.workers,
        concurrency: opts.concurrency,
        metricsPortBase: opts.metricsPortBase,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      }),
    );
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify(result)}\n`
        : `${result.grabs} grabs over ${result.pools} pools, ${result.workers} workers, ${result.settledPerSec} grabs/s: ` +
            `Redis ${result.redisEnqueueCpuUsPerGrab} + ${result.redisSettleCpuUsPerGrab} µs CPU (enqueue + settle) and ` +
            `${result.redisBytesPerSettledGrab} bytes per grab; ` +
            `ZooKeeper ${result.zkWritesPerBatch} writes per batch of ${result.meanBatch}; worker ${result.workerCpuUsPerGrab} µs CPU per grab; report ok: ${result.reportOk}\n`,
    );
    return result.reportOk ? 0 : 1;
  },
});
