import { z } from 'zod';
import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';
import { withServices } from '../shared/cli/services.js';
import { UsageError } from '../shared/config/errors.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { runE2eBench, scenarios, variants, type BenchRow } from './e2e-bench.js';
import { runEnqueueBench } from './enqueue-bench.js';
import { runMillionBench } from './million-bench.js';

const scaleSchema = z.coerce.number({ error: 'must be a number above 0 and at most 10' }).gt(0, 'must be above 0').max(10, 'must be at most 10').default(1);

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

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmarks: "e2e" runs every strategy against a no-op ceiling; "enqueue" the producer against a naive one',
  usage:
    'grab bench e2e [--json] [--workers N] [--concurrency N] [--scale F] [--scenario hot|spread] [--strategy NAME] [--metrics-port-base P]\n       grab bench enqueue [--json] [--jobs N]\n       grab bench million [--jobs N] [--workers N]',
  example: 'grab bench e2e --json',
  allowPositionals: true,
  options: {
    json: { type: 'boolean' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    scale: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    strategy: { type: 'string', multiple: true },
    'metrics-port-base': { type: 'string' },
    jobs: { type: 'string' },
  },
  async run({ values, positionals, settings }) {
    const [which, ...extra] = positionals;
    if (!['e2e', 'enqueue', 'million'].includes(which ?? '') || extra.length > 0) throw new UsageError('name one benchmark: e2e, enqueue or million');
    if (which === 'million') {
      const grabs = option(values, 'jobs', intFlag(1000, 100_000_000, 1_000_000));
      const workers = option(values, 'workers', intFlag(1, 64, 2));
      const result = await withServices(settings, (services) => runMillionBench(settings, services, grabs, workers, (line) => process.stderr.write(`${line}\n`)));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return result.reportOk ? 0 : 1;
    }
    if (which === 'enqueue') {
      const jobs = option(values, 'jobs', intFlag(1000, 100_000_000, 500_000));
      const result = await withServices(settings, (services) => runEnqueueBench(settings, services, jobs, settingsLogger('bench', settings)));
      process.stdout.write(
        values.json === true
          ? `${JSON.stringify(result)}\n`
          : `${result.jobs} jobs: producer ${result.producerJobsPerSec}/s, naive ${result.baselineJobsPerSec}/s (ratio ${result.ratio}), producer peak RSS ${result.peakRssMb} MB, Redis ${result.redisBytesPerJob} bytes/job\n`,
      );
      return 0;
    }
    const scenarioNames = values.scenario as string[] | undefined;
    const variantNames = values.strategy as string[] | undefined;
    for (const s of scenarioNames ?? []) if (!scenarios.some((x) => x.name === s)) throw new UsageError(`unknown --scenario "${s}": use ${scenarios.map((x) => x.name).join(' or ')}`);
    for (const v of variantNames ?? []) if (!variants.some((x) => x.name === v)) throw new UsageError(`unknown --strategy "${v}": use one of ${variants.map((x) => `"${x.name}"`).join(', ')}`);
    const json = values.json === true;
    if (!json) process.stdout.write(`${HEADER}\n`);
    await withServices(settings, (services) =>
      runE2eBench({
        settings,
        services,
        logger: settingsLogger('bench', settings),
        workers: option(values, 'workers', intFlag(1, 64, 2)),
        concurrency: option(values, 'concurrency', intFlag(1, 10_000, 200)),
        scale: option(values, 'scale', scaleSchema),
        metricsPortBase: option(values, 'metrics-port-base', intFlag(1024, 65_000, 9500)),
        scenarioNames,
        variantNames,
        onProgress: (line) => process.stderr.write(`${line}\n`),
        onRow: (row) => process.stdout.write(`${json ? JSON.stringify(row) : formatRow(row)}\n`),
      }),
    );
    return 0;
  },
};
