import { isIP } from 'node:net';
import { z } from 'zod';
import { defineCommand } from '../shared/cli/command.js';
import { stopSignal } from '../shared/cli/stop-signal.js';
import { flag, oneOf } from '../shared/cli/flags.js';
import { UsageError } from '../shared/config/errors.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { distributionNames } from '../shared/enqueue/distribution.js';

const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0');

/** Addresses only this machine can reach. */
const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

export const serveCommand = defineCommand({
  name: 'serve',
  summary:
    'Serve the HTTP API: campaigns, grabs (enqueued in bulk, optionally waited for), OpenAPI docs at /docs, a read-only queue board at /queues',
  example: 'GRAB_API_TOKEN=$(openssl rand -hex 24) grab serve --port 8080 --host 0.0.0.0',
  flags: (c) =>
    c
      .addOption(
        flag('--port <port>', 'port to listen on (0: any free port)', coercedWholeNumber(0, 65_535)).default(8080),
      )
      .addOption(
        flag('--host <host>', 'address to bind; anything but loopback needs GRAB_API_TOKEN', hostSchema).default(
          '127.0.0.1',
        ),
      )
      .addOption(
        oneOf(
          '--distribution <name>',
          'how the pool of a grab that names none is picked, deterministically per user',
          distributionNames,
        ).default('uniform'),
      ),
  async run({ port, host, distribution }, { settings }) {
    if (settings.apiToken === undefined && !isLoopback(host))
      throw new UsageError(
        `--host ${host} is reachable from other machines, and GRAB_API_TOKEN is unset: anyone could create campaigns and grab. Set GRAB_API_TOKEN (16 or more characters), or bind to 127.0.0.1`,
      );
    const logger = settingsLogger('api', settings);
    // Loaded here, not at the top: the HTTP stack is the heaviest import, and every other grab command would pay for it at startup.
    const { startApi } = await import('./start-api.js');
    const api = await startApi({ settings, host, port, distribution, logger });
    process.stdout.write(`serving the API at ${api.url} (docs at ${api.url}/docs, queue board at ${api.url}/queues)\n`);
    await stopSignal(logger);
    await api.close();
    return 0;
  },
});
