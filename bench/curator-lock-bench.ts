import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CommandFailure } from '../shared/cli/command-failure.js';
import { childEnv } from '../shared/config/child-env.js';
import type { Settings } from '../shared/config/settings.js';
import type { LockBenchResult } from './lock-bench.js';

/**
 * The Curator side of `grab lock-bench --driver curator`: scripts/curator-lock-bench.sh compiles
 * and runs bench/curator/CuratorLockBench.java (Apache Curator's InterProcessMutex, the same
 * bench shape) and prints one JSON line. It lives in the repository, not in the npm package.
 */
export const curatorLockBenchScript: string = fileURLToPath(
  new URL('../../scripts/curator-lock-bench.sh', import.meta.url),
);

const resultSchema = z.object({
  contenders: z.number(),
  locks: z.number(),
  handoffsPerSec: z.number(),
  acquireP50Ms: z.number(),
  acquireP99Ms: z.number(),
});

export interface CuratorLockBenchOptions {
  settings: Settings;
  contenders: number;
  locks: number;
  seconds: number;
}

/** Runs the script with the fleet's ZooKeeper settings in its environment; its stderr passes through. */
export async function runCuratorLockBench(options: CuratorLockBenchOptions): Promise<LockBenchResult> {
  if (!existsSync(curatorLockBenchScript))
    throw new CommandFailure(
      `--driver curator needs the repository's ${curatorLockBenchScript} (not part of the npm package)`,
    );
  const args = ['--contenders', options.contenders, '--locks', options.locks, '--seconds', options.seconds].map(String);
  const child = spawn('bash', [curatorLockBenchScript, ...args], {
    env: childEnv(options.settings),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new CommandFailure(`${curatorLockBenchScript} exited ${code} (its messages are above)`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new CommandFailure(
      `${curatorLockBenchScript} printed no JSON result: ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  const result = resultSchema.safeParse(parsed);
  if (!result.success) throw new CommandFailure(`${curatorLockBenchScript} printed an unexpected result: ${line}`);
  return result.data;
}
