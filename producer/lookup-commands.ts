import { once } from 'node:events';
import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag, toggle } from '../shared/cli/flags.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';
import { idSchema } from '../shared/campaign/spec.js';
import { GrantLookup, type UserLookup } from '../shared/ledger/grant-lookup.js';
import { poolAddress } from '../shared/ledger/ledger-types.js';
import { userIdSchema } from '../shared/queue/grab-job.js';

function formatLookup(found: UserLookup): string {
  const { grants, outcomes } = found;
  const totalCents = grants.reduce((sum, g) => sum + g.cents, 0);
  const grabs = Object.entries(outcomes);
  const granted =
    grants.length === 0
      ? 'no grants'
      : `${grants.length} grant${grants.length === 1 ? '' : 's'}, ${totalCents} cents in total`;
  const lines = [
    `user ${found.user} in campaign ${found.campaign}: ${granted}`,
    ...grants.map((g) => `  pool ${g.pool}: ${g.cents} cents at ${g.at}`),
    grabs.length === 0
      ? 'no grabs recorded'
      : `grabs: ${grabs.map(([pool, outcome]) => `${pool} ${outcome}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const grantCommand = defineCommand({
  name: 'grant',
  summary: "Look up what one user got: their grants and each grab's outcome, across the campaign's pools",
  example: 'grab grant --campaign new-year --user u42',
  flags: (c) =>
    c
      .addOption(campaignFlag())
      .addOption(flag('--user <id>', 'the user id, as the producer enqueued it', userIdSchema).makeOptionMandatory())
      .addOption(toggle('--json', 'print {campaign, instance, user, grants, outcomes} as one JSON object')),
  async run({ campaign: campaignId, user, json }, { settings }) {
    return withCampaign(settings, campaignId, async ({ redis, record }) => {
      const found = await new GrantLookup(redis).userLookup(record, user);
      process.stdout.write(json === true ? `${JSON.stringify(found)}\n` : formatLookup(found));
      return 0;
    });
  },
});

export const claimsCommand = defineCommand({
  name: 'claims',
  summary: "Stream a pool's claims in grant order as NDJSON",
  example: 'grab claims --campaign new-year --pool p1 | head',
  flags: (c) => c.addOption(campaignFlag()).addOption(flag('--pool <id>', 'the pool', idSchema).makeOptionMandatory()),
  async run({ campaign: campaignId, pool: poolId }, { settings }) {
    return withCampaign(settings, campaignId, async ({ redis, record }) => {
      if (!record.spec.pools.some((p) => p.id === poolId))
        throw new CommandFailure(
          `campaign "${campaignId}" has no pool "${poolId}"; grab campaign show --id ${campaignId} lists them`,
        );
      for await (const page of new GrantLookup(redis).claims(poolAddress(record, poolId))) {
        const lines = page.map((c) => JSON.stringify({ campaign: campaignId, pool: poolId, ...c }));
        if (lines.length > 0 && !process.stdout.write(`${lines.join('\n')}\n`)) await once(process.stdout, 'drain');
      }
      return 0;
    });
  },
});
