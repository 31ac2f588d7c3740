import { setTimeout as sleep } from 'node:timers/promises';
import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag } from '../shared/cli/flags.js';
import { progressReporter } from '../shared/cli/progress.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';

/**
 * Each poll reads the campaign's stripe counters and its rejected count in one pipeline, however many
 * pools, and its instance.
 */
const POLL_MS = 250;

export const waitCommand = defineCommand({
  name: 'wait',
  summary: 'Wait until every enqueued grab of a campaign has an outcome (exit 1 on timeout, or if some failed)',
  example: 'grab wait --campaign new-year --timeout 600',
  flags: (c) =>
    c
      .addOption(campaignFlag())
      .addOption(flag('--timeout <s>', 'give up after this many seconds', coercedWholeNumber(1, 86_400)).default(600)),
  async run({ campaign: campaignId, timeout: timeoutSec }, { settings }) {
    return withCampaign(settings, campaignId, async ({ ledger, outcomes, record }) => {
      const deadline = Date.now() + timeoutSec * 1000;
      let progress = await outcomes.progress(record, record.stripes);
      const reporter = progressReporter(`settle ${campaignId}`, progress.enqueued);
      for (;;) {
        if (progress.enqueued > 0 && progress.pending === 0) {
          reporter.finish(progress.finished);
          const { failed } = progress.outcomes;
          if (failed === 0) return 0;
          process.stderr.write(
            `grab wait: every grab has an outcome, but ${failed} failed; see grab report ` +
              `--campaign ${campaignId}, then grab redrive --campaign ${campaignId}\n`,
          );
          return 1;
        }
        if (Date.now() >= deadline) {
          reporter.finish(progress.finished);
          process.stderr.write(
            `grab wait: timed out after ${timeoutSec} s; ${progress.pending} of ${progress.enqueued} ` +
              `grabs still pending\n`,
          );
          return 1;
        }
        reporter.update(progress.finished, progress.enqueued);
        await sleep(POLL_MS);
        if ((await ledger.instanceOf(campaignId)) !== record.instance)
          throw new CommandFailure(`campaign "${campaignId}" was deleted while waiting for it`);
        progress = await outcomes.progress(record, record.stripes);
      }
    });
  },
});
