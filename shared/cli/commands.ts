import type { Command } from './command.js';
import { lockBenchCommand } from './commands/lock-bench.js';

/** Every `grab` command, in the order `grab --help` lists them. */
export const commands: Command[] = [lockBenchCommand];
