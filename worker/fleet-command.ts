import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';
import { UsageError } from '../shared/config/errors.js';
import { settingDefinitions } from '../shared/config/settings.js';
import { createLogger } from '../shared/logging/logger.js';
import { metricsUrl } from '../shared/metrics/metrics-server.js';
import { runFleet } from './fleet.js';
import { workCommand, workOptions } from './work-command.js';

export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'Run N local worker processes (any grab work flag applies to each), restarting any that dies',
  usage: `grab fleet --workers N [${workCommand.usage.replace('grab work ', '')}]`,
  example: 'grab fleet --workers 2 --lock zk --concurrency 200',
  options: { workers: { type: 'string' }, ...workOptions },
  async run({ values, settings }) {
    const workers = option(values, 'workers', intFlag(1, 256, 2));
    const metricsPort = settings.metricsPort;
    if (metricsPort === 0 || (metricsPort !== undefined && metricsPort + workers - 1 > 65_535)) {
      throw new UsageError(`invalid metrics port ${metricsPort} (--metrics-port, METRICS_PORT): grab fleet needs a first port from 1 to ${65_536 - workers}, worker i gets port + i`);
    }
    const settingFlags = new Set<string>(Object.values(settingDefinitions).map((d) => d.flag));
    const forwarded: string[] = [];
    for (const [flag, value] of Object.entries(values)) {
      if (flag === 'workers' || flag === 'metrics-port' || value === undefined) continue;
      if (settingFlags.has(flag) || flag in workOptions) forwarded.push(`--${flag}`, String(value));
    }
    const done = runFleet({
      workers,
      argsFor: (i) => (metricsPort === undefined ? forwarded : [...forwarded, '--metrics-port', String(metricsPort + i)]),
      logger: createLogger('fleet', settings.logLevel),
    });
    if (metricsPort !== undefined) {
      const urls = Array.from({ length: workers }, (_, i) => metricsUrl(settings.metricsHost, metricsPort + i));
      process.stdout.write(`fleet: metrics ${urls.join(' ')}\n`);
    }
    return done;
  },
};
