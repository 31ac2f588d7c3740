import { SettingConflict } from '../shared/config/errors.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';

/**
 * Refuses to start a worker whose lock family differs from the one a campaign with pending
 * grabs on its queue is settled under: its fencing tokens cannot be compared with the
 * campaign's, so each of its commits would be fenced out, or would fence out the others.
 * Campaigns enqueued on other queues are other fleets' business.
 */
export async function checkLockFamily(
  ledger: Ledger,
  outcomes: OutcomeLog,
  family: string,
  strategy: string,
  queue: string,
): Promise<void> {
  const conflicts: string[] = [];
  for (const id of await ledger.listCampaigns()) {
    const record = await ledger.getCampaign(id);
    if (!record?.lock || record.lock === family || !(await ledger.queuesOf(record)).includes(queue)) continue;
    const { pending } = await outcomes.progress(record, record.stripes);
    if (pending > 0) conflicts.push(`"${id}" (--lock ${record.lock}, ${pending} grabs pending)`);
  }
  if (conflicts.length > 0) {
    const campaigns = conflicts.length === 1 ? `campaign ${conflicts[0]} is` : `campaigns ${conflicts.join(', ')} are`;
    throw new SettingConflict(
      `refusing to start with --lock ${strategy} on queue "${queue}": ${campaigns} ` +
        `being settled under another lock, whose fencing tokens cannot be compared ` +
        `with this one's. ` +
        "Run this worker with the campaign's --lock, or let the campaign finish first (grab wait).",
    );
  }
}
