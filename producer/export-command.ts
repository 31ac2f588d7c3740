import { once } from 'node:events';
import { defineCommand } from '../shared/cli/command.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'Stream every grant of a campaign as NDJSON, for crediting users downstream',
  example: 'grab export --campaign new-year > grants.ndjson',
  flags: (c) => c.addOption(campaignFlag()),
  async run({ campaign: campaignId }, { settings }) {
    return withCampaign(settings, campaignId, async ({ ledger, pools }) => {
      for (const address of pools) {
        const pool = address.poolId;
        const seen = new Set<string>();
        for await (const g of ledger.scanGrants(address)) {
          if (seen.has(g.user)) continue;
          seen.add(g.user);
          const line = JSON.stringify({
            campaign: campaignId,
            pool,
            user: g.user,
            cents: g.cents,
            token: g.token.toString(),
            at: new Date(g.atMs).toISOString(),
          });
          if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
        }
      }
      return 0;
    });
  },
});
