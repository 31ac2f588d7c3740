#!/usr/bin/env node
import { CommanderError } from '@commander-js/extra-typings';
import { pino } from 'pino';
import { SettingConflict, UsageError } from '../shared/config/errors.js';
import { scrubText } from '../shared/logging/error-serializer.js';
import { createLogger, settingSecrets } from '../shared/logging/logger.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { settingsOf } from '../shared/cli/setting-flags.js';
import { ShardCountMismatch } from '../shared/queue/queue-errors.js';
import { commands } from './commands.js';
import { grabProgram } from './program.js';

/** What no error this process prints or logs may show: known once the settings are. */
let secrets: readonly string[] = [];

/**
 * The last line of defence, not the fix: an error that escaped every handler is logged (pino
 * JSON, redacted, written before the exit) and the process ends with 1.
 */
function exitOnEscapedError(kind: string) {
  return (err: unknown) => {
    createLogger('grab', 'fatal', { destination: pino.destination({ fd: 2, sync: true }), secrets }).fatal(
      { err },
      kind,
    );
    process.exit(1);
  };
}
process.on('unhandledRejection', exitOnEscapedError('unhandled rejection'));
process.on('uncaughtException', exitOnEscapedError('uncaught exception'));

export async function main(argv: string[]): Promise<number> {
  let running: { name: string; code?: number } | undefined;
  const program = grabProgram(commands, async (command, opts, cli) => {
    running = { name: command.name };
    const settings = settingsOf(cli);
    secrets = settingSecrets(settings);
    running.code = await command.run(opts, { settings });
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return running?.code ?? 0;
  } catch (err) {
    // The one place where errors become exit codes: the layers below throw their own errors.
    // Commander has already printed its refusal (an unknown command or flag, a bad value), or the
    // help or version asked for.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const name = running?.name ?? '';
    if (err instanceof UsageError) {
      process.stderr.write(`grab ${name}: ${err.message}\n(see grab ${name} --help)\n`);
      return 2;
    }
    if (err instanceof SettingConflict) {
      process.stderr.write(`grab ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandFailure || err instanceof ShardCountMismatch) {
      process.stderr.write(`grab ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// A reader that stopped reading (`grab export | head -1`) has all it wants: end quietly, as a
// Unix tool does. Exiting at once also stops a streaming command and closes its connections.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `grab: ${scrubText(err instanceof Error ? (err.stack ?? err.message) : String(err), secrets)}\n`,
    );
    process.exitCode = 1;
  },
);
