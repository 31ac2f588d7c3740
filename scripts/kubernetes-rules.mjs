// npm run kubernetes:rules: writes prometheus/rules.yml as the prometheus-operator PrometheusRule
// of deploy/kubernetes/base, so that the two never differ (test/unit/kubernetes.test.ts checks).
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const root = new URL('../', import.meta.url);
const target = 'deploy/kubernetes/base/prometheus-rule.yaml';
const rule = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'grab-fleet', labels: { 'app.kubernetes.io/name': 'grab-fleet' } },
  spec: parse(readFileSync(new URL('prometheus/rules.yml', root), 'utf8')),
};
const header =
  '# Generated from prometheus/rules.yml by `npm run kubernetes:rules`: edit that file, then run it.\n' +
  '# A Prometheus loads it only if its ruleSelector matches these labels (see docs/kubernetes.md).\n';
writeFileSync(new URL(target, root), header + stringify(rule, { lineWidth: 0 }));
console.log(`wrote ${target}`);
