/**
 * deploy/kubernetes rendered offline: `kubectl kustomize`, each object checked against its
 * schema (the kubernetes-models packages), and the helpers the property checks need to follow
 * references between objects as the cluster would.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { repoFile } from './observability.js';

/** A rendered object: its type and metadata, the rest as the YAML has it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

/** The model (and so the schema) of every kind the manifests may contain, by apiVersion/kind. */
const models: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** What its schema says is wrong with each object; empty when every object is valid. */
export function schemaProblems(objects: Manifest[]): string[] {
  return objects.flatMap((object) => {
    const where = `${object.kind} ${object.metadata?.name}`;
    const Model = models[`${object.apiVersion}/${object.kind}`];
    if (!Model) return [`${where}: no schema for ${object.apiVersion} ${object.kind}; add its model`];
    try {
      new Model(object).validate();
      return [];
    } catch (err) {
      return [`${where}: ${(err as Error).message}`];
    }
  });
}

/** What kubectl prints on stderr for the `bases:` field Debian's kubectl needs (see base/kustomization.yaml). */
const basesDeprecation = /^# Warning: 'bases' is deprecated\..*$/gm;

/** KUBECTL picks another binary, e.g. Debian's 1.20 to check against kustomize 2.0.3 where a newer one is installed. */
const kubectlBinary = () => process.env.KUBECTL ?? 'kubectl';

/** The objects `kubectl kustomize deploy/kubernetes/<dir>` renders; throws with kubectl's complaint. */
export function render(dir: string): Manifest[] {
  const r = spawnSync(kubectlBinary(), ['kustomize', repoFile(`deploy/kubernetes/${dir}`)], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `kubectl: ${r.error.message}; install it with: sudo bash scripts/services.sh install --with-kubectl`,
    );
  const complaints = r.stderr.replace(basesDeprecation, '').trim();
  if (r.status !== 0 || complaints !== '')
    throw new Error(`kubectl kustomize ${dir} exited ${r.status}: ${complaints}`);
  return parseAllDocuments(r.stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Manifest;
  });
}

/** The one object of that kind and name; throws naming what is missing. */
export function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`);
  return found;
}

export const ofKind = (objects: Manifest[], kind: string): Manifest[] => objects.filter((o) => o.kind === kind);

/** Deployments, StatefulSets and Jobs: the objects that run pods. */
export const workloads = (objects: Manifest[]): Manifest[] =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));

/** A workload's containers, init containers first. */
export const containersOf = (workload: Manifest): any[] => [
  ...(workload.spec.template.spec.initContainers ?? []),
  ...workload.spec.template.spec.containers,
];

/** A ConfigMap's entries, or a Secret's decoded. */
export function dataOf(object: Manifest): Record<string, string> {
  const data = (object.data ?? {}) as Record<string, string>;
  if (object.kind !== 'Secret') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * The environment a container gets: its envFrom ConfigMaps and Secrets in order, then its env
 * (literal values only). A missing ConfigMap or Secret throws, as the pod would fail to start.
 */
export function environmentOf(objects: Manifest[], container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, dataOf(find(objects, 'ConfigMap', from.configMapRef.name)));
    if (from.secretRef) Object.assign(env, dataOf(find(objects, 'Secret', from.secretRef.name)));
  }
  for (const { name, value } of container.env ?? []) if (value !== undefined) env[name] = value;
  return env;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a Kubernetes label selector selects these labels. An empty selector selects everything. */
export function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels && values.includes(labels[key]!));
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabel && byExpression;
}

interface Relabeling {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  replacement?: string;
  action?: string;
}

/**
 * The job label Prometheus gives a pod's target: prometheus-operator's default for a PodMonitor
 * (namespace/name), then the endpoint's relabelings (only `replace`, the default action, which
 * is all these manifests use), with the pod's labels as __meta_kubernetes_pod_label_<name>.
 */
export function scrapeJob(podMonitor: Manifest, relabelings: Relabeling[], podLabels: Record<string, string>): string {
  const labels: Record<string, string> = { job: `${podMonitor.metadata.namespace}/${podMonitor.metadata.name}` };
  for (const [k, v] of Object.entries(podLabels))
    labels[`__meta_kubernetes_pod_label_${k.replace(/[^A-Za-z0-9_]/g, '_')}`] = v;
  for (const r of relabelings) {
    if ((r.action ?? 'replace') !== 'replace') throw new Error(`relabeling action ${r.action} is not modelled here`);
    const value = (r.sourceLabels ?? []).map((l) => labels[l] ?? '').join(r.separator ?? ';');
    const match = new RegExp(`^(?:${r.regex ?? '(.*)'})$`).exec(value);
    if (match && r.targetLabel)
      labels[r.targetLabel] = (r.replacement ?? '$1').replace(
        /\$\{?(\d+)\}?/g,
        (_, i: string) => match[Number(i)] ?? '',
      );
  }
  return labels.job!;
}

/** The value after `flag` in a container's args, e.g. argValue(['--grace-ms', '20000'], '--grace-ms'). */
export function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** zoo.cfg's key=value lines. */
export function parseProperties(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq).trim(), line.slice(eq + 1).trim()] as [string, string];
    });
  return new Map(entries);
}
