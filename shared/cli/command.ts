import type { ParseArgsConfig } from 'node:util';
import type { Settings } from '../config/settings.js';

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  settings: Settings;
}

/** One `grab` sub-command: its words, its flags, and what it does. Returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  example: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}
