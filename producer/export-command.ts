import { once } from 'node:events';
import type { Command } from '../shared/cli/command.js';
import { option } from '../shared/cli/options.js';
import { requireCampaign, withServices } from '../shared/cli/services.js';
import { idSchema } from '../shared/campaign/spec.js';
import { poolAddresses } from '../shared/ledger/ledger.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Stream every grant of a campaign as NDJSON, for crediting users downstream',
  usage: 'grab export --campaign C',
  example: 'grab export --campaign new-year > grants.ndjson',
  options: { campaign: { type: 'string' } },
  async run({ values, settings }) {
    const campaignId = option(values, 'campaign', idSchema);
    return withServices(settings, async ({ ledger }) => {
      const record = await requireCampaign(ledger, campaignId);
      for (const address of poolAddresses(record)) {
        const pool = address.poolId;
        const seen = new Set<string>();
        for await (const g of ledger.scanGrants(address)) {
          if (seen.has(g.user)) continue;
          seen.add(g.user);
          const line = JSON.stringify({ campaign: campaignId, pool, user: g.user, cents: g.cents, token: g.token.toString(), at: new Date(g.atMs).toISOString() });
          if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
        }
      }
      return 0;
    });
  },
};
