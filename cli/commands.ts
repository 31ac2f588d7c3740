import type { Command } from '../shared/cli/command.js';
import { lockBenchCommand } from '../bench/lock-bench-command.js';
import {
  campaignCreateCommand,
  campaignDeleteCommand,
  campaignListCommand,
  campaignShowCommand,
} from '../producer/campaign-commands.js';
import { produceCommand } from '../producer/produce-command.js';
import { waitCommand } from '../producer/wait-command.js';
import { reportCommand } from '../producer/report-command.js';
import { redriveCommand } from '../producer/redrive-command.js';
import { exportCommand } from '../producer/export-command.js';
import { workCommand } from '../worker/work-command.js';
import { fleetCommand } from '../worker/fleet-command.js';
import { benchCommand } from '../bench/bench-command.js';

/** Every `grab` command, in the order `grab --help` lists them. */
export const commands: Command[] = [
  campaignCreateCommand,
  campaignListCommand,
  campaignShowCommand,
  campaignDeleteCommand,
  produceCommand,
  workCommand,
  fleetCommand,
  waitCommand,
  reportCommand,
  redriveCommand,
  exportCommand,
  benchCommand,
  lockBenchCommand,
];
