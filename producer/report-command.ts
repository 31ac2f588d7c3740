import { defineCommand } from '../shared/cli/command.js';
import { toggle } from '../shared/cli/flags.js';
import { campaignFlag, withCampaign } from '../shared/cli/services.js';
import { buildReport, type CampaignReport, type ListedGrab } from './campaign-report.js';

const listLines = (label: string, total: number, grabs: readonly ListedGrab[]): string[] =>
  total === 0
    ? []
    : [
        `${label} (${total}${grabs.length < total ? `, first ${grabs.length} listed` : ''}):`,
        ...grabs.map((g) => `  ${g.jobId}${g.pool ? ` (pool ${g.pool})` : ''}: ${g.reason}`),
      ];

function formatReport(report: CampaignReport): string {
  const { outcomes, jobs } = report;
  const lines = [
    `campaign ${report.campaign} (${report.state}): ${report.ok ? 'OK' : 'VIOLATED'}`,
    `grabs: ${jobs.enqueued} enqueued, ${jobs.finished} finished, ${jobs.pending} pending`,
    `outcomes: ${outcomes.granted} granted, ${outcomes.sold_out} sold out, ` +
      `${outcomes.duplicate} duplicate, ${outcomes.expired} expired, ${outcomes.rejected} rejected, ` +
      `${outcomes.failed} failed`,
    'pool                 total cents   granted cents  refunded cents  remaining cents  packets granted  packets refunded',
    ...report.pools.map(
      (p) =>
        `${p.pool.padEnd(20)} ${String(p.totalCents).padStart(11)} ${String(p.grantedCents).padStart(15)} ` +
        `${String(p.refundedCents).padStart(15)} ${String(p.remainingCents).padStart(16)} ` +
        `${`${p.packetsGranted}/${p.packets}`.padStart(16)} ${String(p.refundedPackets).padStart(17)}`,
    ),
    ...report.violations.map((v) => `VIOLATION: ${v}`),
    ...listLines(
      `FAILED grabs, re-drive them with grab redrive --campaign ${report.campaign}`,
      outcomes.failed,
      report.failed,
    ),
    ...listLines('rejected grabs', outcomes.rejected, report.rejected),
  ];
  return `${lines.join('\n')}\n`;
}

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'Audit a campaign against its invariants (exit 1 naming each violation, or listing failed grabs)',
  example: 'grab report --campaign new-year --json',
  flags: (c) => c.addOption(campaignFlag()).addOption(toggle('--json', 'print the report as one JSON object')),
  async run({ campaign: campaignId, json }, { settings }) {
    return withCampaign(settings, campaignId, async (services) => {
      const report = await buildReport(services, services.record);
      process.stdout.write(json === true ? `${JSON.stringify(report)}\n` : formatReport(report));
      return report.ok && report.outcomes.failed === 0 ? 0 : 1;
    });
  },
});
