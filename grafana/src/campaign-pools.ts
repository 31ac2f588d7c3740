import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  dashboard,
  datasourceVariable,
  labelVariable,
  selectAllVariable,
  statPanel,
  timeseriesPanel,
  yuan,
  type Step,
} from './panels.js';

/**
 * The chosen pools of the chosen campaign. Each worker exports the pools it granted from, so a
 * pool can appear once per worker that read it; the panels take the lowest, the latest balance.
 */
const pools = 'campaign="$campaign", pool=~"$pool"';
const remainingPackets = `min by (pool) (grab_pool_remaining_packets{${pools}})`;
/** Every worker's expiry sweep exports every campaign alike, hence max. */
const campaign = 'campaign="$campaign"';

const balanceSteps: Step[] = [
  ['red', null],
  ['green', 0],
];

export const campaignPools = (): Dashboard =>
  dashboard({
    uid: 'grab-campaign-pools',
    title: 'Campaign pools',
    description:
      "Each pool's balance as the workers last read it from the ledger. A " +
      'pool is exported while it pays out and for a minute after its last ' +
      'packet; at most 1,000 pools per worker.',
    variables: [
      datasourceVariable(),
      labelVariable('campaign', 'Campaign', 'grab_pool_remaining_packets'),
      selectAllVariable('pool', 'Pool', 'grab_pool_remaining_packets{campaign="$campaign"}', '.*'),
    ],
    panels: [
      statPanel({
        title: 'State',
        description:
          "open, paused, closed or expired, as the workers' expiry sweep (every second) last saw it. Only an open campaign grants; closed and expired are final.",
        unit: units.NoUnit,
        size: [6, 6],
        queries: [[`max by (state) (grab_campaign_state{${campaign}}) == 1`, '{{state}}']],
        steps: [['blue', null]],
      }),
      statPanel({
        title: 'Refunded',
        description:
          'What a closed or expired campaign handed back, over all its pools (each pool refunded once, at the close or expiry); 0 while it runs.',
        unit: yuan,
        size: [6, 6],
        queries: [[`max(grab_campaign_refunded_cents{${campaign}}) / 100`, 'refunded']],
        steps: [['blue', null]],
      }),
      statPanel({
        title: 'Packets refunded',
        description: 'Packets nobody grabbed before the close or expiry, over all its pools.',
        unit: units.Short,
        size: [6, 6],
        queries: [[`max(grab_campaign_refunded_packets{${campaign}})`, 'packets']],
        steps: [['blue', null]],
      }),
      timeseriesPanel({
        title: 'Expired grabs per second (fleet)',
        description:
          'Grabs settled as expired: their pool was closed or past its expiry. Counted over the fleet, every campaign together.',
        unit: units.OpsPerSecond,
        size: [6, 6],
        queries: [['sum(rate(grab_grabs_total{outcome="expired"}[$__rate_interval]))', 'expired']],
      }),
      timeseriesPanel({
        title: 'Remaining',
        description: 'Never below zero: the GrabPoolBelowZero alert watches it.',
        unit: yuan,
        size: [12, 8],
        queries: [[`min by (pool) (grab_pool_remaining_cents{${pools}}) / 100`, '{{pool}}']],
        steps: balanceSteps,
        min: null,
      }),
      timeseriesPanel({
        title: 'Remaining packets',
        description:
          'Packets left in each pool. A sold-out pool reads 0 for a minute after ' +
          'its last packet, then leaves the export.',
        unit: units.Short,
        size: [12, 8],
        queries: [[remainingPackets, '{{pool}}']],
        steps: balanceSteps,
        min: null,
      }),
      statPanel({
        title: 'Pools sold out',
        description: 'Pools with no packet left, and pools still paying out, among those the workers export.',
        unit: units.NoUnit,
        size: [6, 8],
        queries: [
          [`count(${remainingPackets} == 0) or vector(0)`, 'sold out'],
          [`count(${remainingPackets} > 0) or vector(0)`, 'paying out'],
        ],
        steps: [
          ['green', null],
          ['orange', 1],
        ],
      }),
      timeseriesPanel({
        title: 'Packets granted per second, by pool',
        description: 'The fall of remaining packets: one packet per granted grab.',
        unit: units.Short,
        size: [18, 8],
        queries: [[`clamp_min(-deriv(${remainingPackets}[$__rate_interval:]), 0)`, '{{pool}}']],
      }),
      timeseriesPanel({
        title: 'Lock contenders by pool',
        description:
          "Contenders queued on each pool's lock, the holder included, at its " +
          "last acquisition. Above 1, the pool's grabs wait in line.",
        unit: units.Short,
        size: [24, 8],
        queries: [[`max by (pool) (grab_lock_contenders{${pools}})`, '{{pool}}']],
        steps: [
          ['green', null],
          ['yellow', 8],
        ],
      }),
    ],
  });
