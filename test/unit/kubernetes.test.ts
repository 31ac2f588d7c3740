/**
 * deploy/kubernetes checked offline, without a cluster: each kustomization renders with
 * `kubectl kustomize` (install it: sudo bash scripts/services.sh install --with-kubectl), every
 * rendered object is valid for its schema (kubernetes-models, with KEDA's and
 * prometheus-operator's), and the properties docs/kubernetes.md promises hold. Each check is
 * also shown to catch a broken object.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backlogStates,
  campaignProblems,
  dashboardsProblems,
  podMonitorProblems,
  podSecurityProblems,
  redisProblems,
  rulesProblems,
  scalerProblems,
  SECRETS,
  SETTINGS,
  settingsProblems,
  WORKER,
  workerProblems,
  zookeeperProblems,
} from '../support/kubernetes-checks.js';
import { dataOf, find, type Manifest, ofKind, render, schemaProblems } from '../support/kubernetes.js';
import { exportedSeries } from '../support/observability.js';

const kustomizations = ['base', 'overlays/dev', 'overlays/external', 'campaign'] as const;

let rendered: Record<(typeof kustomizations)[number], Manifest[]>;
let dev: Manifest[];
let external: Manifest[];
/** The campaign Job with the dev overlay it runs against (its settings and Secret). */
let campaignOnDev: Manifest[];
let exported: Set<string>;

beforeAll(async () => {
  rendered = Object.fromEntries(kustomizations.map((k) => [k, render(k)])) as typeof rendered;
  dev = rendered['overlays/dev'];
  external = rendered['overlays/external'];
  campaignOnDev = [...rendered.campaign, ...dev];
  exported = await exportedSeries();
});

const kinds = (objects: Manifest[]) => [...new Set(objects.map((o) => o.kind))].sort();

/** A copy of `objects` with one thing broken. */
function broken(objects: Manifest[], breakIt: (objects: Manifest[]) => void): Manifest[] {
  const copy = structuredClone(objects);
  breakIt(copy);
  return copy;
}

const worker = (objects: Manifest[]) => find(objects, 'Deployment', WORKER);
const scaler = (objects: Manifest[]) => find(objects, 'ScaledObject', WORKER);
const workerContainer = (objects: Manifest[]) => worker(objects).spec.template.spec.containers[0];
const zooCfg = (objects: Manifest[]) => ofKind(objects, 'ConfigMap').find((c) => c.data?.['zoo.cfg'])!.data;

describe('deploy/kubernetes', () => {
  it('renders every kustomization, each object valid for its schema', () => {
    for (const k of kustomizations) expect(schemaProblems(rendered[k]), k).toEqual([]);
    expect(kinds(dev)).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'PodMonitor',
      'PrometheusRule',
      'ScaledObject',
      'Secret',
      'Service',
      'StatefulSet',
    ]);
    expect(kinds(rendered.campaign)).toEqual(['ConfigMap', 'Job']);
  });

  it('runs every pod as a numeric non-root user on a read-only root, no privilege escalation, no capabilities', () => {
    for (const objects of [dev, external, rendered.campaign]) expect(podSecurityProblems(objects)).toEqual([]);
  });

  it('runs workers ready on /readyz, live on /healthz, with a termination grace longer than --grace-ms', () => {
    for (const objects of [dev, external]) expect(workerProblems(objects)).toEqual([]);
  });

  it(
    'gives the fleet valid settings from grab-settings, its secrets from ' +
      'grab-secrets, committed only with example values in dev',
    () => {
      for (const objects of [dev, external, campaignOnDev]) expect(settingsProblems(objects)).toEqual([]);
      for (const k of kustomizations)
        expect(ofKind(rendered[k], 'Secret').length, k).toBe(k === 'overlays/dev' ? 1 : 0);
      for (const value of Object.values(dataOf(find(dev, 'Secret', SECRETS)))) expect(value).toMatch(/dev/);
    },
  );

  it('scales workers with KEDA on the backlog in bullmq_job_count, at most one per queue shard', () => {
    for (const objects of [dev, external]) expect(scalerProblems(objects, exported)).toEqual([]);
    expect(backlogStates).toEqual(expect.arrayContaining(['waiting', 'delayed']));
  });

  it('scrapes workers and the producer through a PodMonitor, and carries the alert rules and dashboards', () => {
    for (const objects of [dev, external]) {
      expect(podMonitorProblems([...objects, ...rendered.campaign])).toEqual([]);
      expect(rulesProblems(objects)).toEqual([]);
      expect(dashboardsProblems(objects)).toEqual([]);
    }
  });

  it('dev runs a 3-node ZooKeeper ensemble and a Redis with an fsync-always AOF; external runs neither', () => {
    expect(zookeeperProblems(dev)).toEqual([]);
    expect(redisProblems(dev)).toEqual([]);
    expect(ofKind(external, 'StatefulSet')).toEqual([]);
    expect(ofKind(external, 'Service')).toEqual([]);
    const zkConnect = (objects: Manifest[]) => dataOf(find(objects, 'ConfigMap', SETTINGS)).ZK_CONNECT;
    expect(zkConnect(external)).not.toBe(zkConnect(dev));
    expect(worker(external).spec).not.toEqual(worker(dev).spec); // its own image
    expect({ ...worker(external).spec.template.spec, containers: [] }).toEqual({
      ...worker(dev).spec.template.spec,
      containers: [],
    });
  });

  it('creates a campaign from its spec ConfigMap, then produces its users, as a Job', () => {
    expect(campaignProblems(campaignOnDev)).toEqual([]);
  });
});

describe('the checks catch a broken manifest', () => {
  it('the schemas: a wrong type, a missing field, an unknown kind', () => {
    const problems = schemaProblems(
      broken(dev, (objects) => {
        workerContainer(objects).ports[0].containerPort = '9400';
        scaler(objects).spec.maxReplicaCount = 'sixteen';
        delete find(objects, 'StatefulSet', 'zookeeper').spec.selector;
        objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray' } });
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Deployment grab-worker: .*containerPort must be integer/),
        expect.stringMatching(/^StatefulSet zookeeper: .*must have required property '?selector/),
        expect.stringMatching(/^ScaledObject grab-worker: .*maxReplicaCount must be integer/),
        'Pod stray: no schema for v1 Pod; add its model',
      ]),
    );
  });

  const cases: [string, (objects: Manifest[]) => void, (objects: Manifest[]) => string[], RegExp][] = [
    [
      'a writable root',
      (o) => {
        workerContainer(o).securityContext.readOnlyRootFilesystem = false;
      },
      podSecurityProblems,
      /worker: readOnlyRootFilesystem is not true/,
    ],
    [
      'a named user',
      (o) => {
        delete find(o, 'StatefulSet', 'redis').spec.template.spec.securityContext.runAsUser;
      },
      podSecurityProblems,
      /StatefulSet redis: runAsUser must be a numeric non-root user/,
    ],
    [
      'readiness on /healthz',
      (o) => {
        workerContainer(o).readinessProbe.httpGet.path = '/healthz';
      },
      workerProblems,
      /readinessProbe is not GET \/readyz/,
    ],
    [
      'a grace shorter than --grace-ms',
      (o) => {
        worker(o).spec.template.spec.terminationGracePeriodSeconds = 20;
      },
      workerProblems,
      /terminationGracePeriodSeconds 20 is not longer than --grace-ms 20000/,
    ],
    [
      'an invalid setting',
      (o) => {
        find(o, 'ConfigMap', SETTINGS).data.GRAB_QUEUE_SHARDS = '0';
      },
      settingsProblems,
      /invalid setting GRAB_QUEUE_SHARDS/,
    ],
    [
      'a misspelt setting',
      (o) => {
        find(o, 'ConfigMap', SETTINGS).data.ZK_SESSION_TIMEOUT = '10000';
      },
      settingsProblems,
      /ZK_SESSION_TIMEOUT is no setting/,
    ],
    [
      'more replicas than shards',
      (o) => {
        scaler(o).spec.maxReplicaCount = 32;
      },
      (o) => scalerProblems(o, exported),
      /maxReplicaCount 32 is not GRAB_QUEUE_SHARDS 16/,
    ],
    [
      'a metric the fleet does not export',
      (o) => {
        const trigger = scaler(o).spec.triggers[0].metadata;
        trigger.query = trigger.query.replace('bullmq_job_count', 'bullmq_jobs_waiting');
      },
      (o) => scalerProblems(o, exported),
      /query names bullmq_jobs_waiting, not only metrics the fleet exports/,
    ],
    [
      'a backlog without the delayed jobs',
      (o) => {
        const trigger = scaler(o).spec.triggers[0].metadata;
        trigger.query = trigger.query.replace('|delayed', '');
      },
      (o) => scalerProblems(o, exported),
      /query must select state=~/,
    ],
    [
      'another queue',
      (o) => {
        find(o, 'ConfigMap', SETTINGS).data.GRAB_QUEUE = 'grab-eu';
      },
      (o) => scalerProblems(o, exported),
      /query must select queue="grab-eu"/,
    ],
    [
      'a PodMonitor on the wrong port',
      (o) => {
        ofKind(o, 'PodMonitor')[0]!.spec.podMetricsEndpoints[0].port = 'http';
      },
      podMonitorProblems,
      /Deployment grab-worker: no container port named http/,
    ],
    [
      'a PodMonitor that misses the workers',
      (o) => {
        ofKind(o, 'PodMonitor')[0]!.spec.selector.matchExpressions[0].values = ['producer'];
      },
      podMonitorProblems,
      /for Deployment grab-worker: its selector misses the pods/,
    ],
    [
      "a job label the dashboards don't know",
      (o) => {
        delete ofKind(o, 'PodMonitor')[0]!.spec.podMetricsEndpoints[0].relabelings;
      },
      podMonitorProblems,
      /job label grab\/grab-fleet, not grab-worker/,
    ],
    [
      'an edited alert rule',
      (o) => {
        find(o, 'PrometheusRule', 'grab-fleet').spec.groups[0].rules[0].for = '1m';
      },
      rulesProblems,
      /differs from prometheus\/rules.yml/,
    ],
    [
      'a dashboard missing',
      (o) => {
        delete find(o, 'ConfigMap', 'grab-dashboards').data['campaign-pools.json'];
      },
      dashboardsProblems,
      /grab-dashboards: holds grab-fleet-overview.json; grafana\/dashboards has campaign-pools.json/,
    ],
    [
      "ZooKeeper's default session cap",
      (o) => {
        const data = zooCfg(o);
        data['zoo.cfg'] = data['zoo.cfg'].replace(/^maxSessionTimeout=.*$/m, '');
        find(o, 'ConfigMap', SETTINGS).data.ZK_SESSION_TIMEOUT_MS = '60000';
      },
      zookeeperProblems,
      /maxSessionTimeout 40000 caps ZK_SESSION_TIMEOUT_MS 60000/,
    ],
    [
      'a ZooKeeper PDB that allows two nodes down',
      (o) => {
        find(o, 'PodDisruptionBudget', 'zookeeper').spec.maxUnavailable = 2;
      },
      zookeeperProblems,
      /maxUnavailable 1/,
    ],
    [
      'a ZooKeeper node left out of ZK_CONNECT',
      (o) => {
        const data = find(o, 'ConfigMap', SETTINGS).data;
        data.ZK_CONNECT = data.ZK_CONNECT.split(',').slice(0, 2).join(',');
      },
      zookeeperProblems,
      /does not list every node/,
    ],
    [
      'Redis fsyncing every second',
      (o) => {
        const args: string[] = find(o, 'StatefulSet', 'redis').spec.template.spec.containers[0].args;
        args[args.indexOf('always')] = 'everysec';
      },
      redisProblems,
      /no --appendfsync always/,
    ],
    [
      'a campaign produced under another id',
      (o) => {
        const args: string[] = find(o, 'Job', 'grab-campaign').spec.template.spec.containers[0].args;
        args[args.indexOf('--campaign') + 1] = 'new-year-2';
      },
      campaignProblems,
      /produce names another campaign than new-year/,
    ],
  ];

  it.each(cases)('%s', (_, breakIt, problemsOf, expected) => {
    const objects = [...dev, ...rendered.campaign];
    expect(problemsOf(objects)).toEqual([]);
    expect(problemsOf(broken(objects, breakIt))).toContainEqual(expect.stringMatching(expected));
  });
});
