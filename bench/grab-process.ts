import { type ChildProcess, spawn } from 'node:child_process';
import { grabEntry } from '../shared/cli/grab-entry.js';

/**
 * Starts `grab <args>` as an operator would, in `env`. Its output goes to this process's stderr
 * (progress and, from a failing report, its violations): stdout is the bench's result's.
 */
export const grabStarter =
  (env: NodeJS.ProcessEnv) =>
  (args: string[]): ChildProcess =>
    spawn(process.execPath, [grabEntry, ...args], { env, stdio: ['ignore', process.stderr, 'inherit'] });

/** Runs `grab <args>` as an operator would, in `env`; resolves with its exit code. */
export const grabRunner = (env: NodeJS.ProcessEnv) => {
  const start = grabStarter(env);
  return (args: string[]): Promise<number | null> =>
    new Promise((resolve) => {
      start(args).once('exit', resolve);
    });
};

/** `grab campaign create` of `pools` pools of `packets` packets, then the amount flag and whatever else. */
export const campaignCreateArgs = (id: string, pools: number, packets: number, ...rest: string[]): string[] => [
  'campaign',
  'create',
  '--id',
  id,
  '--pools',
  String(pools),
  '--packets',
  String(packets),
  ...rest,
];
