/**
 * Rules of grafana/dashboard-linter (lint/rule_*.go), applied to dashboard JSON as Grafana loads
 * it, with exceptions from a `.lint` file in the linter's own format beside the dashboards:
 *
 *   exclusions:
 *     <rule name>:
 *       reason: why
 *       entries:            # none: the rule is off for every dashboard of the folder
 *         - dashboard: <title>
 *           panel: <title>  # optional, as is targetIdx
 *
 * Where a rule here is stricter than the linter's it says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

interface Ref {
  uid?: string;
}

export interface LintVariable {
  name: string;
  type: string;
  label?: string;
  query?: string | { query: string };
  datasource?: Ref;
  multi?: boolean;
  allValue?: string;
}

export interface LintPanel {
  title?: string;
  type: string;
  description?: string;
  datasource?: Ref;
  fieldConfig?: {
    defaults?: { unit?: string; mappings?: unknown[] };
    overrides?: { properties?: { id: string; value?: unknown }[] }[];
  };
  options?: { reduceOptions?: { fields?: string } };
  targets?: { expr?: string; datasource?: Ref }[];
}

export interface LintDashboard {
  title: string;
  templating: { list: LintVariable[] };
  panels: LintPanel[];
}

export interface Violation {
  rule: string;
  dashboard: string;
  panel?: string | undefined;
  targetIdx?: number | undefined;
  message: string;
}

interface Rule {
  name: string;
  description: string;
  check(d: LintDashboard): Omit<Violation, 'rule' | 'dashboard'>[];
}

/** The panel types the linter's panel rules look at. */
const PANEL_TYPES = new Set(['stat', 'singlestat', 'graph', 'table', 'timeseries', 'gauge']);
/** What the linter substitutes for $__rate_interval before parsing, so the range can be recognised. */
const RATE_INTERVAL = '8869990787ms';
/** Grafana's unit ids, as the foundation SDK lists them. */
const GRAFANA_UNITS = new Set<unknown>(Object.values(units).filter((u) => typeof u === 'string'));

const datasourceVariables = (d: LintDashboard) => d.templating.list.filter((v) => v.type === 'datasource');
const templatedUids = (d: LintDashboard) =>
  new Set(datasourceVariables(d).flatMap((v) => [`$${v.name}`, `\${${v.name}}`]));
const titleCase = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const panelsOf = (d: LintDashboard) => d.panels.filter((p) => PANEL_TYPES.has(p.type));

/**
 * Every target's expression, parsed after the linter's substitution of $__rate_interval; other
 * variables stay as text.
 */
function* targetsOf(d: LintDashboard) {
  for (const panel of panelsOf(d)) {
    for (const [targetIdx, target] of (panel.targets ?? []).entries()) {
      if (!target.expr) continue;
      const expr = target.expr.replaceAll('$__rate_interval', RATE_INTERVAL);
      yield { panel: panel.title, targetIdx, raw: target.expr, expr, tree: parser.parse(expr) };
    }
  }
}

type Tree = ReturnType<typeof parser.parse>;
type Node = Tree['topNode'];

function nodesNamed(tree: Tree, name: string): Node[] {
  const found: Node[] = [];
  tree.iterate({ enter: (ref) => void (ref.name === name && found.push(ref.node)) });
  return found;
}

/** template-job-rule and template-instance-rule: checkTemplate() of lint/rule_template_job.go. */
function templateRule(label: string): Rule {
  return {
    name: `template-${label}-rule`,
    description: `Checks that the dashboard has a templated ${label}.`,
    check(d) {
      const v = d.templating.list.find((t) => t.name === label);
      if (!v) return [{ message: `is missing the ${label} template` }];
      const problems: string[] = [];
      if (!templatedUids(d).has(v.datasource?.uid ?? ''))
        problems.push(`should use the templated data source, uses '${v.datasource?.uid}'`);
      if (v.type !== 'query') problems.push(`should be a Prometheus query, is '${v.type}'`);
      if (v.label !== titleCase(label)) problems.push(`should be labeled '${titleCase(label)}', is '${v.label}'`);
      if (!v.multi) problems.push('should be a multi select');
      if (v.allValue !== '.+') problems.push(`allValue should be '.+', is '${v.allValue}'`);
      return problems.map((p) => ({ message: `${label} template ${p}` }));
    },
  };
}

/**
 * target-job-rule and target-instance-rule: every selector matches the label against its variable
 * (lint/rule_target_job_instance.go).
 */
function targetMatcherRule(label: string): Rule {
  return {
    name: `target-${label}-rule`,
    description: `Checks that every PromQL query has a ${label} matcher.`,
    check(d) {
      return [...targetsOf(d)].flatMap(({ panel, targetIdx, raw, expr, tree }) =>
        nodesNamed(tree, 'VectorSelector')
          .filter((selector) => {
            const matchers = selector.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
            return !matchers.some((m) => {
              const text = (name: string) =>
                m.getChild(name) ? expr.slice(m.getChild(name)!.from, m.getChild(name)!.to) : '';
              return text('LabelName') === label && text('MatchOp') === '=~' && text('StringLiteral') === `"$${label}"`;
            });
          })
          .map((selector) => ({
            panel,
            targetIdx,
            message: `${expr.slice(selector.from, selector.to)} has no ${label}=~"$${label}" matcher, in ${raw}`,
          })),
      );
    },
  };
}

export const rules: Rule[] = [
  {
    name: 'template-datasource-rule',
    description: 'Checks that the dashboard has a templated datasource.',
    check(d) {
      const variables = datasourceVariables(d);
      if (variables.length === 0) return [{ message: 'does not have a templated data source' }];
      return variables.flatMap((v) => {
        const query = typeof v.query === 'string' ? v.query : '';
        const names = [`${query.toLowerCase()}_datasource`, ...(variables.length === 1 ? ['datasource'] : [])];
        const labels = [`${titleCase(query)} data source`, ...(variables.length === 1 ? ['Data source'] : [])];
        return [
          ...(names.includes(v.name)
            ? []
            : [{ message: `templated data source variable named '${v.name}', should be named ${names.join(' or ')}` }]),
          ...(labels.includes(v.label ?? '')
            ? []
            : [
                {
                  message:
                    `templated data source variable labeled '${v.label}', should be labeled ` +
                    `${labels.join(' or ')}`,
                },
              ]),
        ];
      });
    },
  },
  {
    // The linter checks panels only; their targets must not name another data source either.
    name: 'panel-datasource-rule',
    description: 'Checks that each panel uses the templated datasource.',
    check(d) {
      const allowed = templatedUids(d);
      return panelsOf(d).flatMap((p) =>
        [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]
          .filter((ref) => !allowed.has(ref?.uid ?? ''))
          .map((ref) => ({ panel: p.title, message: `does not use a templated datasource, uses '${ref?.uid}'` })),
      );
    },
  },
  {
    name: 'panel-title-description-rule',
    description: 'Checks that each panel has a title and description.',
    check(d) {
      return panelsOf(d)
        .filter((p) => !p.title || !p.description)
        .map((p) => ({
          panel: p.title,
          message: `has missing title or description: '${p.title}', '${p.description}'`,
        }));
    },
  },
  {
    name: 'panel-units-rule',
    description: 'Checks that each panel uses has valid units defined.',
    check(d) {
      return panelsOf(d).flatMap((p) => {
        if (p.type === 'stat' && (p.options?.reduceOptions?.fields ?? '') !== '') return [];
        const overrides = (p.fieldConfig?.overrides ?? []).flatMap((o) => o.properties ?? []);
        if (overrides.some((o) => o.id === 'mappings' && o.value != null) || p.fieldConfig?.defaults?.mappings?.length)
          return [];
        const unit =
          (overrides.filter((o) => o.id === 'unit').at(-1)?.value as string | undefined) ||
          p.fieldConfig?.defaults?.unit ||
          '';
        return GRAFANA_UNITS.has(unit)
          ? []
          : [{ panel: p.title, message: `has no or invalid units defined: '${unit}'` }];
      });
    },
  },
  {
    // The linter checks rate() and irate(); increase() over a fixed range misleads the same way.
    name: 'target-rate-interval-rule',
    description: 'Checks that each target uses $__rate_interval.',
    check(d) {
      return [...targetsOf(d)].flatMap(({ panel, targetIdx, raw, expr, tree }) =>
        nodesNamed(tree, 'MatrixSelector')
          .filter((selector) => {
            const call = selector.parent?.name === 'FunctionCallBody' ? selector.parent.parent : null;
            const fn = call?.getChild('FunctionIdentifier');
            const range = selector.getChild('DurationExpr');
            return (
              fn &&
              ['rate', 'irate', 'increase'].includes(expr.slice(fn.from, fn.to)) &&
              range &&
              expr.slice(range.from, range.to) !== RATE_INTERVAL
            );
          })
          .map(() => ({ panel, targetIdx, message: `should use $__rate_interval: ${raw}` })),
      );
    },
  },
  templateRule('job'),
  templateRule('instance'),
  targetMatcherRule('job'),
  targetMatcherRule('instance'),
];

interface ExclusionEntry {
  dashboard?: string;
  panel?: string;
  targetIdx?: string | number;
}
export type Exclusions = Record<string, { reason?: string; entries?: ExclusionEntry[] } | null>;

/** The exclusions of a folder's `.lint` file; none without one. */
export function readExclusions(lintFile: string): Exclusions {
  if (!existsSync(lintFile)) return {};
  return (parseYaml(readFileSync(lintFile, 'utf8')) as { exclusions?: Exclusions } | null)?.exclusions ?? {};
}

/** An entry matches as in lint/configuration.go: each attribute it sets must equal the violation's. */
export const entryMatches = (entry: ExclusionEntry, v: Violation): boolean =>
  (!entry.dashboard || entry.dashboard === v.dashboard) &&
  (!entry.panel || v.panel === undefined || entry.panel === v.panel) &&
  (entry.targetIdx === undefined || v.targetIdx === undefined || Number(entry.targetIdx) === v.targetIdx);

export function isExcluded(v: Violation, exclusions: Exclusions): boolean {
  if (!Object.hasOwn(exclusions, v.rule)) return false;
  const entries = exclusions[v.rule]?.entries ?? [];
  return entries.length === 0 || entries.some((entry) => entryMatches(entry, v));
}

/** Every violation of `rule` in the dashboards, excluded ones included. */
export const lint = (rule: Rule, dashboards: LintDashboard[]): Violation[] =>
  dashboards.flatMap((d) => rule.check(d).map((v) => ({ rule: rule.name, dashboard: d.title, ...v })));
