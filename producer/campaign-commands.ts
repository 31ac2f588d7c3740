import { defineCommand } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { flag, oneOf, text, toggle } from '../shared/cli/flags.js';
import { CUT_SHORT_HINT, requireCampaign, withCampaign, withServices } from '../shared/cli/services.js';
import { campaignFlagRules, idSchema, parseSpecFile, specFromFlags, splitNames } from '../shared/campaign/spec.js';
import { campaignJobIdPrefix } from '../shared/queue/grab-job.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { ZkConnection } from '../shared/lock/zk-connection.js';
import { LOCK_ROOT } from '../shared/lock/zk-lock.js';
import { zkSessionOptions } from '../shared/lock/zk-settings.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { deleteTree } from '../shared/lock/delete-tree.js';
import { campaignView } from '../shared/ledger/campaign-view.js';
import { redisNowMs, stateAt } from '../shared/ledger/lifecycle.js';

/** The flags `grab campaign create` builds a spec from, when it is not given a spec file. */
const specFlags = ['id', 'pools', 'packets', 'amount', 'amountCents', 'split', 'expiresIn'];

/** `--id <id>`: the campaign a `grab campaign` command names. */
const idFlag = () => flag('--id <id>', "the campaign's id", idSchema);

export const campaignCreateCommand = defineCommand({
  name: 'campaign create',
  summary: 'Create a campaign: its pools, amounts and packet counts, from flags or from a spec file',
  example: 'grab campaign create --id new-year --pools 20 --packets 2000 --amount 8888.88',
  flags: (c) =>
    c
      .addOption(
        text(
          '--file <path>',
          'read the campaign from a .json, .yaml or .yml spec instead of the flags below',
        ).conflicts(specFlags),
      )
      .addOption(idFlag())
      .addOption(
        flag(
          '--pools <n>',
          'how many pools, p1 to pn, each with the packets and amount below',
          campaignFlagRules.pools,
        ),
      )
      .addOption(flag('--packets <n>', 'packets per pool', campaignFlagRules.packets))
      .addOption(
        text('--amount <amount>', 'amount per pool in currency units, e.g. 8888.88, read exactly to cents').conflicts(
          'amountCents',
        ),
      )
      .addOption(
        flag('--amount-cents <cents>', 'amount per pool in cents, instead of --amount', campaignFlagRules.amountCents),
      )
      .addOption(oneOf('--split <how>', "how a pool's amount is split into packets", splitNames).default('random'))
      .addOption(
        text(
          '--expires-in <duration>',
          'close by itself this long after creation (e.g. 24h, 90m, 30s, 1h30m) and refund what is left',
        ),
      ),
  async run(opts, { settings }) {
    const spec = opts.file !== undefined ? await parseSpecFile(opts.file) : specFromFlags(opts);
    return withServices(settings, async ({ ledger }) => {
      const created = await ledger.createCampaign(spec);
      if (created.status === 'exists') {
        throw new CommandFailure(
          `campaign "${spec.id}" already exists (${created.key}); nothing was changed. ` +
            `Delete it first or pick another id.`,
        );
      }
      if (created.status === 'other') {
        throw new CommandFailure(
          `a creation of campaign "${spec.id}" with another spec was cut short (${created.key}); nothing was ` +
            `changed. Run it again with that spec to finish it, or delete it: grab campaign delete --id ${spec.id}`,
        );
      }
      const totalCents = spec.pools.reduce((sum, p) => sum + p.amountCents, 0);
      const packets = spec.pools.reduce((sum, p) => sum + p.packets, 0);
      const record = await ledger.getCampaign(spec.id);
      const expires =
        record?.expiresAtMs === undefined ? '' : `, expires at ${new Date(record.expiresAtMs).toISOString()}`;
      process.stdout.write(
        `created campaign ${spec.id}: ${spec.pools.length} pools, ${packets} packets, ` +
          `${totalCents} cents in total, split ${spec.split}${expires}\n`,
      );
      return 0;
    });
  },
});

export const campaignListCommand = defineCommand({
  name: 'campaign list',
  summary:
    'List campaigns: id, state (open, paused, closed, expired; incomplete for a creation cut short) and expiry, tab-separated',
  example: 'grab campaign list',
  flags: (c) => c,
  run: (_opts, { settings }) =>
    withServices(settings, async ({ redis, ledger }) => {
      const nowMs = await redisNowMs(redis);
      for (const id of (await ledger.listCampaigns()).sort()) {
        const record = await ledger.getCampaign(id);
        if (!record) {
          if (await ledger.pendingCreation(id)) process.stdout.write(`${id}\tincomplete\t${CUT_SHORT_HINT}\n`);
          continue;
        }
        const expires = record.expiresAtMs === undefined ? 'never' : new Date(record.expiresAtMs).toISOString();
        process.stdout.write(`${id}\t${stateAt(record, nowMs)}\texpires ${expires}\n`);
      }
      return 0;
    }),
});

export const campaignShowCommand = defineCommand({
  name: 'campaign show',
  summary:
    "Show a campaign: its state, expiry, spec, and each pool's balance, refund and luckiest grant (手气最佳), as JSON",
  example: 'grab campaign show --id new-year',
  flags: (c) => c.addOption(idFlag().makeOptionMandatory()),
  async run({ id }, { settings }) {
    return withCampaign(settings, id, async ({ redis, ledger, outcomes, record }) => {
      const shown = await campaignView(ledger, outcomes, record, await redisNowMs(redis));
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    });
  },
});

export const campaignDeleteCommand = defineCommand({
  name: 'campaign delete',
  summary:
    'Delete a campaign: its ledger, outcomes, queued jobs and lock nodes ' +
    '(refused while grabs are pending, unless --force); also a creation cut short. ' +
    'A deletion cut short is finished by running it again',
  example: 'grab campaign delete --id new-year',
  flags: (c) =>
    c.addOption(idFlag().makeOptionMandatory()).addOption(toggle('--force', 'delete even while grabs are pending')),
  async run({ id, force }, { settings }) {
    return withServices(settings, async ({ redis, ledger, outcomes }) => {
      const record =
        (await ledger.getCampaign(id)) ?? (await ledger.pendingCreation(id)) ?? (await requireCampaign(ledger, id));
      const { pending } = await outcomes.progress(record, record.stripes);
      if (pending > 0 && force !== true) {
        throw new CommandFailure(
          `${pending} grabs of "${id}" are still pending; wait for them (grab wait --campaign ${id}) or pass --force`,
        );
      }
      // Lock nodes first: if ZooKeeper refuses (their ACL wants ZK_AUTH), nothing is deleted yet.
      const zookeeper = new ZkConnection(zkSessionOptions(settings));
      try {
        await deleteTree(await zookeeper.session(), `${LOCK_ROOT}/${id}`);
      } finally {
        zookeeper.close();
      }
      // The ledger first: from then on, workers drop this instance's grabs and the producer stops.
      const deleted = await ledger.deleteCampaign(id);
      if (!deleted) throw new CommandFailure(`campaign "${id}" was deleted meanwhile`);
      const queue = await ShardedQueue.open(settings.queue, settings.queueShards, redis, {
        logger: settingsLogger('campaign', settings),
      });
      try {
        const removed = await queue.removeJobs(campaignJobIdPrefix(id, deleted.instance), redis);
        process.stdout.write(
          `deleted campaign ${id} (instance ${deleted.instance}) and ${removed} of ` +
            `its jobs from queue ${settings.queue}\n`,
        );
      } finally {
        await queue.close();
      }
      return 0;
    });
  },
});
