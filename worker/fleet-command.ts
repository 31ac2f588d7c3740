import { defineCommand } from '../shared/cli/command.js';
import { flag } from '../shared/cli/flags.js';
import { UsageError } from '../shared/config/errors.js';
import { childEnv } from '../shared/config/child-env.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { metricsUrl } from '../shared/metrics/metrics-server.js';
import { runFleet } from './fleet.js';
import { workFlagOptions, workFlags } from './work-command.js';

export const fleetCommand = defineCommand({
  name: 'fleet',
  summary: 'Run N local worker processes (every grab work flag applies to each), restarting any that dies',
  example: 'grab fleet --workers 2 --lock zk --concurrency 200',
  flags: (c) =>
    workFlags(
      c.addOption(flag('--workers <n>', 'how many grab work processes', coercedWholeNumber(1, 256)).default(2)),
    ),
  async run(opts, { settings }) {
    const { workers } = opts;
    const metricsPort = settings.metricsPort;
    if (metricsPort === 0 || (metricsPort !== undefined && metricsPort + workers - 1 > 65_535)) {
      throw new UsageError(
        `invalid metrics port ${metricsPort} (--metrics-port, METRICS_PORT): grab ` +
          `fleet needs a first port from 1 to ${65_536 - workers}, worker i gets ` +
          `port + i`,
      );
    }
    // Each worker gets the work flags as parsed here: the same values, valid already.
    const args: string[] = [];
    for (const option of Object.values(workFlagOptions())) {
      const value = (opts as Record<string, unknown>)[option.attributeName()];
      if (value !== undefined) args.push(option.long!, String(value));
    }
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
});
