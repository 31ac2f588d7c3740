/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked without a Docker engine:
 * docker-compose (v1, Debian's package) validates the file, and the structure the README
 * promises is read from the YAML.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const parseYaml = (path: string) => parse(read(path), { merge: true }) as Record<string, any>;

const compose = parseYaml('docker-compose.yml');
const services = compose.services as Record<string, any>;
const secrets = { REDIS_PASSWORD: 'devRedisPw1', ZK_AUTH: 'fleet:devZkPw1', GRAFANA_ADMIN_PASSWORD: 'devGrafanaPw1' };

function dockerCompose(env: Record<string, string>) {
  const { PATH, HOME } = process.env;
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH, HOME, ...env },
  });
}
const haveDockerCompose = !dockerCompose({}).error;

/** [host path, container path] of each bind mount; named volumes have no "./" or "/". */
const bindMounts = (service: any): [string, string][] =>
  (service.volumes as string[])
    .map((v) => v.split(':'))
    .filter(([source]) => /^\.{0,2}\//.test(source!))
    .map(([source, target]) => [source!, target!]);

const durationMs = (text: string) =>
  [...text.matchAll(/(\d+)(ms|s|m|h)/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms']!,
    0,
  );

const flagValue = (command: string[], flag: string) => command[command.indexOf(flag) + 1];

describe('docker-compose.yml', () => {
  it('is valid for docker-compose once the secrets are set, and refuses to start without them', (ctx) => {
    if (!haveDockerCompose)
      ctx.skip('docker-compose is not installed: run "sudo bash scripts/services.sh install --with-compose"');
    const valid = dockerCompose(secrets);
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
    for (const missing of Object.keys(secrets)) {
      const { [missing as keyof typeof secrets]: _, ...rest } = secrets;
      const r = dockerCompose(rest);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`set ${missing}`);
    }
  });

  it('runs a 3-node ZooKeeper ensemble, and the fleet connects to every node', () => {
    const servers = 'server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181';
    for (const id of [1, 2, 3]) {
      const zk = services[`zk${id}`];
      expect(zk.image).toMatch(/^zookeeper:3\.8/);
      expect(String(zk.environment.ZOO_MY_ID)).toBe(String(id));
      expect(zk.environment.ZOO_SERVERS).toBe(servers);
      expect(zk.healthcheck.test).toEqual(['CMD', 'zkServer.sh', 'status']);
    }
    for (const name of ['worker', 'producer']) {
      expect(services[name].environment.ZK_CONNECT).toBe('zk1:2181,zk2:2181,zk3:2181');
      expect(services[name].environment.ZK_AUTH).toMatch(/^\$\{ZK_AUTH:\?/);
    }
  });

  it('runs Redis with an fsync-always AOF, noeviction and a password that REDIS_URL carries', () => {
    const command = services.redis.command as string[];
    expect(flagValue(command, '--appendonly')).toBe('yes');
    expect(flagValue(command, '--appendfsync')).toBe('always');
    expect(flagValue(command, '--maxmemory-policy')).toBe('noeviction');
    const password = flagValue(command, '--requirepass');
    expect(password).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(services.worker.environment.REDIS_URL).toBe(`redis://:${password}@redis:6379`);
    expect(services.redis.volumes).toContain('redis-data:/data');
  });

  it(
    'runs workers that scale: no fixed name or host port, a /readyz ' + 'healthcheck, a stop grace longer than theirs',
    () => {
      const worker = services.worker;
      expect(worker.container_name).toBeUndefined();
      expect(worker.ports).toBeUndefined();
      expect(worker.command.slice(0, 3)).toEqual(['work', '--lock', 'zk']);
      expect(worker.environment).toMatchObject({ METRICS_PORT: '9400', METRICS_HOST: '0.0.0.0' });
      expect(worker.healthcheck.test.join(' ')).toContain("fetch('http://127.0.0.1:9400/readyz')");
      expect(worker.stop_signal).toBe('SIGTERM');
      expect(durationMs(worker.stop_grace_period)).toBeGreaterThan(Number(flagValue(worker.command, '--grace-ms')));
    },
  );

  it('runs the producer only on demand, from the same image', () => {
    expect(services.producer.profiles).toEqual(['tools']);
    expect(services.producer.image).toBe(services.worker.image);
  });

  it('publishes only Grafana and Prometheus, mounting their configuration', () => {
    const published = Object.entries(services)
      .filter(([, s]) => s.ports)
      .map(([name]) => name);
    expect(published.sort()).toEqual(['grafana', 'prometheus']);
    expect(services.prometheus.ports.join()).toMatch(/:9090:9090$/);
    expect(services.grafana.ports.join()).toMatch(/(^|:)3000:3000$/);

    expect(bindMounts(services.prometheus)).toEqual([
      ['./prometheus/prometheus-compose.yml', '/etc/prometheus/prometheus.yml'],
      ['./prometheus/rules.yml', '/etc/prometheus/rules.yml'],
    ]);
    const grafanaMounts = new Map(bindMounts(services.grafana).map(([source, target]) => [target, source]));
    expect(grafanaMounts.get('/etc/grafana/provisioning')).toBe('./grafana/provisioning');
    const providers = readdirSync(join(root, 'grafana/provisioning/dashboards')).flatMap(
      (file) => parseYaml(`grafana/provisioning/dashboards/${file}`).providers as { options: { path: string } }[],
    );
    for (const provider of providers) expect(grafanaMounts.get(provider.options.path)).toBe('./grafana/dashboards');
    expect(services.grafana.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'false' });
    expect(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });

  it("overrides only the URL of Grafana's Prometheus data source", () => {
    const [override] = parseYaml('deploy/grafana-datasource.yaml').datasources;
    const [original] = parseYaml('grafana/provisioning/datasources/prometheus.yaml').datasources;
    expect(override.url).toBe('http://prometheus:9090');
    expect({ ...override, url: original.url }).toEqual(original);
  });

  it('keeps data in named volumes, and every bind mount exists', () => {
    for (const service of Object.values(services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const [source] = volume.split(':');
        if (/^\.{0,2}\//.test(source!)) expect(existsSync(resolve(root, source!)), source).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { bin: { grab: string }; files: string[] };
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it(
    'builds in its own stage; the runtime, node:20-slim as user node, has ' +
      'only the compiled CLI (what the package ships) and production ' +
      'dependencies',
    () => {
      expect(stages).toHaveLength(2);
      const runtime = stages[1]!;
      expect(runtime).toMatch(/^node:20-slim\n/);
      expect(runtime).toContain('npm ci --omit=dev');
      const fromBuild = [...runtime.matchAll(/^COPY --from=build \S+ (\S+)$/gm)].map((m) => m[1]);
      expect(fromBuild).toEqual(pkg.files);
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toContain(`ENTRYPOINT ["node", "${pkg.bin.grab}"]`);
      expect(runtime).toContain('CMD ["work"]');
    },
  );

  it('copies nothing from the context that .dockerignore keeps out', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    expect(read('.dockerignore')).toMatch(/^\*$/m);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copied.length).toBeGreaterThan(0);
    for (const path of copied) expect(allowed, path).toContain(path);
  });
});
