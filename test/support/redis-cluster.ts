/**
 * A private Redis Cluster for tests, 3 masters and 3 replicas, run by scripts/redis-cluster.sh
 * (the script an operator uses) in a temp dir on free loopback ports. Its nodes are killed, and
 * the dir removed, when the test process exits, however it exits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from './async.js';
import { freeBasePort } from './ports.js';
import { cleanedUp, cleanUpOnExit } from './servers.js';

const execFileAsync = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/redis-cluster.sh', import.meta.url));
const NODES = 6;
/** Each node's client port, and its cluster bus port 10000 above it. */
const PORT_OFFSETS = Array.from({ length: NODES }, (_, i) => [i, 10_000 + i]).flat();

export interface ClusterNode {
  readonly port: number;
  /** The pid of its process, if it runs. */
  pid(): number | undefined;
  /** 'master' or 'slave' as the node itself says, or 'down'. */
  role(): Promise<string>;
  /** SIGKILL: a crash. Resolves once the process is gone. */
  kill9(): Promise<void>;
}

export interface RedisCluster {
  /** REDIS_CLUSTER_NODES for the fleet: every node, host:port, comma-separated. */
  readonly nodes: string;
  readonly members: readonly ClusterNode[];
  /** The node serving a key's slot as master right now. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Starts every node that is down again (it rejoins from its nodes.conf); resolves once the cluster is ok. */
  restartDown(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(nodeTimeoutMs = 2000): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'grab-test-cluster-'));
  cleanUpOnExit({ dir });
  const basePort = await freeBasePort(PORT_OFFSETS);
  const env = {
    ...process.env,
    GRAB_SERVICES_DIR: dir,
    REDIS_CLUSTER_PORT: String(basePort),
    REDIS_CLUSTER_NODE_TIMEOUT_MS: String(nodeTimeoutMs),
  };
  const run = async (...args: string[]) =>
    (await execFileAsync('bash', [script, ...args], { env, timeout: 90_000 })).stdout;
  const cli = async (port: number, ...args: string[]) =>
    (await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 })).stdout;

  const pidOf = (port: number): number | undefined => {
    try {
      const pid = Number(readFileSync(join(dir, 'redis-cluster', String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };
  const trackPids = () => {
    for (const member of members) {
      const pid = member.pid();
      if (pid) cleanUpOnExit({ pid });
    }
  };
  const members: ClusterNode[] = Array.from({ length: NODES }, (_, i) => {
    const port = basePort + i;
    return {
      port,
      pid: () => pidOf(port),
      async role() {
        try {
          return (await cli(port, 'role')).split('\n')[0]?.trim() || 'down';
        } catch {
          return 'down';
        }
      },
      async kill9() {
        const pid = pidOf(port);
        if (!pid) return;
        process.kill(pid, 'SIGKILL');
        await eventually(() => !pidOf(port), 10_000, `node ${port} (pid ${pid}) to exit after SIGKILL`);
        cleanedUp({ pid });
      },
    };
  });

  try {
    await run('start');
  } finally {
    trackPids();
  }
  const nodes = (await run('nodes')).trim();
  return {
    nodes,
    members,
    async masterOf(key) {
      for (const member of members) {
        if ((await member.role()) !== 'master') continue;
        const slot = (await cli(member.port, 'cluster', 'keyslot', key)).trim();
        const owner = await cli(member.port, 'cluster', 'nodes');
        const me = owner.split('\n').find((line) => line.includes('myself'));
        if (me && ownsSlot(me, Number(slot))) return member;
      }
      throw new Error(`no master serves the slot of ${key}`);
    },
    async restartDown() {
      try {
        await run('start');
      } finally {
        trackPids();
      }
    },
    async stop() {
      const pids = members.map((m) => m.pid());
      await run('stop');
      for (const pid of pids) if (pid) cleanedUp({ pid });
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      cleanedUp({ dir });
    },
  };
}

/** Whether a CLUSTER NODES line's slot ranges ("0-5460 10923") include the slot. */
function ownsSlot(line: string, slot: number): boolean {
  return line
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      return slot >= from && slot <= to;
    });
}
