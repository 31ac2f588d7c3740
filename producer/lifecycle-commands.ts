import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag, toggle } from '../shared/cli/flags.js';
import { withServices } from '../shared/cli/services.js';
import { idSchema } from '../shared/campaign/spec.js';
import {
  CampaignFinishedError,
  changeCampaign,
  UnknownCampaignError,
  type LifecycleAction,
  type LifecycleResult,
} from '../shared/ledger/campaign-lifecycle.js';

const since = (atMs: number | undefined) => (atMs === undefined ? '' : ` at ${new Date(atMs).toISOString()}`);

function describe(result: LifecycleResult): string {
  const cents = result.refunds.reduce((sum, r) => sum + r.cents, 0);
  const packets = result.refunds.reduce((sum, r) => sum + r.packets, 0);
  const refunded =
    result.refunds.length === 0
      ? ''
      : `; refunded ${cents} cents and ${packets} packets from ${result.refunds.length} pools`;
  const head = result.changed
    ? `campaign ${result.campaign} ${result.state === 'open' ? 'resumed' : result.state}${since(result.atMs)}`
    : `campaign ${result.campaign} was already ${result.state}${since(result.atMs)}; nothing changed`;
  return `${head}${refunded}\n`;
}

const lifecycleCommand = (action: LifecycleAction, summary: string) =>
  defineCommand({
    name: `campaign ${action}`,
    summary,
    example: `grab campaign ${action} --id new-year`,
    flags: (c) =>
      c
        .addOption(flag('--id <id>', "the campaign's id", idSchema).makeOptionMandatory())
        .addOption(toggle('--json', 'print the result as one JSON object')),
    run: ({ id, json }, { settings }) =>
      withServices(settings, async (services) => {
        let result: LifecycleResult;
        try {
          result = await changeCampaign(services, id, action);
        } catch (err) {
          if (err instanceof UnknownCampaignError || err instanceof CampaignFinishedError)
            throw new CommandFailure(err.message);
          throw err;
        }
        process.stdout.write(json === true ? `${JSON.stringify(result)}\n` : describe(result));
        return 0;
      }),
  });

export const campaignCloseCommand = lifecycleCommand(
  'close',
  'Close a campaign now: no grant after the close instant; each pool refunds what is left, once ' +
    '(idempotent; re-run to finish a close cut short)',
);
export const campaignPauseCommand = lifecycleCommand(
  'pause',
  'Pause a campaign: its grabs wait, without spending attempts, until it is resumed',
);
export const campaignResumeCommand = lifecycleCommand(
  'resume',
  'Resume a paused campaign: the grabs that waited settle (refused for a closed or expired campaign)',
);
