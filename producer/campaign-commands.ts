import { z } from 'zod';
import { UsageError } from '../shared/config/errors.js';
import type { Command, OptionValues } from '../shared/cli/command.js';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { option } from '../shared/cli/options.js';
import { requireCampaign, withServices } from '../shared/cli/services.js';
import { idSchema, parseSpecFile, specFromFlags } from '../shared/campaign/spec.js';
import { poolAddresses } from '../shared/ledger/ledger.js';
import { campaignJobIdPrefix } from '../shared/queue/grab-job.js';
import { ShardedQueue } from '../shared/queue/sharded-queue.js';
import { ZkConnection } from '../shared/lock/zk-connection.js';
import { LOCK_ROOT } from '../shared/lock/zk-lock.js';
import { zkSessionOptions } from '../shared/lock/zk-settings.js';
import { settingsLogger } from '../shared/logging/logger.js';
import { deleteTree } from '../shared/lock/delete-tree.js';

const campaignId = (values: OptionValues) => option(values, 'id', idSchema);

export const campaignCreateCommand: Command = {
  name: 'campaign create',
  summary: 'Create a campaign: its pools, amounts and packet counts',
  usage: 'grab campaign create --file spec.json|spec.yaml | --id C --pools N --packets K (--amount 8888.88 | --amount-cents 888888) [--split random|equal]',
  example: 'grab campaign create --id new-year --pools 20 --packets 2000 --amount 8888.88',
  options: {
    file: { type: 'string' },
    id: { type: 'string' },
    pools: { type: 'string' },
    packets: { type: 'string' },
    amount: { type: 'string' },
    'amount-cents': { type: 'string' },
    split: { type: 'string' },
  },
  async run({ values, settings }) {
    const flagGiven = ['id', 'pools', 'packets', 'amount', 'amount-cents', 'split'].some((f) => values[f] !== undefined);
    if (typeof values.file === 'string' && flagGiven) throw new UsageError('give either --file or the --id/--pools/--packets/--amount flags, not both');
    const spec =
      typeof values.file === 'string'
        ? await parseSpecFile(values.file)
        : specFromFlags({
            id: values.id,
            pools: values.pools,
            packets: values.packets,
            amount: values.amount,
            amountCents: values['amount-cents'],
            split: values.split,
          });
    return withServices(settings, async ({ ledger }) => {
      const created = await ledger.createCampaign(spec);
      if (created.status === 'exists') {
        throw new CommandFailure(`campaign "${spec.id}" already exists (${created.key}); nothing was changed. Delete it first or pick another id.`);
      }
      const totalCents = spec.pools.reduce((sum, p) => sum + p.amountCents, 0);
      const packets = spec.pools.reduce((sum, p) => sum + p.packets, 0);
      process.stdout.write(`created campaign ${spec.id}: ${spec.pools.length} pools, ${packets} packets, ${totalCents} cents in total, split ${spec.split}\n`);
      return 0;
    });
  },
};

export const campaignListCommand: Command = {
  name: 'campaign list',
  summary: 'List campaign ids',
  usage: 'grab campaign list',
  example: 'grab campaign list',
  options: {},
  run: ({ settings }) =>
    withServices(settings, async ({ ledger }) => {
      for (const id of (await ledger.listCampaigns()).sort()) process.stdout.write(`${id}\n`);
      return 0;
    }),
};

export const campaignShowCommand: Command = {
  name: 'campaign show',
  summary: 'Show a campaign: its spec and each pool\'s balance, as JSON',
  usage: 'grab campaign show --id C',
  example: 'grab campaign show --id new-year',
  options: { id: { type: 'string' } },
  async run({ values, settings }) {
    const id = campaignId(values);
    return withServices(settings, async ({ ledger, outcomes }) => {
      const record = await requireCampaign(ledger, id);
      const states = await ledger.poolStates(poolAddresses(record));
      const pools = record.spec.pools.map((p, i) => {
        const state = states[i];
        return { pool: p.id, ...state, token: state?.token.toString() };
      });
      const progress = await outcomes.progress(record, record.stripes);
      const shown = {
        id,
        instance: record.instance,
        split: record.spec.split,
        lock: record.lock ?? null,
        createdAt: new Date(record.createdAtMs).toISOString(),
        grabs: { enqueued: progress.enqueued, pending: progress.pending, finished: progress.finished, outcomes: progress.outcomes },
        pools,
      };
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    });
  },
};

export const campaignDeleteCommand: Command = {
  name: 'campaign delete',
  summary: 'Delete a campaign: its ledger, outcomes, queued jobs and lock nodes (refused while grabs are pending, unless --force)',
  usage: 'grab campaign delete --id C [--force]',
  example: 'grab campaign delete --id new-year',
  options: { id: { type: 'string' }, force: { type: 'boolean' } },
  async run({ values, settings }) {
    const id = campaignId(values);
    const force = option(values, 'force', z.boolean().default(false));
    return withServices(settings, async ({ redis, ledger, outcomes }) => {
      const record = await requireCampaign(ledger, id);
      const { pending } = await outcomes.progress(record, record.stripes);
      if (pending > 0 && !force) {
        throw new CommandFailure(`${pending} grabs of "${id}" are still pending; wait for them (grab wait --campaign ${id}) or pass --force`);
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
      const queue = await ShardedQueue.open(settings.queue, settings.queueShards, redis, { logger: settingsLogger('campaign', settings) });
      try {
        const removed = await queue.removeJobs(campaignJobIdPrefix(id, deleted.instance), redis);
        process.stdout.write(`deleted campaign ${id} (instance ${deleted.instance}) and ${removed} of its jobs from queue ${settings.queue}\n`);
      } finally {
        await queue.close();
      }
      return 0;
    });
  },
};
