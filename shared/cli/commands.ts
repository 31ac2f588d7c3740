import type { Command } from './command.js';

/** Every `grab` command, in the order `grab --help` lists them. */
export const commands: Command[] = [];
