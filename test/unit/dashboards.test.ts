/** The dashboards as code: the committed JSON is the generator's, and it keeps grafana/dashboard-linter's rules. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardJson, dashboards } from '../../grafana/src/dashboards.js';
import {
  entryMatches,
  isExcluded,
  lint,
  readExclusions,
  rules,
  type LintDashboard,
  type LintPanel,
} from '../support/dashboard-lint.js';
import { readDashboards, repoFile } from '../support/observability.js';

const exclusions = readExclusions(repoFile('grafana/dashboards/.lint'));
const committed = () => readDashboards() as unknown as LintDashboard[];

describe('dashboards as code', () => {
  it('the committed dashboards are what the generator writes (npm run dashboards)', () => {
    const files = readdirSync(repoFile('grafana/dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(dashboards).sort());
    for (const [file, build] of Object.entries(dashboards)) {
      expect(readFileSync(repoFile(`grafana/dashboards/${file}`), 'utf8'), `${file}: run npm run dashboards`).toBe(
        dashboardJson(build()),
      );
    }
  });
});

describe('grafana/dashboard-linter rules', () => {
  for (const rule of rules) {
    it(`${rule.name}: ${rule.description}`, () => {
      expect(lint(rule, committed()).filter((v) => !isExcluded(v, exclusions))).toEqual([]);
    });
  }

  it('every exception in grafana/dashboards/.lint has a reason and is still needed', () => {
    const violations = rules.flatMap((rule) => lint(rule, committed()));
    for (const [rule, exclusion] of Object.entries(exclusions)) {
      expect(exclusion?.reason, rule).toBeTruthy();
      expect(
        rules.map((r) => r.name),
        rule,
      ).toContain(rule);
      const ofRule = violations.filter((v) => v.rule === rule);
      for (const entry of exclusion?.entries ?? [])
        expect(
          ofRule.some((v) => entryMatches(entry, v)),
          `${rule}: ${JSON.stringify(entry)}`,
        ).toBe(true);
    }
  });
});

describe('the lint rules themselves', () => {
  const panel = (overrides: Partial<LintPanel> = {}): LintPanel => ({
    title: 'Grabs',
    type: 'timeseries',
    description: 'Grabs per second',
    datasource: { uid: '${datasource}' },
    fieldConfig: { defaults: { unit: 'ops' } },
    targets: [
      {
        expr: 'sum(rate(grab_grabs_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))',
        datasource: { uid: '$datasource' },
      },
    ],
    ...overrides,
  });
  const selectAll = (name: string) => ({
    name,
    type: 'query',
    label: name[0]!.toUpperCase() + name.slice(1),
    datasource: { uid: '${datasource}' },
    multi: true,
    allValue: '.+',
  });
  const good: LintDashboard = {
    title: 'Good',
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', label: 'Data source', query: 'prometheus' },
        selectAll('job'),
        selectAll('instance'),
      ],
    },
    panels: [panel()],
  };
  const failing = (d: LintDashboard) => rules.filter((rule) => lint(rule, [d]).length > 0).map((rule) => rule.name);

  it('pass a dashboard that keeps them', () => {
    expect(failing(good)).toEqual([]);
  });

  it(
    'catch a fixed data source uid, a missing description or unit, a fixed ' +
      'rate range, a selector without job or instance',
    () => {
      const withPanel = (overrides: Partial<LintPanel>) => failing({ ...good, panels: [panel(overrides)] });
      const withQuery = (expr: string) => withPanel({ targets: [{ expr, datasource: { uid: '$datasource' } }] });
      expect(failing({ ...good, templating: { list: good.templating.list.slice(1) } })).toEqual(
        expect.arrayContaining(['template-datasource-rule', 'panel-datasource-rule']),
      );
      expect(withPanel({ datasource: { uid: 'grab-prometheus' } })).toEqual(['panel-datasource-rule']);
      expect(
        withPanel({
          targets: [{ expr: 'up{job=~"$job", instance=~"$instance"}', datasource: { uid: 'grab-prometheus' } }],
        }),
      ).toEqual(['panel-datasource-rule']);
      expect(withPanel({ description: '' })).toEqual(['panel-title-description-rule']);
      expect(withPanel({ fieldConfig: { defaults: {} } })).toEqual(['panel-units-rule']);
      expect(withPanel({ fieldConfig: { defaults: { unit: 'yuan' } } })).toEqual(['panel-units-rule']);
      expect(withQuery('sum(rate(x{job=~"$job", instance=~"$instance"}[5m]))')).toEqual(['target-rate-interval-rule']);
      expect(withQuery('increase(x{job=~"$job", instance=~"$instance"}[1h])')).toEqual(['target-rate-interval-rule']);
      expect(withQuery('up{job="grab-worker", instance=~"$instance"}')).toEqual(['target-job-rule']);
      expect(
        withPanel({
          targets: [
            {
              expr: 'up{job=~"$job"} / on() group_left x{job=~"$job", instance=~"$instance"}',
              datasource: { uid: '$datasource' },
            },
          ],
        }),
      ).toEqual(['target-instance-rule']);
      expect(failing({ ...good, templating: { list: good.templating.list.filter((v) => v.name !== 'job') } })).toEqual([
        'template-job-rule',
      ]);
      expect(
        failing({
          ...good,
          templating: { list: good.templating.list.map((v) => (v.name === 'instance' ? { ...v, allValue: '.*' } : v)) },
        }),
      ).toEqual(['template-instance-rule']);
    },
  );

  it('honour exceptions as the linter does: a whole rule, or entries by dashboard and panel', () => {
    const v = { rule: 'panel-units-rule', dashboard: 'D', panel: 'P', message: '' };
    expect(isExcluded(v, {})).toBe(false);
    expect(isExcluded(v, { 'panel-units-rule': { reason: 'r' } })).toBe(true);
    expect(isExcluded(v, { 'panel-units-rule': { reason: 'r', entries: [{ dashboard: 'D' }] } })).toBe(true);
    expect(isExcluded(v, { 'panel-units-rule': { reason: 'r', entries: [{ dashboard: 'D', panel: 'Q' }] } })).toBe(
      false,
    );
    expect(isExcluded(v, { 'target-job-rule': { reason: 'r' } })).toBe(false);
  });
});
