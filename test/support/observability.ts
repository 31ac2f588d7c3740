/** The shipped Grafana dashboards and Prometheus rules, read as data, and their PromQL taken apart. */
import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import {
  createRegistry,
  grabMetrics,
  lifecycleMetrics,
  lockMetrics,
  poolMetrics,
  producerMetrics,
  queueMetrics,
  shardMetrics,
  zooKeeperMetrics,
} from '../../shared/metrics/metrics.js';

export const repoFile = (path: string): string => new URL(`../../${path}`, import.meta.url).pathname;

export interface Dashboard {
  uid: string;
  title: string;
  /** A data source variable's query is the data source type; a query variable's is PromQL. */
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
  panels: {
    title: string;
    targets: { expr: string }[];
  }[];
}

export interface Rule {
  alert: string;
  expr: string;
}

export interface NamedQuery {
  /** "dashboard / panel" or "dashboard / $variable" or "rule name". */
  where: string;
  expr: string;
}

export const dashboardFiles = (): string[] =>
  readdirSync(repoFile('grafana/dashboards'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => repoFile(`grafana/dashboards/${f}`));

export const readDashboards = (): Dashboard[] =>
  dashboardFiles().map((f) => JSON.parse(readFileSync(f, 'utf8')) as Dashboard);

export function readRules(): Rule[] {
  const doc = parseYaml(readFileSync(repoFile('prometheus/rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** Replaces Grafana's variables as Grafana would; throws on one it was not told about. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$(\w+)/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`);
    return value;
  });
}

/**
 * Every query the dashboards run: each panel target, and for each label_values() variable a
 * query for the same series (`group by (label) (selector)`), with the variables substituted.
 */
export function dashboardQueries(values: Record<string, string>): NamedQuery[] {
  return readDashboards().flatMap((d) => [
    ...d.templating.list
      .filter((v) => v.type === 'query')
      .map((v) => {
        const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(
          typeof v.query === 'string' ? v.query : v.query.query,
        );
        if (!labelValues) throw new Error(`${d.title}: variable $${v.name} is not a label_values() query`);
        return {
          where: `${d.title} / $${v.name}`,
          expr: substitute(`group by (${labelValues[2]}) (${labelValues[1]})`, values),
        };
      }),
    ...d.panels.flatMap((p) =>
      p.targets.map((t) => ({ where: `${d.title} / ${p.title}`, expr: substitute(t.expr, values) })),
    ),
  ]);
}

/** Where lezer-promql found a syntax error, as the text there; empty when the expression parses. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
    },
  });
  return errors;
}

/** The metric names an expression selects. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.add(expr.slice(node.from, node.to));
    },
  });
  return [...names];
}

export interface LabelMatcher {
  name: string;
  op: string;
  value: string;
}

/** The label matchers of an expression's selectors, e.g. {name: 'queue', op: '=', value: 'grab'}. */
export function labelMatchers(expr: string): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'UnquotedLabelMatcher') return;
      const part = (name: string) => {
        const child = node.node.getChild(name);
        return child ? expr.slice(child.from, child.to) : '';
      };
      matchers.push({ name: part('LabelName'), op: part('MatchOp'), value: JSON.parse(part('StringLiteral')) });
    },
  });
  return matchers;
}

/** Series Prometheus makes itself for every target. */
const prometheusOwn = ['up'];

/** The series names a worker and a producer export between them, and Prometheus's own. */
export async function exportedSeries(): Promise<Set<string>> {
  const registry = createRegistry();
  lockMetrics(registry);
  grabMetrics(registry);
  poolMetrics(registry);
  zooKeeperMetrics(registry, () => true);
  producerMetrics(registry, async () => 0);
  shardMetrics(registry, () => 0);
  queueMetrics(registry, 'grab', async () => ({ waiting: 0 }));
  lifecycleMetrics(registry, () => [{ campaign: 'c1', state: 'open', refundedCents: 0, refundedPackets: 0 }], ['open']);
  return new Set([...exposedSeriesNames(await registry.metrics()), ...prometheusOwn]);
}

/**
 * The series names a text exposition defines: a histogram's _bucket, _sum and _count, a summary's
 * quantiles, _sum and _count.
 */
export function exposedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${name}${suffix}`);
    else names.add(name!);
  }
  return names;
}
