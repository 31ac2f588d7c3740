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
