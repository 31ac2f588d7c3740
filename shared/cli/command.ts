import type { Command as Cli, OptionValues } from '@commander-js/extra-typings';
import type { Settings } from '../config/settings.js';

export interface CommandContext {
  settings: Settings;
}

/**
 * One `grab` command, declared once: its words, what it does, an example, its flags and what it
 * runs. The help, the validation and the types of `run`'s options all come from `flags`: each
 * flag is one commander Option (see flags.ts); the settings' flags are added to every command.
 */
export interface GrabCommand<Opts extends OptionValues = OptionValues> {
  /** One word, or two for a command of a family: `campaign create`, `bench e2e`. */
  name: string;
  summary: string;
  example: string;
  /** Adds the command's own flags to it: `(c) => c.addOption(...).addOption(...)`. */
  flags(command: Cli): Cli<[], Opts>;
  /** Runs the command with its parsed, validated flags; returns the exit code. */
  run(opts: Opts, context: CommandContext): Promise<number>;
}

/** Declares a command; `run`'s options are typed from what `flags` adds. */
export const defineCommand = <Opts extends OptionValues>(command: GrabCommand<Opts>): GrabCommand<Opts> => command;
