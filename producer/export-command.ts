import { once } from 'node:events';
import { defineCommand } from '../shared/cli/command.js';
import { toggle } from '../shared/cli/flags.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { PoolAddress } from '../shared/ledger/keys.js';

const writeLine = async (record: object) => {
  if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await once(process.stdout, 'drain');
};

/** Pools read per round when listing refunds. */
const POOLS_PER_READ = 1000;

/** Each closed or expired pool's refund: `at` is its close instant (the close, or the expiry). */
async function writeRefunds(ledger: Ledger, campaignId: string, pools: readonly PoolAddress[]): Promise<void> {
  for (let from = 0; from < pools.length; from += POOLS_PER_READ) {
    const chunk = pools.slice(from, from + POOLS_PER_READ);
    const states = await ledger.poolStates(chunk);
    for (const [i, state] of states.entries()) {
      if (state?.closedAtMs === undefined) continue;
      await writeLine({
        campaign: campaignId,
        pool: chunk[i]!.poolId,
        cents: state.refundedCents,
        packets: state.refundedPackets,
        at: new Date(state.closedAtMs).toISOString(),
      });
    }
  }
}

export const exportCommand = defineCommand({
  name: 'export',
  summary:
    'Stream every grant of a campaign as NDJSON, for crediting users downstream; ' +
    "--refunds: each closed or expired pool's refund instead",
  example: 'grab export --campaign new-year > grants.ndjson',
  flags: (c) =>
    c
      .addOption(campaignFlag())
      .addOption(
        toggle(
          '--refunds',
          'print the refunds instead, one per closed or expired pool: {campaign, pool, cents, packets, at}',
        ),
      ),
  async run({ campaign: campaignId, refunds }, { settings }) {
    return withCampaign(settings, campaignId, async ({ ledger, pools }) => {
      if (refunds === true) {
        await writeRefunds(ledger, campaignId, pools);
        return 0;
      }
      for (const address of pools) {
        const pool = address.poolId;
        const seen = new Set<string>();
        for await (const g of ledger.scanGrants(address)) {
          if (seen.has(g.user)) continue;
          seen.add(g.user);
          await writeLine({
            campaign: campaignId,
            pool,
            user: g.user,
            cents: g.cents,
            token: g.token.toString(),
            at: new Date(g.atMs).toISOString(),
          });
        }
      }
      return 0;
    });
  },
});
