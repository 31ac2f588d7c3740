import type { GrabCommand } from '../shared/cli/command.js';
import { lockBenchCommand } from '../bench/lock-bench-command.js';
import { benchLatencyCommand } from '../bench/latency-command.js';
import {
  campaignCreateCommand,
  campaignDeleteCommand,
  campaignListCommand,
  campaignShowCommand,
} from '../producer/campaign-commands.js';
import { campaignCloseCommand, campaignPauseCommand, campaignResumeCommand } from '../producer/lifecycle-commands.js';
import { produceCommand } from '../producer/produce-command.js';
import { waitCommand } from '../producer/wait-command.js';
import { reportCommand } from '../producer/report-command.js';
import { redriveCommand } from '../producer/redrive-command.js';
import { reshardCommand } from '../producer/reshard-command.js';
import { exportCommand } from '../producer/export-command.js';
import { claimsCommand, grantCommand } from '../producer/lookup-commands.js';
import { workCommand } from '../worker/work-command.js';
import { fleetCommand } from '../worker/fleet-command.js';
import { serveCommand } from '../api/serve-command.js';
import {
  benchApiCommand,
  benchCostCommand,
  benchE2eCommand,
  benchEnqueueCommand,
  benchMillionCommand,
  benchShardsCommand,
} from '../bench/bench-command.js';

/** Every `grab` command, in the order `grab --help` (and the README's command table) lists them. */
export const commands: readonly GrabCommand[] = [
  campaignCreateCommand,
  campaignListCommand,
  campaignShowCommand,
  campaignCloseCommand,
  campaignPauseCommand,
  campaignResumeCommand,
  campaignDeleteCommand,
  produceCommand,
  workCommand,
  fleetCommand,
  waitCommand,
  reportCommand,
  redriveCommand,
  reshardCommand,
  exportCommand,
  grantCommand,
  claimsCommand,
  serveCommand,
  benchE2eCommand,
  benchLatencyCommand,
  benchEnqueueCommand,
  benchMillionCommand,
  benchApiCommand,
  benchShardsCommand,
  benchCostCommand,
  lockBenchCommand,
];
