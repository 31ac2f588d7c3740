import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';
import { progressReporter } from '../shared/cli/progress.js';
import { requireCampaign, withServices } from '../shared/cli/services.js';
import { idSchema } from '../shared/campaign/spec.js';
import { plannedGrabs } from '../shared/ledger/grab-plan.js';

export const waitCommand: Command = {
  name: 'wait',
  summary: 'Wait until every enqueued grab of a campaign has an outcome (exit 1 on timeout)',
  usage: 'grab wait --campaign C [--timeout S]',
  example: 'grab wait --campaign new-year --timeout 600',
  options: { campaign: { type: 'string' }, timeout: { type: 'string' } },
  async run({ values, settings }) {
    const campaignId = option(values, 'campaign', idSchema);
    const timeoutSec = option(values, 'timeout', intFlag(1, 86_400, 600));
    return withServices(settings, async ({ redis, ledger, outcomes }) => {
      const record = await requireCampaign(ledger, campaignId);
      const poolIds = record.spec.pools.map((p) => p.id);
      const deadline = Date.now() + timeoutSec * 1000;
      let planned = await plannedGrabs(redis, campaignId);
      const progress = progressReporter(`settle ${campaignId}`, planned);
      for (;;) {
        const finished = await outcomes.finished(campaignId, poolIds);
        if (planned > 0 && finished >= planned) {
          progress.finish(finished);
          return 0;
        }
        if (Date.now() >= deadline) {
          progress.finish(finished);
          process.stderr.write(`grab wait: timed out after ${timeoutSec} s; ${planned - finished} of ${planned} grabs still pending\n`);
          return 1;
        }
        progress.update(finished);
        await sleep(250);
        planned = await plannedGrabs(redis, campaignId);
      }
    });
  },
};
