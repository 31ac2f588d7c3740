/**
 * The properties docs/kubernetes.md promises of deploy/kubernetes, as checks over rendered
 * objects. Each returns what is wrong, one line a problem: empty when all hold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { JobState } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { parseCampaignSpec } from '../../shared/campaign/spec.js';
import { loadSettings, settingDefinitions } from '../../shared/config/settings.js';
import {
  argValue,
  containersOf,
  dataOf,
  environmentOf,
  find,
  type Manifest,
  ofKind,
  parseProperties,
  scrapeJob,
  selects,
  workloads,
} from './kubernetes.js';
import { labelMatchers, metricNames, promqlErrors, repoFile } from './observability.js';

export const WORKER = 'grab-worker';
export const SETTINGS = 'grab-settings';
export const SECRETS = 'grab-secrets';

/** The scrape jobs the dashboards and alerts expect (prometheus/prometheus-compose.yml's), by pod component. */
export const scrapeJobs = { worker: 'grab-worker', producer: 'grab-producer' } as const;

/** The backlog KEDA scales on: jobs a worker has yet to take. Typed, so each is a state BullMQ counts. */
export const backlogStates: JobState[] = ['waiting', 'prioritized', 'delayed'];

const check = (ok: boolean, problem: string): string[] => (ok ? [] : [problem]);

const podSpec = (workload: Manifest) => workload.spec.template.spec;
const podLabels = (workload: Manifest): Record<string, string> => workload.spec.template.metadata?.labels ?? {};

/** Every pod runs as a numeric non-root user, without a service account token, each container locked down. */
export function podSecurityProblems(objects: Manifest[]): string[] {
  return workloads(objects).flatMap((w) => {
    const where = `${w.kind} ${w.metadata.name}`;
    const pod = podSpec(w).securityContext ?? {};
    return [
      ...check(pod.runAsNonRoot === true, `${where}: pod securityContext.runAsNonRoot is not true`),
      ...check(
        Number.isInteger(pod.runAsUser) && pod.runAsUser > 0,
        `${where}: runAsUser must be a numeric non-root user (the kubelet cannot check a named one)`,
      ),
      ...check(podSpec(w).automountServiceAccountToken === false, `${where}: mounts a service account token`),
      ...containersOf(w).flatMap((c) => {
        const at = `${where} container ${c.name}`;
        const sc = c.securityContext ?? {};
        return [
          ...check(sc.readOnlyRootFilesystem === true, `${at}: readOnlyRootFilesystem is not true`),
          ...check(sc.allowPrivilegeEscalation === false, `${at}: allowPrivilegeEscalation is not false`),
          ...check((sc.capabilities?.drop ?? []).includes('ALL'), `${at}: does not drop ALL capabilities`),
          ...check(
            c.resources?.requests?.memory !== undefined && c.resources?.limits?.memory !== undefined,
            `${at}: no memory request and limit`,
          ),
        ];
      }),
    ];
  });
}

/** The fleet's containers get every setting from grab-settings and grab-secrets, and the settings are valid. */
export function settingsProblems(objects: Manifest[]): string[] {
  const settingEnvs = new Set<string>(Object.values(settingDefinitions).map((d) => d.env));
  const unknown = Object.keys(dataOf(find(objects, 'ConfigMap', SETTINGS))).filter((k) => !settingEnvs.has(k));
  const fleet = workloads(objects).filter((w) => podLabels(w)['app.kubernetes.io/name'] === 'grab-fleet');
  // Without the Secret (the external overlay: the user creates it) the settings alone must parse.
  const secret = objects.some((o) => o.kind === 'Secret' && o.metadata.name === SECRETS);
  return [
    ...unknown.map((k) => `ConfigMap ${SETTINGS}: ${k} is no setting (README "Settings")`),
    ...fleet.flatMap((w) =>
      containersOf(w).flatMap((c) => {
        const at = `${w.kind} ${w.metadata.name} container ${c.name}`;
        const refs = (c.envFrom ?? []).map((f: any) => f.configMapRef?.name ?? f.secretRef?.name);
        if (!refs.includes(SETTINGS) || !refs.includes(SECRETS))
          return [`${at}: takes its environment from ${refs.join(', ')}, not ${SETTINGS} and ${SECRETS}`];
        const env = secret ? environmentOf(objects, c) : dataOf(find(objects, 'ConfigMap', SETTINGS));
        try {
          loadSettings(env);
          return [];
        } catch (err) {
          return [`${at}: ${(err as Error).message}`];
        }
      }),
    ),
  ];
}

/** The worker Deployment: its probes, its grace, its metrics port. */
export function workerProblems(objects: Manifest[]): string[] {
  const worker = find(objects, 'Deployment', WORKER);
  const [container] = podSpec(worker).containers;
  const args: string[] = container.args ?? [];
  const graceMs = argValue(args, '--grace-ms');
  const graceS = podSpec(worker).terminationGracePeriodSeconds;
  const metricsPort = Number(dataOf(find(objects, 'ConfigMap', SETTINGS)).METRICS_PORT);
  const port = (probe: any) => {
    const p = probe?.httpGet?.port;
    return typeof p === 'number' ? p : container.ports?.find((cp: any) => cp.name === p)?.containerPort;
  };
  const probe = (name: string, path: string) => [
    ...check(container[name]?.httpGet?.path === path, `${WORKER}: ${name} is not GET ${path}`),
    ...check(port(container[name]) === metricsPort, `${WORKER}: ${name} is not on METRICS_PORT ${metricsPort}`),
  ];
  return [
    ...check(args[0] === 'work', `${WORKER}: runs ${args.join(' ')}, not grab work`),
    ...probe('readinessProbe', '/readyz'),
    ...probe('livenessProbe', '/healthz'),
    ...check(
      graceMs !== undefined && graceS * 1000 > Number(graceMs),
      `${WORKER}: terminationGracePeriodSeconds ${graceS} is not longer than ` +
        `--grace-ms ${graceMs} (give it explicitly)`,
    ),
    ...check(worker.spec.replicas === undefined, `${WORKER}: sets replicas, which every apply would reset under KEDA`),
  ];
}

/** The ScaledObject: it scales the worker, up to one worker per shard, on a backlog the fleet exports. */
export function scalerProblems(objects: Manifest[], exported: Set<string>): string[] {
  const scaler = find(objects, 'ScaledObject', WORKER);
  const settings = dataOf(find(objects, 'ConfigMap', SETTINGS));
  const shards = Number(settings.GRAB_QUEUE_SHARDS ?? settingDefinitions.queueShards.default);
  const { minReplicaCount: min, maxReplicaCount: max } = scaler.spec;
  const triggers: any[] = scaler.spec.triggers;
  const problems = [
    ...check(scaler.spec.scaleTargetRef?.name === WORKER, `ScaledObject: scales ${scaler.spec.scaleTargetRef?.name}`),
    ...check(max === shards, `ScaledObject: maxReplicaCount ${max} is not GRAB_QUEUE_SHARDS ${shards}`),
    ...check(
      min >= 1 && min <= max,
      `ScaledObject: minReplicaCount ${min} is not between 1 (the workers export the backlog) and ${max}`,
    ),
    ...check(triggers.length === 1 && triggers[0].type === 'prometheus', 'ScaledObject: wants one prometheus trigger'),
  ];
  const query: string = triggers[0]?.metadata?.query ?? '';
  const errors = promqlErrors(query);
  if (errors.length > 0) return [...problems, `ScaledObject: query does not parse: ${errors.join('; ')}`];
  const matchers = new Map(labelMatchers(query).map((m) => [m.name, m]));
  const equals = (name: string, value: string | undefined) =>
    check(
      matchers.get(name)?.op === '=' && matchers.get(name)?.value === value,
      `ScaledObject: query must select ${name}="${value}"`,
    );
  const states = matchers.get('state');
  return [
    ...problems,
    ...check(
      metricNames(query).length > 0 && metricNames(query).every((n) => exported.has(n)),
      `ScaledObject: query names ${metricNames(query).join(', ')}, not only metrics the fleet exports`,
    ),
    ...check(metricNames(query).includes('bullmq_job_count'), 'ScaledObject: query does not read bullmq_job_count'),
    ...equals('queue', settings.GRAB_QUEUE ?? settingDefinitions.queue.default),
    ...equals('namespace', scaler.metadata.namespace),
    ...equals('job', scrapeJobs.worker),
    ...check(
      states?.op === '=~' && [...states.value.split('|')].sort().join() === [...backlogStates].sort().join(),
      `ScaledObject: query must select state=~"${backlogStates.join('|')}"`,
    ),
    ...check(Number(triggers[0]?.metadata?.threshold) > 0, 'ScaledObject: threshold must be a positive number'),
  ];
}

/** The PodMonitor scrapes every fleet pod on its metrics port, under the job the dashboards expect. */
export function podMonitorProblems(objects: Manifest[]): string[] {
  const [monitor, ...more] = ofKind(objects, 'PodMonitor');
  if (!monitor || more.length > 0) return ['wants exactly one PodMonitor'];
  const endpoints: any[] = monitor.spec.podMetricsEndpoints ?? [];
  return workloads(objects)
    .filter((w) => podLabels(w)['app.kubernetes.io/name'] === 'grab-fleet')
    .flatMap((w) => {
      const where = `PodMonitor ${monitor.metadata.name} for ${w.kind} ${w.metadata.name}`;
      const component = podLabels(w)['app.kubernetes.io/component'] as keyof typeof scrapeJobs;
      if (!selects(monitor.spec.selector, podLabels(w))) return [`${where}: its selector misses the pods`];
      const ports = containersOf(w).flatMap((c) => (c.ports ?? []).map((p: any) => p.name));
      return endpoints.flatMap((e) => [
        ...check(ports.includes(e.port), `${where}: no container port named ${e.port}`),
        ...check(e.path === undefined || e.path === '/metrics', `${where}: scrapes ${e.path}, not /metrics`),
        ...check(
          scrapeJob(monitor, e.relabelings ?? [], podLabels(w)) === scrapeJobs[component],
          `${where}: job label ${scrapeJob(monitor, e.relabelings ?? [], podLabels(w))}, not ${scrapeJobs[component]}`,
        ),
      ]);
    });
}

/** The PrometheusRule holds exactly prometheus/rules.yml's groups. */
export function rulesProblems(objects: Manifest[]): string[] {
  const rules = parseYaml(readFileSync(repoFile('prometheus/rules.yml'), 'utf8'));
  const rule = find(objects, 'PrometheusRule', 'grab-fleet');
  return check(
    isDeepStrictEqual(rule.spec, rules),
    'PrometheusRule: differs from prometheus/rules.yml; run npm run kubernetes:rules',
  );
}

/** The dashboards ConfigMap: every committed dashboard, as it is, for Grafana's sidecar. */
export function dashboardsProblems(objects: Manifest[]): string[] {
  const configMap = find(objects, 'ConfigMap', 'grab-dashboards');
  const data = dataOf(configMap);
  const files = readdirSync(repoFile('grafana/dashboards')).filter((f) => f.endsWith('.json'));
  return [
    ...check(configMap.metadata.labels?.grafana_dashboard === '1', 'grab-dashboards: no label grafana_dashboard: "1"'),
    ...check(
      Object.keys(data).sort().join() === files.sort().join(),
      `grab-dashboards: holds ${Object.keys(data).join(', ')}; grafana/dashboards ` +
        `has ${files.join(', ')} (list them in grafana/kustomization.yaml)`,
    ),
    ...files.flatMap((f) =>
      check(
        data[f] === readFileSync(repoFile(`grafana/dashboards/${f}`), 'utf8'),
        `grab-dashboards: ${f} differs from the file`,
      ),
    ),
  ];
}

/** The ZooKeeper ensemble: three voters under a headless Service, a PDB, data on volumes, sessions long enough. */
export function zookeeperProblems(objects: Manifest[]): string[] {
  const sts = find(objects, 'StatefulSet', 'zookeeper');
  const labels = podLabels(sts);
  const headless = find(objects, 'Service', sts.spec.serviceName);
  const pdbs = ofKind(objects, 'PodDisruptionBudget').filter((p) => selects(p.spec.selector, labels));
  const [container] = podSpec(sts).containers;
  const mountOf = (volume: string) => container.volumeMounts?.find((m: any) => m.name === volume)?.mountPath;
  const configVolume = podSpec(sts).volumes.find((v: any) => mountOf(v.name) === '/conf');
  const cfg = parseProperties(dataOf(find(objects, 'ConfigMap', configVolume?.configMap?.name))['zoo.cfg'] ?? '');
  const claims: string[] = (sts.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name);
  const settings = dataOf(find(objects, 'ConfigMap', SETTINGS));
  const sessionMs = Number(settings.ZK_SESSION_TIMEOUT_MS ?? settingDefinitions.zkSessionTimeoutMs.default);
  // ZooKeeper's default cap is 20 ticks.
  const maxSessionMs = Number(cfg.get('maxSessionTimeout') ?? Number(cfg.get('tickTime')) * 20);
  const replicas: number = sts.spec.replicas;
  const nodes = Array.from({ length: replicas }, (_, i) => `${sts.metadata.name}-${i}.${headless.metadata.name}`);
  return [
    ...check(replicas === 3, `zookeeper: ${replicas} replicas, not 3`),
    ...check(
      headless.spec.clusterIP === 'None' && headless.spec.publishNotReadyAddresses === true,
      `Service ${headless.metadata.name}: must be headless and publish not-ready nodes (they meet before a quorum)`,
    ),
    ...check(
      selects({ matchLabels: headless.spec.selector }, labels),
      `Service ${headless.metadata.name}: misses the pods`,
    ),
    ...check(
      pdbs.length === 1 && pdbs[0]!.spec.maxUnavailable === 1,
      'zookeeper: wants one PodDisruptionBudget with maxUnavailable 1',
    ),
    ...check(
      maxSessionMs >= sessionMs,
      `zoo.cfg: maxSessionTimeout ${maxSessionMs} caps ZK_SESSION_TIMEOUT_MS ${sessionMs}`,
    ),
    ...['dataDir', 'dataLogDir'].flatMap((key) =>
      check(
        claims.some((claim) => mountOf(claim) === cfg.get(key)),
        `zookeeper: ${key} ${cfg.get(key)} is not on a PersistentVolumeClaim`,
      ),
    ),
    ...nodes.flatMap((node, i) =>
      check(cfg.get(`server.${i + 1}`)?.startsWith(`${node}:`) === true, `zoo.cfg: server.${i + 1} is not ${node}`),
    ),
    ...check(
      settings.ZK_CONNECT === nodes.map((n) => `${n}:${cfg.get('clientPort')}`).join(','),
      `ZK_CONNECT ${settings.ZK_CONNECT} does not list every node`,
    ),
  ];
}

/** The dev Redis: an fsync-always AOF on a volume, noeviction, the Secret's password, which REDIS_URL carries. */
export function redisProblems(objects: Manifest[]): string[] {
  const sts = find(objects, 'StatefulSet', 'redis');
  const [container] = podSpec(sts).containers;
  const args: string[] = container.args;
  const passwordRef = container.env?.find((e: any) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef;
  const password = passwordRef && dataOf(find(objects, 'Secret', passwordRef.name))[passwordRef.key];
  const service = find(objects, 'Service', 'redis');
  const url = dataOf(find(objects, 'Secret', SECRETS)).REDIS_URL;
  const claims: string[] = sts.spec.volumeClaimTemplates.map((t: any) => t.metadata.name);
  const dataMount = container.volumeMounts.find((m: any) => claims.includes(m.name))?.mountPath;
  return [
    ...check(argValue(args, '--appendonly') === 'yes', 'redis: no --appendonly yes'),
    ...check(argValue(args, '--appendfsync') === 'always', 'redis: no --appendfsync always'),
    ...check(argValue(args, '--maxmemory-policy') === 'noeviction', 'redis: no --maxmemory-policy noeviction'),
    ...check(argValue(args, '--dir') === dataMount, `redis: --dir is not the volume's mount ${dataMount}`),
    ...check(
      argValue(args, '--requirepass') === '$(REDIS_PASSWORD)' && password !== undefined,
      'redis: the password must come from the Secret, through $(REDIS_PASSWORD)',
    ),
    ...check(
      url === `redis://:${password}@${service.metadata.name}:${service.spec.ports[0].port}`,
      `${SECRETS}: REDIS_URL is not the dev Redis with its password`,
    ),
  ];
}

/** The campaign Job: a valid spec, created then produced under the same id, with the fleet's settings. */
export function campaignProblems(objects: Manifest[]): string[] {
  const job = ofKind(objects, 'Job')[0];
  if (!job) return ['campaign: no Job'];
  const [create] = podSpec(job).initContainers ?? [];
  const [produce] = podSpec(job).containers;
  const file = argValue(create?.args ?? [], '--file') ?? '';
  const mount = create?.volumeMounts?.find((m: any) => file.startsWith(`${m.mountPath}/`));
  const volume = podSpec(job).volumes.find((v: any) => v.name === mount?.name);
  const text =
    volume && dataOf(find(objects, 'ConfigMap', volume.configMap.name))[file.slice(mount.mountPath.length + 1)];
  if (text === undefined) return [`campaign: ${file} is not in a mounted ConfigMap`];
  try {
    const spec = parseCampaignSpec(parseYaml(text), file);
    return [
      ...check(
        create.args.slice(0, 2).join(' ') === 'campaign create',
        'campaign: the init container is not campaign create',
      ),
      ...check(produce.args[0] === 'produce', 'campaign: the container is not produce'),
      ...check(
        argValue(produce.args, '--campaign') === spec.id,
        `campaign: produce names another campaign than ${spec.id}`,
      ),
    ];
  } catch (err) {
    return [`campaign: ${(err as Error).message}`];
  }
}
