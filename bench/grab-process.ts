import { spawn } from 'node:child_process';
import { grabEntry } from '../shared/cli/grab-entry.js';

/** Runs `grab <args>` as an operator would, in `env`; resolves with its exit code. Its stderr is this process's. */
export const grabRunner =
  (env: NodeJS.ProcessEnv) =>
  (args: string[]): Promise<number | null> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [grabEntry, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('exit', resolve);
    });

/** `grab campaign create` of `pools` pools of `packets` packets, one unit (100 cents) each. */
export const campaignCreateArgs = (id: string, pools: number, packets: number): string[] => [
  'campaign',
  'create',
  '--id',
  id,
  '--pools',
  String(pools),
  '--packets',
  String(packets),
  '--amount-cents',
  String(packets * 100),
];
