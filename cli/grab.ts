#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadSettings, settingDefinitions, settingFlags } from '../shared/config/settings.js';
import { SettingConflict, UsageError } from '../shared/config/errors.js';
import { scrubText } from '../shared/logging/error-serializer.js';
import { createLogger, settingSecrets } from '../shared/logging/logger.js';
import type { Command } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { ShardCountMismatch } from '../shared/queue/queue-errors.js';
import { packageVersion } from './package-info.js';
import { commands } from './commands.js';

/** What no error this process prints or logs may show: known once the settings are. */
let secrets: readonly string[] = [];

/**
 * The last line of defence, not the fix: an error that escaped every handler is logged (pino
 * JSON, redacted, written before the exit) and the process ends with 1.
 */
function exitOnEscapedError(kind: string) {
  return (err: unknown) => {
    createLogger('grab', 'fatal', { destination: pino.destination({ fd: 2, sync: true }), secrets }).fatal({ err }, kind);
    process.exit(1);
  };
}
process.on('unhandledRejection', exitOnEscapedError('unhandled rejection'));
process.on('uncaughtException', exitOnEscapedError('uncaught exception'));

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const envWidth = Math.max(...Object.values(settingDefinitions).map((d) => d.env.length));
  const flagWidth = Math.max(...Object.values(settingDefinitions).map((d) => d.flag.length));
  const lines = [
    'grab: hands out red packets from a queue-driven worker fleet without overspending a pool.',
    '',
    'Usage: grab <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Settings (environment variable, or the flag on any command):',
    ...Object.values(settingDefinitions).map((d) => `  ${d.env.padEnd(envWidth)} --${d.flag.padEnd(flagWidth)} ${d.describe} (default ${d.default || 'none'})`),
    '',
    'Run "grab <command> --help" for a command\'s flags.',
  ];
  return lines.join('\n');
}

function commandHelp(c: Command): string {
  return [c.summary, '', `Usage: ${c.usage}`, '', `Example: ${c.example}`].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const words = argv.slice(0, 2).filter((w) => !w.startsWith('-'));
  for (let n = words.length; n > 0; n--) {
    const name = words.slice(0, n).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(n) };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${usage()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`${packageVersion}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`grab: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${usage()}\n`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...settingFlags, ...command.options },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    const settings = loadSettings(process.env, values);
    secrets = settingSecrets(settings);
    return await command.run({ values, positionals, settings });
  } catch (err) {
    // The one place where errors become exit codes: the layers below throw their own errors.
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`grab ${command.name}: ${(err as Error).message}\n\n${commandHelp(command)}\n`);
      return 2;
    }
    if (err instanceof SettingConflict) {
      process.stderr.write(`grab ${command.name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandFailure || err instanceof ShardCountMismatch) {
      process.stderr.write(`grab ${command.name}: ${err.message}\n`);
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
    process.stderr.write(`grab: ${scrubText(err instanceof Error ? (err.stack ?? err.message) : String(err), secrets)}\n`);
    process.exitCode = 1;
  },
);
