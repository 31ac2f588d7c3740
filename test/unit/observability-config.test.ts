/** The dashboards and rules against the code: every query parses, and names only metrics the fleet exports. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry, grabMetrics, lockMetrics, poolMetrics } from '../../shared/metrics/metrics.js';
import {
  dashboardFiles,
  dashboardQueries,
  exportedSeries,
  metricNames,
  promqlErrors,
  readDashboards,
  readRules,
  repoFile,
} from '../support/observability.js';

const queries = () => [
  ...dashboardQueries({ campaign: 'c1', pool: '.*', job: '.+', instance: '.+', __rate_interval: '1m' }),
  ...readRules().map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
];

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `promtool: ${r.error.message}; install it with: sudo bash scripts/services.sh install --with-prometheus`,
    );
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('dashboards and alert rules', () => {
  it('every PromQL expression parses', () => {
    const bad = queries().flatMap(({ where, expr }) => promqlErrors(expr).map((e) => `${where}: ${e} in ${expr}`));
    expect(bad).toEqual([]);
  });

  it('every metric a panel or rule names is registered by the code', async () => {
    const exported = await exportedSeries();
    const missing = queries().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
    expect(queries().every(({ expr }) => metricNames(expr).length > 0)).toBe(true);
  });

  it('promtool accepts the rules and both Prometheus configs', () => {
    for (const args of [
      ['check', 'rules', repoFile('prometheus/rules.yml')],
      ['check', 'config', repoFile('prometheus/prometheus.yml')],
      ['check', 'config', repoFile('prometheus/prometheus-compose.yml')],
    ]) {
      const r = promtool(...args);
      expect(r.code, r.output).toBe(0);
    }
  });

  it('dashboards are self-contained: no import placeholders, unique uids, a query on every panel', () => {
    for (const file of dashboardFiles()) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\$\{DS_|__inputs|__requires/);
    }
    const dashboards = readDashboards();
    expect(dashboards.map((d) => d.title).sort()).toEqual(['Campaign pools', 'Grab fleet overview']);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    for (const d of dashboards)
      for (const p of d.panels) expect(p.targets.length, `${d.title} / ${p.title}`).toBeGreaterThan(0);
  });

  it('per-pool labels appear only on the bounded gauges, never on a histogram', async () => {
    const registry = createRegistry();
    for (const group of [lockMetrics(registry), grabMetrics(registry), poolMetrics(registry)]) {
      for (const metric of Object.values(group)) {
        const { labelNames } = metric as unknown as { labelNames: string[] };
        if (labelNames.includes('pool') || labelNames.includes('campaign')) expect(metric).toBeInstanceOf(Gauge);
      }
    }
  });
});
