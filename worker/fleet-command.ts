import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';
import { UsageError } from '../shared/config/errors.js';
import { childEnv } from '../shared/config/child-env.js';
import { settingsLogger } from '../shared/logging/logger.js';
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
    const args: string[] = [];
    for (const [flag, value] of Object.entries(values)) if (flag in workOptions && value !== undefined) args.push(`--${flag}`, String(value));
    const done = runFleet({
      workers,
      args,
      envFor: (i) => childEnv({ ...settings, metricsPort: metricsPort === undefined ? undefined : metricsPort + i }),
      logger: settingsLogger('fleet', settings),
    });
    if (metricsPort !== undefined) {
      const urls = Array.from({ length: workers }, (_, i) => metricsUrl(settings.metricsHost, metricsPort + i));
      process.stdout.write(`fleet: metrics ${urls.join(' ')}\n`);
    }
    return done;
  },
};
