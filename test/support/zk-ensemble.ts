/**
 * A private 3-node ZooKeeper ensemble for tests, run by scripts/zk-ensemble.sh (the script an
 * operator uses) in a temp dir on free loopback ports. Its nodes are killed, and the dir
 * removed, when the test process exits, however it exits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freeBasePort } from './ports.js';
import { cleanedUp, cleanUpOnExit } from './servers.js';

const execFileAsync = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/zk-ensemble.sh', import.meta.url));
const NODE_IDS = [1, 2, 3] as const;
/** The ports the script derives from its base, ZK_ENSEMBLE_PORT: clients, followers, election. */
const PORT_OFFSETS = NODE_IDS.flatMap((id) => [id, 10 + id, 20 + id]);

/** As scripts/zk-ensemble.sh status reports it. */
export type NodeMode = 'leader' | 'follower' | 'not-serving' | 'down';

export interface EnsembleNode {
  readonly id: number;
  /** Its client port on 127.0.0.1. */
  readonly port: number;
  /** SIGTERM; resolves once it exited. */
  stop(): Promise<void>;
  /** Starts it again with its data; resolves once it serves (which needs a quorum). */
  start(): Promise<void>;
  mode(): Promise<NodeMode>;
}

export interface ZkEnsemble {
  /** Every node: 127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3 */
  readonly connect: string;
  readonly nodes: readonly EnsembleNode[];
  /** The node that leads right now, if a quorum serves. */
  leader(): Promise<EnsembleNode | undefined>;
  /** Stops every node and removes the dir. */
  stopAll(): Promise<void>;
}

/** Starts the three nodes; resolves once all of them serve. */
export async function startZkEnsemble(): Promise<ZkEnsemble> {
  const dir = mkdtempSync(join(tmpdir(), 'grab-test-ensemble-'));
  cleanUpOnExit({ dir });
  const basePort = await freeBasePort(PORT_OFFSETS);
  const env = { ...process.env, GRAB_SERVICES_DIR: dir, ZK_ENSEMBLE_PORT: String(basePort) };
  const ensemble = async (...args: string[]) =>
    (await execFileAsync('bash', [script, ...args], { env, timeout: 90_000 })).stdout;

  const pidOf = (id: number): number | undefined => {
    try {
      return Number(readFileSync(join(dir, 'ensemble', `node${id}`, 'zookeeper.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const trackPids = () => {
    for (const id of NODE_IDS) {
      const pid = pidOf(id);
      if (pid) cleanUpOnExit({ pid });
    }
  };
  const modes = async (): Promise<Map<number, NodeMode>> => {
    const lines = (await ensemble('status')).split('\n');
    return new Map(
      lines.flatMap((line) => {
        const m = /^node (\d)\s+\S+\s+(\S+)\s+pid/.exec(line);
        return m ? [[Number(m[1]), m[2] as NodeMode] as const] : [];
      }),
    );
  };

  try {
    await ensemble('start');
  } finally {
    trackPids();
  }
  const nodes: EnsembleNode[] = NODE_IDS.map((id) => ({
    id,
    port: basePort + id,
    async stop() {
      const pid = pidOf(id);
      await ensemble('stop-node', String(id));
      if (pid) cleanedUp({ pid });
    },
    async start() {
      try {
        await ensemble('start-node', String(id));
      } finally {
        trackPids();
      }
    },
    async mode() {
      return (await modes()).get(id) ?? 'down';
    },
  }));
  return {
    connect: (await ensemble('connect')).trim(),
    nodes,
    async leader() {
      const now = await modes();
      return nodes.find((n) => now.get(n.id) === 'leader');
    },
    async stopAll() {
      const pids = NODE_IDS.map(pidOf);
      await ensemble('stop');
      for (const pid of pids) if (pid) cleanedUp({ pid });
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      cleanedUp({ dir });
    },
  };
}
