import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { campaignPools } from './campaign-pools.js';
import { fleetOverview } from './fleet-overview.js';

/** Each dashboard under its file name in grafana/dashboards/, which Grafana provisions from. */
export const dashboards: Record<string, () => Dashboard> = {
  'grab-fleet-overview.json': fleetOverview,
  'campaign-pools.json': campaignPools,
};

/** A dashboard's file as committed. */
export const dashboardJson = (dashboard: Dashboard): string => `${JSON.stringify(dashboard, null, 2)}\n`;
